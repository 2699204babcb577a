import { describe, expect, it } from 'vitest';
import { type JobConcurrency, type LeasedTask, normalizeLocks } from '../../src/model/index.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w1', site: 'local', workflows: ['demo', 'other'], limit: 500, leaseMs: 30_000 };

/** Concurrency per workflow and per key: limits, first come first served, release on every ending, retry. */
export function describeConcurrencyConformance(harness: StoreHarness): void {
  describe(`concurrency conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    let clock = T0;
    const now = () => ++clock;

    const submit = async (concurrency: JobConcurrency | null, extra: Parameters<typeof newJob>[0] = {}) => {
      const [{ job }] = await store().submitJobs([newJob({ concurrency, ...extra })], now());
      return job.id;
    };
    const lease = async (): Promise<LeasedTask[]> => store().leaseTasks({ ...LEASE, now: now() });
    const jobsOf = (leased: LeasedTask[]) => leased.map((t) => t.job.id).sort((a, b) => a - b);
    const finish = async (leased: LeasedTask[], jobId: number, kind: 'succeeded' | 'failed' = 'succeeded') => {
      const t = leased.find((l) => l.job.id === jobId) as LeasedTask;
      const report = kind === 'succeeded' ? { kind, changed: true } : { kind, error: { message: 'no' }, retryable: false };
      await store().completeTasks([{ taskId: t.task.id, leaseToken: t.leaseToken, report } as never], now());
    };
    const limit = (n: number): JobConcurrency => ({ limit: n, perKey: null, key: null });
    const perKey = (n: number, key: string, workflowLimit: number | null = null): JobConcurrency => ({ limit: workflowLimit, perKey: n, key });

    it('runs at most `limit` jobs of a workflow at once, admitting the rest in submission order as jobs end', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 40; i++) ids.push(await submit(limit(3)));
      const unlimited = await submit(null, { workflow: 'other' });
      const running = await lease();
      expect(jobsOf(running)).toEqual([...ids.slice(0, 3), unlimited]);
      expect((await store().getJob(ids[3]))?.concurrencySlot).toBe('waiting');
      let live = running.filter((t) => t.job.id !== unlimited);
      for (let next = 3; next < ids.length; next++) {
        // The oldest running job ends; exactly the next in line starts.
        await finish(live, live[0].job.id);
        live = [...live.slice(1), ...(await lease())];
        expect(jobsOf(live)).toEqual(ids.slice(next - 2, next + 1));
      }
    });

    it('runs at most `perKey` jobs per key while other keys run, and a workflow limit over all keys', async () => {
      const a1 = await submit(perKey(1, 'tenant-a', 3));
      const a2 = await submit(perKey(1, 'tenant-a', 3));
      const b1 = await submit(perKey(1, 'tenant-b', 3));
      const c1 = await submit(perKey(1, 'tenant-c', 3));
      const d1 = await submit(perKey(1, 'tenant-d', 3));
      const b2 = await submit(perKey(1, 'tenant-b', 3));
      const first = await lease();
      // a2 waits for tenant-a; b1 and c1 pass it; d1 waits for the workflow limit of 3.
      expect(jobsOf(first)).toEqual([a1, b1, c1]);
      await finish(first, a1);
      // The freed slot goes to the earliest job whose key has room: a2 (tenant-a is free again).
      const second = await lease();
      expect(jobsOf(second)).toEqual([a2]);
      await finish(first, b1);
      expect(jobsOf(await lease())).toEqual([d1]);
      await finish(first, c1);
      expect(jobsOf(await lease())).toEqual([b2]);
    });

    it('with only a per-key limit, each key runs on its own', async () => {
      const keys = ['k1', 'k2', 'k3', 'k4'];
      const ids = new Map<string, number[]>();
      for (let i = 0; i < 5; i++) for (const key of keys) ids.set(key, [...(ids.get(key) ?? []), await submit(perKey(2, key))]);
      const running = await lease();
      expect(jobsOf(running)).toEqual(keys.flatMap((key) => (ids.get(key) as number[]).slice(0, 2)).sort((a, b) => a - b));
      await finish(running, (ids.get('k3') as number[])[0]);
      expect(jobsOf(await lease())).toEqual([(ids.get('k3') as number[])[2]]);
    });

    it('releases a slot however a job ends: failure, cancel before and after start, timeout, delete', async () => {
      const first = await submit(limit(1));
      const second = await submit(limit(1));
      const third = await submit(limit(1));
      const [t1] = await lease();
      expect(t1.job.id).toBe(first);
      await finish([t1], first, 'failed');
      const [t2] = await lease();
      expect(t2.job.id).toBe(second);

      // Cancelled while waiting: it leaves the line without freeing the running job's slot.
      await store().controlJob(third, 'cancel', now());
      const fourth = await submit(limit(1));
      expect(await lease()).toEqual([]);
      // Cancelled while running: the slot frees once its task stops.
      await store().controlJob(second, 'cancel', now());
      await store().completeTasks([{ taskId: t2.task.id, leaseToken: t2.leaseToken, report: { kind: 'stopped' } }], now());
      const [t4] = await lease();
      expect(t4.job.id).toBe(fourth);

      // Timed out.
      await finish([t4], fourth);
      const timed = await submit(limit(1), { timeoutMs: 1000 });
      const afterTimeout = await submit(limit(1));
      expect(jobsOf(await lease())).toEqual([timed]);
      clock += 10_000;
      expect(await store().timeoutJobs(now(), 10)).toBe(1);
      const [t5] = await lease();
      expect(t5.job.id).toBe(afterTimeout);

      // A deleted job had released its slot when it ended; the line goes on.
      await finish([t5], afterTimeout);
      await store().deleteJob(afterTimeout, now());
      const last = await submit(limit(1));
      expect(jobsOf(await lease())).toEqual([last]);
    });

    it('keeps the slot while a lost lease is retried (a worker or hub died), and frees it when the job fails', async () => {
      const first = await submit(limit(1));
      const second = await submit(limit(1));
      expect(jobsOf(await lease())).toEqual([first]);
      // The lease runs out: the task is queued again for its second attempt; the job keeps its slot.
      clock += 60_000;
      expect(await store().expireLeases(now(), 10)).toBe(1);
      clock += 60_000;
      expect(jobsOf(await lease())).toEqual([first]);
      expect((await store().getJob(second))?.concurrencySlot).toBe('waiting');
      // Out of attempts: the job fails and the next one starts.
      clock += 60_000;
      expect(await store().expireLeases(now(), 10)).toBe(1);
      expect((await store().getJob(first))?.state).toBe('failure');
      expect(jobsOf(await lease())).toEqual([second]);
    });

    it('a retried job re-enters the line, behind the limit like any other', async () => {
      const first = await submit(limit(1));
      const [t1] = await lease();
      await finish([t1], first, 'failed');
      const second = await submit(limit(1));
      const [t2] = await lease();
      expect(t2.job.id).toBe(second);
      await store().retryJob(first, now());
      expect((await store().getJob(first))?.concurrencySlot).toBe('waiting');
      expect(await lease()).toEqual([]);
      await finish([t2], second);
      expect(jobsOf(await lease())).toEqual([first]);
    });

    it('a job waiting for a lock takes no slot; once its lock is free it goes first in line', async () => {
      const locks = normalizeLocks(['res']);
      const holder = await submit(null, { workflow: 'other', locks });
      const locked = await submit(limit(1), { locks });
      const free = await submit(limit(1));
      const behind = await submit(limit(1));
      // `locked` waits for the lock; `free` takes the one slot.
      const first = await lease();
      expect(jobsOf(first)).toEqual([holder, free]);
      expect((await store().getJob(locked))?.lockWaitOn).toBe(holder);
      await finish(first, holder);
      // Lock free, but the slot is taken.
      expect(await lease()).toEqual([]);
      await finish(first, free);
      // The earliest in line, `locked`, gets the slot before `behind`.
      const second = await lease();
      expect(jobsOf(second)).toEqual([locked]);
      await finish(second, locked);
      expect(jobsOf(await lease())).toEqual([behind]);
    });

    it('keeps the key computed at submission on the job', async () => {
      const id = await submit(perKey(1, 'device-7'));
      expect(await store().getJob(id)).toMatchObject({ concurrencyKey: 'device-7', concurrencySlot: 'held' });
      const use = await store().concurrencyUse(['demo']);
      expect(use.get('demo')).toMatchObject({ limit: null, perKey: 1, held: 1 });
      expect(use.get('demo')?.heldByKey.get('device-7')).toBe(1);
    });
  });
}
