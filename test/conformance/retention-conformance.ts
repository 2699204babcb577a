import { describe, expect, it } from 'vitest';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w1', site: 'local', leaseMs: 30_000 };

/** Retention: finished jobs pruned by their workflow's, queue's or the default cutoff, in bounded batches. Run against every backend. */
export function describeRetentionConformance(harness: StoreHarness): void {
  describe(`retention conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);

    /** A job of `workflow` in `queue` that ran one task with an item and ended at `at`. */
    const finishedJob = async (workflow: string, queue: string, at: number) => {
      const [{ job }] = await store().submitJobs([newJob({ workflow, queue })], at);
      const [leased] = await store().leaseTasks({ ...LEASE, workflows: [workflow], limit: 1, now: at });
      await store().completeTasks(
        [
          {
            taskId: leased.task.id,
            leaseToken: leased.leaseToken,
            items: [{ path: 'a', operation: 'op', outcome: 'completed' }],
            logs: ['done'],
            report: { kind: 'succeeded', changed: true },
          },
        ],
        at,
      );
      return job.id;
    };
    const alive = async () => (await store().listJobs({ sites: null, limit: 100 })).items.map((j) => j.id).sort((a, b) => a - b);

    it("prunes by the workflow's cutoff, else the queue's, else the default; never an unfinished job", async () => {
      const a = await finishedJob('a', 'q1', T0);
      const b = await finishedJob('b', 'q2', T0);
      const c = await finishedJob('c', 'default', T0);
      const [{ job: open }] = await store().submitJobs([newJob({ workflow: 'a' })], T0);
      // a follows its workflow (T0+1 > T0: pruned); b its queue (T0: kept, the cutoff is strict); c no default: kept.
      expect(await store().pruneJobs({ byWorkflow: { a: T0 + 1 }, byQueue: { q2: T0, q1: T0 - 1 }, otherwise: null }, 10, T0 + 10)).toBe(1);
      expect(await alive()).toEqual([b, c, open.id]);
      expect(await store().getJob(a)).toBeNull();
      expect((await store().listItems(a, { limit: 10 })).items).toEqual([]);
      expect((await store().listTasks(a, { limit: 10 })).items).toEqual([]);
      // A default: c goes; b still follows its queue; the open job stays.
      expect(await store().pruneJobs({ byWorkflow: {}, byQueue: { q2: T0 }, otherwise: T0 + 5 }, 10, T0 + 10)).toBe(1);
      expect(await alive()).toEqual([b, open.id]);
    });

    it("keeps a queue's retainDays, and clears it with null", async () => {
      await store().ensureQueues(['archive'], T0);
      expect(await store().getQueue('archive', null)).toMatchObject({ retainDays: null });
      await store().updateQueue('archive', { retainDays: 365 }, T0);
      await store().updateQueue('archive', { paused: true }, T0);
      expect(await store().getQueue('archive', null)).toMatchObject({ retainDays: 365, paused: true });
      await store().updateQueue('archive', { retainDays: null }, T0);
      expect(await store().getQueue('archive', null)).toMatchObject({ retainDays: null, paused: true });
    });

    it('removes at most `limit` per call, oldest end first', async () => {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await finishedJob('demo', 'default', T0 + (4 - i) * 1000));
      expect(await store().pruneJobs({ byWorkflow: {}, byQueue: {}, otherwise: T0 + 10_000 }, 2, T0 + 20_000)).toBe(2);
      // The two that ended first (the last two submitted) went first.
      expect(await alive()).toEqual(ids.slice(0, 3));
      expect(await store().pruneJobs({ byWorkflow: {}, byQueue: {}, otherwise: T0 + 10_000 }, 10, T0 + 20_000)).toBe(3);
      expect(await alive()).toEqual([]);
    });
  });
}
