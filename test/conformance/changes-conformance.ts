import { describe, expect, it } from 'vitest';
import { compareItemStates, type NewChange, type NewItem } from '../../src/model/index.js';
import type { LeasedTask } from '../../src/store/store.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w', site: 'local', workflows: ['demo'], limit: 10, leaseMs: 30_000 };

/**
 * Change sets (R27) and the items worth their tabs: a task's changes stored with its job and
 * read back by kind and path with counts; the previous run and the last record of each path
 * that the comparison of two runs reads; queued items settled by a later outcome; item
 * statistics per operation; and a retry of failed items only, whose tasks are told their
 * failed paths at lease. Run against every backend.
 */
export function describeChangesConformance(harness: StoreHarness): void {
  describe(`changes conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    const lease = async (now: number) => store().leaseTasks({ ...LEASE, now });
    const finish = (t: LeasedTask, now: number, extra: { items?: NewItem[]; changes?: NewChange[] } = {}) =>
      store().completeTasks([{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: true }, ...extra }], now);
    /** Runs a one-task job to its end, recording `items` and `changes`. */
    const run = async (items: NewItem[], changes: NewChange[] = [], overrides: Parameters<typeof newJob>[0] = {}) => {
      const [{ job }] = await store().submitJobs([newJob(overrides)], T0);
      const [task] = await store().leaseTasks({ ...LEASE, site: job.site, workflows: [job.workflow], now: T0 + 1 });
      await finish(task, T0 + 2, { items, changes });
      return job.id;
    };
    const file = (path: string, bytes: number, outcome: NewItem['outcome'] = 'completed'): NewItem => ({ path, operation: 'copy', outcome, bytes });

    it('stores a task’s changes with its job and lists them by kind and path, with counts and pages', async () => {
      const text = 'line one\nline two\n';
      const jobId = await run(
        [],
        [
          { path: 'docs/a.txt', change: 'changed', sizeBefore: 9, sizeAfter: text.length, textBefore: 'line one\n', textAfter: text },
          { path: 'docs/b.bin', change: 'added', sizeAfter: 2048 },
          { path: 'old/c.txt', change: 'removed', sizeBefore: 5, textOmitted: true },
          { path: 'docs/d.txt', change: 'added', sizeAfter: 3, textAfter: 'new' },
        ],
      );
      const all = await store().listChanges(jobId, { cursor: null, limit: 10 });
      expect(all.items.map((c) => [c.path, c.change, c.hasText, c.textOmitted])).toEqual([
        ['docs/a.txt', 'changed', true, false],
        ['docs/b.bin', 'added', false, false],
        ['old/c.txt', 'removed', false, true],
        ['docs/d.txt', 'added', true, false],
      ]);
      expect(all.items[1]).toMatchObject({ jobId, sizeBefore: null, sizeAfter: 2048, at: T0 + 2 });
      expect(all.items[0].taskId).toBeGreaterThan(0);
      expect(await store().changeCounts(jobId)).toEqual({ added: 2, changed: 1, removed: 1 });
      expect(await store().changeCounts(jobId, 'DOCS/')).toEqual({ added: 2, changed: 1, removed: 0 });

      const added = await store().listChanges(jobId, { change: 'added', cursor: null, limit: 1 });
      expect(added.items.map((c) => c.path)).toEqual(['docs/b.bin']);
      const next = await store().listChanges(jobId, { change: 'added', cursor: added.nextCursor, limit: 1 });
      expect(next.items.map((c) => c.path)).toEqual(['docs/d.txt']);
      expect(next.nextCursor).toBeNull();
      // LIKE's wildcards in the filter match themselves.
      expect((await store().listChanges(jobId, { path: '%', cursor: null, limit: 10 })).items).toHaveLength(0);

      const detail = await store().getChange(jobId, all.items[0].id);
      expect(detail).toMatchObject({ path: 'docs/a.txt', textBefore: 'line one\n', textAfter: text });
      expect(await store().getChange(jobId + 1, all.items[0].id)).toBeNull();
    });

    it('keeps text in any script and 64 KiB whole, and drops changes with their job', async () => {
      const big = 'é'.repeat(32_768);
      const jobId = await run([], [{ path: 'ünï/кот.txt', change: 'changed', textBefore: big, textAfter: `${big.slice(1)}x` }]);
      const [listed] = (await store().listChanges(jobId, { cursor: null, limit: 10 })).items;
      const detail = await store().getChange(jobId, listed.id);
      expect(detail?.textBefore).toBe(big);
      expect(detail?.path).toBe('ünï/кот.txt');
      await store().deleteJob(jobId, T0 + 10);
      expect((await store().listChanges(jobId, { cursor: null, limit: 10 })).items).toHaveLength(0);
      expect(await store().changeCounts(jobId)).toEqual({ added: 0, changed: 0, removed: 0 });
    });

    it('finds the previous run of the same workflow at the same site, and each path’s last record', async () => {
      const first = await run([file('a', 1), file('b', 2), file('c', 3, 'failed')]);
      await run([file('z', 1)], [], { workflow: 'other' });
      await run([file('z', 1)], [], { site: 'elsewhere' });
      const second = await run([file('a', 1), file('b', 20), file('c', 3), file('d', 4), file('b', 21)]);
      expect(await store().previousRun({ id: first, workflow: 'demo', site: 'local', scheduleId: null })).toBeNull();
      expect(await store().previousRun({ id: second, workflow: 'demo', site: 'local', scheduleId: null })).toBe(first);
      const latest = await store().latestItems(second, 100);
      expect(latest.map((i) => [i.path, i.bytes, i.outcome]).sort()).toEqual([
        ['a', 1, 'completed'],
        ['b', 21, 'completed'],
        ['c', 3, 'completed'],
        ['d', 4, 'completed'],
      ]);
      const comparison = compareItemStates(await store().latestItems(first, 100), latest);
      expect(comparison.counts).toEqual({ added: 1, removed: 0, changed: 2, unchanged: 1 });
      expect(comparison.differences.map((d) => [d.path, d.kind])).toEqual([
        ['b', 'changed'],
        ['c', 'changed'],
        ['d', 'added'],
      ]);
      expect(await store().latestItems(second, 2)).toHaveLength(2);
    });

    it('settles queued items once their path is recorded with another outcome, and counts item records per operation', async () => {
      const [{ job }] = await store().submitJobs([newJob()], T0);
      const [task] = await lease(T0 + 1);
      const ref = { taskId: task.task.id, leaseToken: task.leaseToken };
      await store().recordActivity([{ ...ref, items: [file('a', 0, 'queued'), file('b', 0, 'queued'), file('c', 0, 'queued')] }], T0 + 2);
      expect((await store().getJob(job.id))?.itemCounts).toMatchObject({ queued: 3, completed: 0 });
      expect((await store().listItems(job.id, { outcome: 'queued', cursor: null, limit: 10 })).items.map((i) => i.path)).toEqual(['a', 'b', 'c']);
      await store().recordActivity(
        [
          {
            ...ref,
            items: [file('a', 5), { path: 'b', operation: 'copy', outcome: 'failed', bytes: null, error: 'denied' }, file('d', 0, 'queued'), file('d', 7)],
          },
        ],
        T0 + 3,
      );
      expect((await store().getJob(job.id))?.itemCounts).toMatchObject({ queued: 1, completed: 2, failed: 1 });
      expect((await store().listItems(job.id, { outcome: 'queued', cursor: null, limit: 10 })).items.map((i) => i.path)).toEqual(['c']);
      await store().recordActivity([{ ...ref, items: [{ path: 'c', operation: 'delete', outcome: 'skipped', bytes: null }] }], T0 + 4);
      expect((await store().getJob(job.id))?.itemCounts).toMatchObject({ queued: 0, completed: 2, failed: 1, skipped: 1 });
      expect(await store().itemStats(job.id)).toEqual([
        { operation: 'copy', outcome: 'completed', count: 2, bytes: 12 },
        { operation: 'copy', outcome: 'failed', count: 1, bytes: 0 },
        { operation: 'delete', outcome: 'skipped', count: 1, bytes: 0 },
      ]);
    });

    it('retries only the tasks with failed items, handing each the paths whose last record failed', async () => {
      const [{ job }] = await store().submitJobs(
        [
          newJob({
            tasks: [
              { type: 'copy', input: 1 },
              { type: 'copy', input: 2 },
              { type: 'copy', input: 3 },
            ],
          }),
        ],
        T0,
      );
      const [one, two, three] = await lease(T0 + 1);
      expect(one.retryPaths ?? null).toBeNull();
      const failed = (path: string): NewItem => ({ path, operation: 'copy', outcome: 'failed', bytes: null, error: 'denied' });
      await finish(one, T0 + 2, { items: [failed('x'), file('y', 1), failed('z'), file('x', 1), failed('w')] });
      await finish(two, T0 + 2, { items: [file('p', 1)] });
      await store().completeTasks(
        [{ taskId: three.task.id, leaseToken: three.leaseToken, report: { kind: 'failed', error: { message: 'boom' }, retryable: false } }],
        T0 + 2,
      );
      expect((await store().getJob(job.id))?.state).toBe('failure');

      const retried = await store().retryJob(job.id, T0 + 3, { items: 'failed' });
      expect(retried.state).not.toBe('failure');
      const again = await lease(T0 + 4);
      expect(again.map((t) => t.task.id)).toEqual([one.task.id]);
      expect(again[0].retryPaths).toEqual(['z', 'w']);
      await finish(again[0], T0 + 5, { items: [file('z', 1), file('w', 1)] });
      // The task that failed outright, without failed items, was not re-run.
      expect((await store().getJob(job.id))?.taskCounts).toMatchObject({ success: 2, failure: 1 });

      // A plain retry re-runs what did not succeed, and its tasks are told nothing.
      await store().retryJob(job.id, T0 + 6);
      const plain = await lease(T0 + 7);
      expect(plain.map((t) => [t.task.id, t.retryPaths ?? null])).toEqual([[three.task.id, null]]);
      await finish(plain[0], T0 + 8);
      await expect(store().retryJob(job.id, T0 + 9, { items: 'failed' })).rejects.toMatchObject({ code: 'SWY_ERR_JOB_STATE' });
    });
  });
}
