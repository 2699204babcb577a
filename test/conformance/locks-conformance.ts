import { describe, expect, it } from 'vitest';
import { type LeasedTask, type LockMode, normalizeLocks } from '../../src/model/index.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w1', site: 'local', workflows: ['demo'], limit: 100, leaseMs: 30_000 };

/** Resource locks between jobs: conflicts, prefixes, modes, first come first served, release on every ending. */
export function describeLocksConformance(harness: StoreHarness): void {
  describe(`resource locks conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    let clock = T0;
    const now = () => ++clock;

    const submit = async (...locks: (string | [string, LockMode])[]) => {
      const [{ job }] = await store().submitJobs(
        [newJob({ locks: normalizeLocks(locks.map((l) => (typeof l === 'string' ? l : { key: l[0], mode: l[1] }))) })],
        now(),
      );
      return job.id;
    };
    /** Job ids whose tasks a worker may lease now (leasing them). */
    const leasable = async (): Promise<LeasedTask[]> => store().leaseTasks({ ...LEASE, now: now() });
    const jobsOf = (leased: LeasedTask[]) => leased.map((t) => t.job.id).sort((a, b) => a - b);
    /** Fails a leased task for good: its job ends in failure. */
    const fail = async (t: LeasedTask) => {
      await store().completeTasks(
        [{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'failed', error: { message: 'no' }, retryable: false } }],
        now(),
      );
    };
    const finish = async (leased: LeasedTask[], jobId: number) => {
      const t = leased.find((l) => l.job.id === jobId) as LeasedTask;
      await store().completeTasks([{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: true } }], now());
    };

    it('keeps conflicting jobs apart by key prefix, and lets unrelated keys run together', async () => {
      const a = await submit('projects/a');
      const sibling = await submit('projects/ab');
      const parent = await submit('projects');
      const child = await submit('projects/a/b');
      const first = await leasable();
      expect(jobsOf(first)).toEqual([a, sibling]);
      // It waits on the latest earlier job it conflicts with.
      expect((await store().getJob(parent))?.lockWaitOn).toBe(sibling);
      await finish(first, a);
      // The parent still overlaps the sibling; the child waits behind the parent (first come, first served).
      expect(jobsOf(await leasable())).toEqual([]);
      expect((await store().getJob(parent))?.lockWaitOn).toBe(sibling);
      await finish(first, sibling);
      const second = await leasable();
      expect(jobsOf(second)).toEqual([parent]);
      expect((await store().getJob(child))?.lockWaitOn).toBe(parent);
      await finish(second, parent);
      expect(jobsOf(await leasable())).toEqual([child]);
    });

    it('lets shared locks coexist, and never lets a stream of shared locks starve an exclusive one', async () => {
      const s1 = await submit(['db/main', 'shared']);
      const s2 = await submit(['db/main', 'shared']);
      const x = await submit('db/main');
      const s3 = await submit(['db/main', 'shared']);
      const first = await leasable();
      expect(jobsOf(first)).toEqual([s1, s2]);
      expect((await store().getJob(s3))?.lockWaitOn).toBe(x);
      await finish(first, s1);
      expect(jobsOf(await leasable())).toEqual([]);
      await finish(first, s2);
      const second = await leasable();
      expect(jobsOf(second)).toEqual([x]);
      await finish(second, x);
      expect(jobsOf(await leasable())).toEqual([s3]);
    });

    it('releases locks however a job ends: failure, cancel before and after start, timeout', async () => {
      await submit('r');
      const next = await submit('r');
      const [t] = await leasable();
      await fail(t);
      const leased = await leasable();
      expect(jobsOf(leased)).toEqual([next]);

      const waiting = await submit('r');
      const behind = await submit('r');
      await store().controlJob(waiting, 'cancel', now());
      expect((await store().getJob(behind))?.lockWaitOn).toBe(next);
      await store().controlJob(next, 'cancel', now());
      await store().completeTasks([{ taskId: leased[0].task.id, leaseToken: leased[0].leaseToken, report: { kind: 'stopped' } }], now());
      expect((await store().getJob(behind))?.lockWaitOn).toBeNull();
      expect(jobsOf(await leasable())).toEqual([behind]);

      const [{ job: timed }] = await store().submitJobs([newJob({ timeoutMs: 1000, locks: normalizeLocks(['t']) })], now());
      const afterTimeout = await submit('t');
      const [running] = (await leasable()).filter((l) => l.job.id === timed.id);
      expect(running).toBeDefined();
      clock += 10_000;
      expect(await store().timeoutJobs(now(), 10)).toBe(1);
      expect(jobsOf(await leasable())).toEqual([afterTimeout]);
    });

    it('refuses to retry a job once a later job ran against its resources, unless forced', async () => {
      const first = await submit('p/1');
      const [t] = await leasable();
      await fail(t);
      const unrelated = await submit('p/2');
      const [u] = await leasable();
      await finish([u], unrelated);
      // An unrelated later job does not stand in the way.
      await store().retryJob(first, now());
      const [again] = await leasable();
      await fail(again);
      const later = await submit('p');
      const [l] = await leasable();
      await finish([l], later);
      await expect(store().retryJob(first, now())).rejects.toMatchObject({
        code: 'SWY_ERR_RETRY_SUPERSEDED',
        message: expect.stringContaining(`Job ${later}`),
      });
      expect((await store().getJob(first))?.state).toBe('failure');
      await store().retryJob(first, now(), { force: true });
      expect(jobsOf(await leasable())).toEqual([first]);
    });

    it('puts a retried job at the back of the line: it and the jobs already waiting never wait on each other', async () => {
      const retried = await submit('k');
      const [r] = await leasable();
      await fail(r);
      const running = await submit('k');
      const first = await leasable();
      expect(jobsOf(first)).toEqual([running]);
      const waiting = await submit('k');
      expect((await store().getJob(waiting))?.lockWaitOn).toBe(running);
      // The retry was submitted first but takes its locks last: it waits on the latest holder.
      await store().retryJob(retried, now(), { force: true });
      expect((await store().getJob(retried))?.lockWaitOn).toBe(waiting);
      await finish(first, running);
      // The waiting job does not now wait on the retried one (which waits on it): it runs.
      expect((await store().getJob(waiting))?.lockWaitOn).toBeNull();
      const second = await leasable();
      expect(jobsOf(second)).toEqual([waiting]);
      expect((await store().getJob(retried))?.lockWaitOn).toBe(waiting);
      await finish(second, waiting);
      const third = await leasable();
      expect(jobsOf(third)).toEqual([retried]);
      await finish(third, retried);
      expect((await store().getJob(retried))?.state).toBe('success');
      // A job submitted after the retry waits behind it, as any later job would.
      const after = await submit('k');
      expect((await store().getJob(after))?.lockWaitOn).toBeNull();
    });
  });
}
