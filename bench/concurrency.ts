import { performance } from 'node:perf_hooks';
import type { JobConcurrency } from '../src/model/index.js';
import { benchStore } from './bench-store.js';
import { newJobSpec } from './lock-jobs.js';
import type { Measurement } from './measurements.js';

/**
 * Admission under concurrency limits: 10,000 queued one-task jobs of a workflow limited to 100
 * at once and 2 per key, over 200 keys, are leased and completed by one worker loop (up to 100
 * leases a call) until all have run. Measures jobs admitted (leased and completed) per second:
 * the cost of the line at submission, of giving each freed slot to the next job when a job
 * ends, and of leasing while most jobs wait (their tasks are held out of the ready index).
 */
export const concurrencyMeasurements: Measurement[] = [
  {
    name: 'concurrency-admission',
    label: 'admission of 10,000 queued jobs, 100 at once and 2 per key',
    unit: 'jobs/s',
    run: async ({ kind }) => {
      const { store, dispose } = await benchStore(kind);
      try {
        const total = 10_000;
        const jobs = Array.from({ length: total }, (_, i) => {
          const concurrency: JobConcurrency = { limit: 100, perKey: 2, key: `tenant-${(i * 7919) % 200}` };
          return { ...newJobSpec([]), concurrency };
        });
        let now = Date.now();
        const submitStarted = performance.now();
        for (let i = 0; i < total; i += 1000) await store.submitJobs(jobs.slice(i, i + 1000), ++now);
        const submitMs = performance.now() - submitStarted;
        const started = performance.now();
        let done = 0;
        while (done < total) {
          const leased = await store.leaseTasks({ workerId: 'bench', site: 'local', workflows: ['demo'], limit: 100, leaseMs: 60_000, now: ++now });
          if (leased.length === 0) throw new Error(`nothing leasable with ${total - done} jobs left: a slot was never released`);
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
