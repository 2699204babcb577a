import { performance } from 'node:perf_hooks';
import { type LockMode, normalizeLocks } from '../src/model/index.js';
import { benchStore } from './bench-store.js';
import { newJobSpec } from './lock-jobs.js';
import type { Measurement } from './measurements.js';

/**
 * Admission under resource locks: 10,000 queued one-task jobs, each holding one or two random
 * locks over twenty families of overlapping keys (40 % shared), are leased and completed by
 * one worker loop (up to 100 leases a call) until all have run. Measures jobs admitted (leased
 * and completed) per second — the cost of lock admission at submission, of release and
 * re-examination of waiters when each job ends, and of leasing around waiting jobs.
 */
export const lockMeasurements: Measurement[] = [
  {
    name: 'locks-admission',
    label: 'admission of 10,000 queued jobs holding random locks',
    unit: 'jobs/s',
    run: async ({ kind }) => {
      const { store, dispose } = await benchStore(kind);
      try {
        const total = 10_000;
        let seed = 7;
        const random = () => {
          seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
          return seed / 2 ** 31;
        };
        const keys = Array.from({ length: 20 }, (_, i) => [`r${i}`, `r${i}/a`, `r${i}/b`, `r${i}/a/x`]).flat();
        const jobs = Array.from({ length: total }, () =>
          newJobSpec(
            normalizeLocks(
              Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({
                key: keys[Math.floor(random() * keys.length)],
                mode: (random() < 0.4 ? 'shared' : 'exclusive') as LockMode,
              })),
            ),
          ),
        );
        let now = Date.now();
        const submitStarted = performance.now();
        for (let i = 0; i < total; i += 1000) await store.submitJobs(jobs.slice(i, i + 1000), ++now);
        const submitMs = performance.now() - submitStarted;
        const started = performance.now();
        let done = 0;
        while (done < total) {
          const leased = await store.leaseTasks({ workerId: 'bench', site: 'local', workflows: ['demo'], limit: 100, leaseMs: 60_000, now: ++now });
          if (leased.length === 0) throw new Error(`nothing leasable with ${total - done} jobs left: a lock was never released`);
          await store.completeTasks(
            leased.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: false } })),
            ++now,
          );
          done += leased.length;
        }
        const seconds = (performance.now() - started) / 1000;
        return { value: total / seconds, detail: `${total} jobs in ${seconds.toFixed(1)} s; submitting them took ${(submitMs / 1000).toFixed(1)} s` };
      } finally {
        await dispose();
      }
    },
  },
];
