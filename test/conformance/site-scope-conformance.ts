import { describe, expect, it } from 'vitest';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;

/**
 * What a site-scoped viewer sees: queue counts of its sites only. Run against every backend.
 */
export function describeSiteScopeConformance(harness: StoreHarness): void {
  describe(`site scope conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);

    describe('queues per site', () => {
      /** West: one running job and one waiting; east: two waiting; another queue: one waiting at east. */
      const setUp = async () => {
        await store().submitJobs([newJob({ site: 'west', queue: 'q' })], T0 - 10);
        await store().leaseTasks({ workerId: 'w1', site: 'west', workflows: ['demo'], limit: 1, leaseMs: 30_000, now: T0 - 5 });
        await store().submitJobs([newJob({ site: 'east', queue: 'q' })], T0);
        await store().submitJobs([newJob({ site: 'west', queue: 'q' })], T0 + 5);
        await store().submitJobs([newJob({ site: 'east', queue: 'q' }), newJob({ site: 'east', queue: 'other' })], T0 + 10);
      };
      const counts = (q: { name: string; activeJobs: number; queuedJobs: number; oldestQueuedAt: number | null } | null | undefined) =>
        q ? [q.name, q.activeJobs, q.queuedJobs, q.oldestQueuedAt] : null;

      it('counts active and waiting jobs and the oldest waiting one, at every site or at those asked for', async () => {
        await setUp();
        expect((await store().listQueues(null)).map(counts)).toEqual([
          ['other', 0, 1, T0 + 10],
          ['q', 1, 3, T0],
        ]);
        expect((await store().listQueues(['east'])).map(counts)).toEqual([
          ['other', 0, 1, T0 + 10],
          ['q', 0, 2, T0],
        ]);
        expect((await store().listQueues(['west'])).map(counts)).toEqual([
          ['other', 0, 0, null],
          ['q', 1, 1, T0 + 5],
        ]);
        expect((await store().listQueues([])).map(counts)).toEqual([
          ['other', 0, 0, null],
          ['q', 0, 0, null],
        ]);
      });

      it('counts one queue the same way', async () => {
        await setUp();
        expect(counts(await store().getQueue('q', null))).toEqual(['q', 1, 3, T0]);
        expect(counts(await store().getQueue('q', ['west', 'east']))).toEqual(['q', 1, 3, T0]);
        expect(counts(await store().getQueue('q', ['west']))).toEqual(['q', 1, 1, T0 + 5]);
        expect(counts(await store().getQueue('q', ['north']))).toEqual(['q', 0, 0, null]);
        expect(await store().getQueue('none', ['west'])).toBeNull();
      });

      it('stops counting a job as waiting once it starts or is cancelled', async () => {
        const [{ job }] = await store().submitJobs([newJob({ site: 'east', queue: 'q' })], T0);
        await store().controlJob(job.id, 'cancel', T0 + 1);
        expect(counts(await store().getQueue('q', ['east']))).toEqual(['q', 0, 0, null]);
      });
    });
  });
}
