import type { Store } from '../store/store.js';
import type { Duty } from './duty-loop.js';

/** Jobs (and events) removed per transaction: small enough that no lock is held for long. */
const BATCH = 500;
/** Batches per round: a backlog (a first run on a large database) is cleared over several rounds. */
const BATCHES_PER_ROUND = 20;

/**
 * Retention (R52): removes finished jobs that ended more than `retainMs` ago, with their tasks,
 * items, output and events, and events older than that, in bounded batches of short
 * transactions, on one hub at a time. Each round that removed jobs leaves an audit entry
 * "pruned N jobs".
 */
export function retentionDuty(store: Store, retainMs: number, intervalMs: number): Duty {
  return {
    name: 'retention',
    intervalMs,
    async run(now) {
      const before = now - retainMs;
      let jobs = 0;
      for (let i = 0; i < BATCHES_PER_ROUND; i++) {
        const removed = await store.pruneJobs(before, BATCH, now);
        jobs += removed;
        if (removed < BATCH) break;
      }
      let events = 0;
      for (let i = 0; i < BATCHES_PER_ROUND; i++) {
        const removed = await store.pruneEvents(before, BATCH);
        events += removed;
        if (removed < BATCH) break;
      }
      if (jobs > 0) await store.appendAudit({ at: now, actor: 'system', action: 'retention.prune', data: { jobs, events, endedBefore: before } });
      return jobs + events;
    },
  };
}
