import { type LockMode, normalizeLocks } from '../src/model/index.js';
import { benchStore } from './bench-store.js';
import { admitAll, newJobSpec } from './lock-jobs.js';
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
        return await admitAll(store, jobs, 'a lock');
      } finally {
        await dispose();
      }
    },
  },
];
