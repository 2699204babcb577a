import { describe, expect, it } from 'vitest';
import { progressPercent } from '../../src/model/index.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w1', site: 'local', workflows: ['demo'], leaseMs: 30_000 };

/**
 * Progress kept on the job row as its tasks move (rules in src/model/progress.ts): planned
 * tasks count in the total, a task's own report fills its share, a finished job keeps the
 * percent it reached. Run against every backend.
 */
export function describeProgressConformance(harness: StoreHarness): void {
  describe(`progress conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'work', input: i }));
    const percent = async (jobId: number) => {
      const job = await store().getJob(jobId);
      if (!job) throw new Error(`job ${jobId} is gone`);
      return progressPercent(job.progress);
    };

    it('counts planned tasks: 8 of 30 one-unit tasks done reads about 27 %', async () => {
      const [{ job }] = await store().submitJobs([newJob({ tasks: tasks(30) })], T0);
      const leased = await store().leaseTasks({ ...LEASE, limit: 9, now: T0 + 1 });
      const done = leased.slice(0, 8).map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded' as const, changed: false } }));
      await store().completeTasks(done, T0 + 2);
      // The ninth is nearly done: it still is one task of thirty.
      const ninth = leased[8];
      await store().recordActivity([{ taskId: ninth.task.id, leaseToken: ninth.leaseToken, progress: { done: 990, total: 1000 } }], T0 + 3);
      expect(await percent(job.id)).toBeCloseTo(29.9, 1);
      await store().recordActivity([{ taskId: ninth.task.id, leaseToken: ninth.leaseToken, progress: { done: 0, total: 1000 } }], T0 + 4);
      expect(await percent(job.id)).toBeCloseTo(26.6, 1);
    });

    it('fills half a task’s unit for a report of 500 of 1000', async () => {
      const [{ job }] = await store().submitJobs([newJob({ tasks: tasks(2) })], T0);
      const [a] = await store().leaseTasks({ ...LEASE, limit: 1, now: T0 + 1 });
      await store().recordActivity([{ taskId: a.task.id, leaseToken: a.leaseToken, progress: { done: 500, total: 1000 } }], T0 + 2);
      expect(await percent(job.id)).toBe(25);
      expect((await store().getTask(a.task.id))?.progress).toEqual({ done: 500, total: 1000 });
      await store().completeTasks([{ taskId: a.task.id, leaseToken: a.leaseToken, report: { kind: 'succeeded', changed: false } }], T0 + 3);
      expect(await percent(job.id)).toBe(50);
    });

    it('keeps the percent reached when the job is cancelled', async () => {
      const [{ job }] = await store().submitJobs([newJob({ tasks: tasks(1) })], T0);
      const [a] = await store().leaseTasks({ ...LEASE, limit: 1, now: T0 + 1 });
      await store().recordActivity([{ taskId: a.task.id, leaseToken: a.leaseToken, progress: { done: 30, total: 15_000 } }], T0 + 2);
      await store().controlJob(job.id, 'cancel', T0 + 3);
      await store().completeTasks([{ taskId: a.task.id, leaseToken: a.leaseToken, report: { kind: 'stopped' } }], T0 + 4);
      expect(await store().getJob(job.id)).toMatchObject({ state: 'cancelled' });
      expect(await percent(job.id)).toBe(0.2);
    });

    it('reads 100 % on success and starts a retried task again from zero', async () => {
      const [{ job }] = await store().submitJobs([newJob({ tasks: tasks(2), retry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 0 } })], T0);
      const [a, b] = await store().leaseTasks({ ...LEASE, limit: 2, now: T0 + 1 });
      await store().recordActivity([{ taskId: b.task.id, leaseToken: b.leaseToken, progress: { done: 1, total: 4 } }], T0 + 2);
      await store().completeTasks(
        [
          { taskId: a.task.id, leaseToken: a.leaseToken, report: { kind: 'succeeded', changed: false } },
          { taskId: b.task.id, leaseToken: b.leaseToken, report: { kind: 'failed', retryable: false, error: { message: 'boom' } } },
        ],
        T0 + 3,
      );
      expect(await store().getJob(job.id)).toMatchObject({ state: 'failure' });
      expect(await percent(job.id)).toBe(62.5);
      await store().retryJob(job.id, T0 + 4);
      expect(await percent(job.id)).toBe(50);
      const [again] = await store().leaseTasks({ ...LEASE, limit: 1, now: T0 + 5 });
      await store().completeTasks([{ taskId: again.task.id, leaseToken: again.leaseToken, report: { kind: 'succeeded', changed: false } }], T0 + 6);
      expect(await store().getJob(job.id)).toMatchObject({ state: 'success', progress: { done: 2000, total: 2000 } });
      expect(await percent(job.id)).toBe(100);
    });
  });
}
