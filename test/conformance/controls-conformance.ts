import { describe, expect, it } from 'vitest';
import type { LeasedTask } from '../../src/store/store.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w1', site: 'local', workflows: ['demo'], leaseMs: 30_000 };

/**
 * Pausing and cancelling that settle visibly: the job says how many running tasks it waits
 * for, and "pause now" tells running tasks to stop. Run against every backend.
 */
export function describeControlsConformance(harness: StoreHarness): void {
  describe(`controls conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'work', input: i }));
    const beat = (leased: LeasedTask[], now: number) =>
      store().heartbeat({ workerId: 'w1', leases: leased.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken })), leaseMs: 30_000, now });
    const stopped = (t: LeasedTask, now: number) => store().completeTasks([{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'stopped' } }], now);

    it('says how many running tasks a pausing job waits for, kept current as they settle', async () => {
      const [{ job }] = await store().submitJobs([newJob({ tasks: tasks(4) })], T0);
      const leased = await store().leaseTasks({ ...LEASE, limit: 3, now: T0 + 1 });
      expect(await store().controlJob(job.id, 'pause', T0 + 2)).toMatchObject({ state: 'pausing', reason: 'waiting for 3 running tasks to stop' });
      // A plain pause lets running tasks finish: nobody is told to stop.
      expect((await beat(leased, T0 + 3)).stop).toEqual([]);
      await store().completeTasks([{ taskId: leased[0].task.id, leaseToken: leased[0].leaseToken, report: { kind: 'succeeded', changed: false } }], T0 + 4);
      expect(await store().getJob(job.id)).toMatchObject({ state: 'pausing', reason: 'waiting for 2 running tasks to stop' });
      await stopped(leased[1], T0 + 5);
      expect(await store().getJob(job.id)).toMatchObject({ state: 'pausing', reason: 'waiting for 1 running task to stop' });
      await stopped(leased[2], T0 + 6);
      expect(await store().getJob(job.id)).toMatchObject({ state: 'paused', reason: null });
    });

    it('says the same while cancelling, and why once cancelled', async () => {
      const [{ job }] = await store().submitJobs([newJob({ tasks: tasks(2) })], T0);
      const leased = await store().leaseTasks({ ...LEASE, limit: 2, now: T0 + 1 });
      expect(await store().controlJob(job.id, 'cancel', T0 + 2)).toMatchObject({ state: 'cancelling', reason: 'waiting for 2 running tasks to stop' });
      await stopped(leased[0], T0 + 3);
      expect(await store().getJob(job.id)).toMatchObject({ reason: 'waiting for 1 running task to stop' });
      await stopped(leased[1], T0 + 4);
      expect(await store().getJob(job.id)).toMatchObject({ state: 'cancelled', reason: 'cancelled on request' });
    });

    it('pauses now: running tasks are told to stop and go back to paused, their attempt not counted', async () => {
      const [{ job }] = await store().submitJobs([newJob({ tasks: tasks(3) })], T0);
      const leased = await store().leaseTasks({ ...LEASE, limit: 2, now: T0 + 1 });
      expect(await store().controlJob(job.id, 'pause', T0 + 2, { immediate: true })).toMatchObject({
        state: 'pausing',
        reason: 'waiting for 2 running tasks to stop',
      });
      const answer = await beat(leased, T0 + 3);
      expect(answer.stop).toEqual(leased.map((t) => ({ taskId: t.task.id, reason: 'pause' })));
      await stopped(leased[0], T0 + 4);
      await stopped(leased[1], T0 + 5);
      expect(await store().getJob(job.id)).toMatchObject({ state: 'paused', taskCounts: { paused: 3 } });
      expect(await store().getTask(leased[0].task.id)).toMatchObject({ state: 'paused', attempts: 0, reason: 'paused on request' });
      await store().controlJob(job.id, 'resume', T0 + 6);
      const again = await store().leaseTasks({ ...LEASE, limit: 3, now: T0 + 7 });
      expect(again).toHaveLength(3);
      expect((await beat(again, T0 + 8)).stop).toEqual([]);
    });

    it('pauses now a job already pausing, and refuses a finished one', async () => {
      const [{ job }] = await store().submitJobs([newJob({ tasks: tasks(1) })], T0);
      const leased = await store().leaseTasks({ ...LEASE, limit: 1, now: T0 + 1 });
      await store().controlJob(job.id, 'pause', T0 + 2);
      await expect(store().controlJob(job.id, 'pause', T0 + 3)).rejects.toMatchObject({ code: 'SWY_ERR_JOB_STATE' });
      expect(await store().controlJob(job.id, 'pause', T0 + 3, { immediate: true })).toMatchObject({ state: 'pausing' });
      expect((await beat(leased, T0 + 4)).stop).toEqual([{ taskId: leased[0].task.id, reason: 'pause' }]);
      await store().controlJob(job.id, 'cancel', T0 + 5);
      await stopped(leased[0], T0 + 6);
      await expect(store().controlJob(job.id, 'pause', T0 + 7, { immediate: true })).rejects.toMatchObject({ code: 'SWY_ERR_JOB_STATE' });
    });
  });
}
