import { describe, expect, it } from 'vitest';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;

/** countOpenJobs: unfinished jobs by state, site and queue; finished ones are not counted. Run against every backend. */
export function describeOpenJobsConformance(harness: StoreHarness): void {
  describe(`open jobs conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);

    it('counts unfinished jobs by state, site and queue, and leaves finished ones out', async () => {
      await store().ensureSites(['east', 'west'], T0);
      await store().ensureQueues(['default', 'bulk'], T0);
      expect(await store().countOpenJobs()).toEqual([]);
      const [a, , c] = await store().submitJobs(
        [newJob({ site: 'east' }), newJob({ site: 'east' }), newJob({ site: 'west', queue: 'bulk' }), newJob({ site: 'east', tasks: [] })],
        T0,
      );
      await store().leaseTasks({ workerId: 'w1', site: 'east', workflows: ['demo'], limit: 1, leaseMs: 30_000, now: T0 + 1 });
      await store().controlJob(c.job.id, 'cancel', T0 + 2);
      const counts = (await store().countOpenJobs()).sort((x, y) => x.state.localeCompare(y.state) || x.site.localeCompare(y.site));
      expect(counts).toEqual([
        { state: 'queued', site: 'east', queue: 'default', count: 1 },
        { state: 'running', site: 'east', queue: 'default', count: 1 },
      ]);
      expect((await store().getJob(a.job.id))?.state).toBe('running');
    });
  });
}
