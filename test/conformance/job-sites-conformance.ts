import { describe, expect, it } from 'vitest';
import type { LeasedTask } from '../../src/store/store.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w', workflows: ['demo'], limit: 10, leaseMs: 30_000, now: T0 + 1 };

/**
 * Jobs that span sites: tasks placed at other sites by the plan or by spawn, the sites a job
 * records (job_sites), the list's site filter finding the job from any of them, and workers
 * leasing only their own site's tasks. Run against every backend.
 */
export function describeJobSitesConformance(harness: StoreHarness): void {
  describe(`job sites conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    const setUp = () => store().ensureSites(['a', 'b', 'c'], T0 - 100);
    const lease = (site: string, now = T0 + 1) => store().leaseTasks({ ...LEASE, workerId: `w-${site}`, site, now });
    const succeed = (t: LeasedTask, now: number, spawn?: { type: string; input: null; key?: string; after?: string[]; site?: string }[]) =>
      store().completeTasks([{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: true }, ...(spawn ? { spawn } : {}) }], now);

    /** A transfer: export at a, import at b after it. */
    const transfer = () =>
      newJob({
        site: 'a',
        tasks: [
          { type: 'export', input: null, key: 'export' },
          { type: 'import', input: null, key: 'import', after: ['export'], site: 'b' },
        ],
      });

    it('places planned tasks at the sites they name, and records the sites the job spans', async () => {
      await setUp();
      const [{ job }] = await store().submitJobs([transfer(), newJob({ site: 'a' })], T0);
      expect(job.site).toBe('a');
      expect(job.sites).toEqual(['a', 'b']);
      expect((await store().getJob(job.id))?.sites).toEqual(['a', 'b']);
      expect((await store().getJob(job.id + 1))?.sites).toEqual(['a']);
      const tasks = (await store().listTasks(job.id, { limit: 10 })).items;
      expect(tasks.map((t) => [t.type, t.site])).toEqual([
        ['export', 'a'],
        ['import', 'b'],
      ]);
    });

    it('refuses a plan that names an unknown site, writing nothing', async () => {
      await setUp();
      await expect(store().submitJobs([newJob({ site: 'a', tasks: [{ type: 'x', input: null, site: 'mars' }] })], T0)).rejects.toMatchObject({
        code: 'SWY_ERR_SITE_UNKNOWN',
      });
      expect((await store().listJobs({ sites: null, limit: 10 })).items).toHaveLength(0);
    });

    it("leases each task only to its site's workers, and runs the job across both", async () => {
      await setUp();
      const [{ job }] = await store().submitJobs([transfer()], T0);
      expect(await store().taskPlacement(job.id)).toEqual([
        { site: 'a', workerId: null, taskCounts: { queued: 1 } },
        { site: 'b', workerId: null, taskCounts: { created: 1 } },
      ]);
      expect(await lease('b')).toHaveLength(0);
      const [exported] = await lease('a');
      expect(exported.task).toMatchObject({ type: 'export', site: 'a' });
      await succeed(exported, T0 + 2);
      expect(await lease('a', T0 + 3)).toHaveLength(0);
      const [imported] = await lease('b', T0 + 3);
      expect(imported.task).toMatchObject({ type: 'import', site: 'b', workerId: 'w-b' });
      expect(await store().taskPlacement(job.id)).toEqual([
        { site: 'a', workerId: 'w-a', taskCounts: { success: 1 } },
        { site: 'b', workerId: 'w-b', taskCounts: { running: 1 } },
      ]);
      await succeed(imported, T0 + 4);
      expect(await store().getJob(job.id)).toMatchObject({ state: 'success', sites: ['a', 'b'] });
    });

    it('records sites spawned tasks reach; a spawned task runs at its parent’s site unless it names one', async () => {
      await setUp();
      const [{ job }] = await store().submitJobs([newJob({ site: 'a', tasks: [{ type: 'scan', input: null, site: 'b' }] })], T0);
      expect(job.sites).toEqual(['a', 'b']);
      const [scan] = await lease('b');
      await succeed(scan, T0 + 2, [
        { type: 'copy', input: null },
        { type: 'copy', input: null, site: 'c' },
        { type: 'report', input: null, site: 'a' },
      ]);
      const tasks = (await store().listTasks(job.id, { limit: 10 })).items;
      expect(tasks.map((t) => [t.type, t.site])).toEqual([
        ['scan', 'b'],
        ['copy', 'b'],
        ['copy', 'c'],
        ['report', 'a'],
      ]);
      expect((await store().getJob(job.id))?.sites).toEqual(['a', 'b', 'c']);
      expect((await lease('c', T0 + 3)).map((t) => t.task.type)).toEqual(['copy']);
    });

    it('fails a spawned task at an unknown site, with a reason, and the job with it', async () => {
      await setUp();
      const [{ job }] = await store().submitJobs([newJob({ site: 'a', tasks: [{ type: 'scan', input: null }] })], T0);
      const [scan] = await lease('a');
      await succeed(scan, T0 + 2, [
        { type: 'copy', input: null, key: 'copy', site: 'mars' },
        { type: 'report', input: null, after: ['copy'] },
      ]);
      const tasks = (await store().listTasks(job.id, { limit: 10 })).items;
      expect(tasks[1]).toMatchObject({ type: 'copy', site: 'mars', state: 'failure', reason: 'no site named "mars"' });
      expect(tasks[2]).toMatchObject({ type: 'report', state: 'cancelled' });
      const ended = await store().getJob(job.id);
      expect(ended).toMatchObject({ state: 'failure', sites: ['a'] });
      expect(ended?.reason).toContain('no site named "mars"');
    });

    it('finds the job from either site with the site filter, and keeps keyset pages whole', async () => {
      await setUp();
      await store().submitJobs([newJob({ site: 'a' }), transfer(), newJob({ site: 'b' }), newJob({ site: 'c' })], T0);
      const ids = async (sites: string[] | null, limit = 10) => (await store().listJobs({ sites, limit })).items.map((j) => j.id);
      expect(await ids(['a'])).toEqual([2, 1]);
      expect(await ids(['b'])).toEqual([3, 2]);
      expect(await ids(['c'])).toEqual([4]);
      expect(await ids(['a', 'b'])).toEqual([3, 2, 1]);
      expect(await ids(null)).toEqual([4, 3, 2, 1]);
      const first = await store().listJobs({ sites: ['b', 'c'], limit: 2 });
      const second = await store().listJobs({ sites: ['b', 'c'], limit: 2, cursor: first.nextCursor });
      expect([...first.items, ...second.items].map((j) => j.id)).toEqual([4, 3, 2]);
      expect((await store().listJobs({ sites: ['b'], limit: 10 })).items.map((j) => j.sites)).toEqual([['b'], ['a', 'b']]);
      // In the order of an instant, within a creation range, and filtered (SQLite reads these from a window of the order).
      const byCreation = { key: 'createdAt', desc: false } as const;
      expect((await store().listJobs({ sites: ['b'], limit: 10, sort: byCreation })).items.map((j) => j.id)).toEqual([2, 3]);
      expect((await store().listJobs({ sites: ['a'], limit: 10, createdFrom: T0, states: ['queued'] })).items.map((j) => j.id)).toEqual([2, 1]);
      const page = await store().listJobs({ sites: ['b', 'c'], limit: 1, sort: byCreation });
      const rest = await store().listJobs({ sites: ['b', 'c'], limit: 10, sort: byCreation, cursor: page.nextCursor });
      expect([...page.items, ...rest.items].map((j) => j.id)).toEqual([2, 3, 4]);
    });

    it("shows a job's events to the other sites it spans, and forgets its sites when it is deleted", async () => {
      await setUp();
      const [{ job }] = await store().submitJobs([transfer()], T0);
      const events = await store().listEvents(0, 100, ['b']);
      expect(events.some((e) => e.type === 'job:created' && e.jobId === job.id)).toBe(true);
      expect((await store().listEvents(0, 100, ['c'])).some((e) => e.jobId === job.id)).toBe(false);
      await store().controlJob(job.id, 'cancel', T0 + 1);
      await store().deleteJob(job.id, T0 + 2);
      expect((await store().listJobs({ sites: ['b'], limit: 10 })).items).toHaveLength(0);
    });
  });
}
