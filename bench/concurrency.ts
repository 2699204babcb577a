import type { JobConcurrency } from '../src/model/index.js';
import { benchStore } from './bench-store.js';
import { admitAll, newJobSpec } from './lock-jobs.js';
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
        return await admitAll(store, jobs, 'a slot');
      } finally {
        await dispose();
      }
    },
  },
];
