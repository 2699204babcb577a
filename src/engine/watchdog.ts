import type { Store } from '../store/store.js';
import type { Duty } from './duty-loop.js';

/**
 * The watchdog: settles tasks whose worker went silent (lease expired) and fails jobs that
 * recorded no activity for longer than their timeout. Works in bounded rounds so that a
 * backlog after an outage is cleared over a few rounds without one huge transaction.
 */
export function watchdogDuty(store: Store, intervalMs: number): Duty {
  return {
    name: 'watchdog',
    intervalMs,
    async run(now) {
      let done = 0;
      for (let round = 0; round < 20; round++) {
        const expired = await store.expireLeases(now, 500);
        done += expired;
        if (expired < 500) break;
      }
      done += await store.timeoutJobs(now, 100);
      return done;
    },
  };
}
