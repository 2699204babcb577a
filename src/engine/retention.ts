import { eventsCutoff, pruneCutoffs, type RetentionPolicy } from '../model/index.js';
import type { Store } from '../store/store.js';
import type { Duty } from './duty-loop.js';

/** Jobs (and events) removed per transaction: small enough that no lock is held for long. */
export const PRUNE_BATCH = 500;
/** Batches per round: a backlog (a first run on a large database) is cleared over several rounds. */
const BATCHES_PER_ROUND = 20;

/**
 * Retention (R52): removes finished jobs older than their retention period — the workflow's
 * `retention.days`, else the queue's `retainDays`, else the hub's default (model/retention.ts)
 * — with their tasks, items, output and locks, and events older than the oldest period when
 * there is a default, in bounded batches of short transactions, on one hub at a time. The
 * policy is read each round (queue settings change while the hub runs). Each round that
 * removed jobs leaves an audit entry "pruned N jobs".
 */
export function retentionDuty(store: Store, policy: () => Promise<RetentionPolicy>, intervalMs: number): Duty {
  return {
    name: 'retention',
    intervalMs,
    async run(now) {
      const cutoffs = pruneCutoffs(await policy(), now);
      if (cutoffs === null) return 0;
      let jobs = 0;
      for (let i = 0; i < BATCHES_PER_ROUND; i++) {
        const removed = await store.pruneJobs(cutoffs, PRUNE_BATCH, now);
        jobs += removed;
        if (removed < PRUNE_BATCH) break;
      }
      let events = 0;
      const before = eventsCutoff(cutoffs);
      for (let i = 0; before !== null && i < BATCHES_PER_ROUND; i++) {
        const removed = await store.pruneEvents(before, PRUNE_BATCH);
        events += removed;
        if (removed < PRUNE_BATCH) break;
      }
      if (jobs > 0) await store.appendAudit({ at: now, actor: 'system', action: 'retention.prune', data: { jobs, events, endedBefore: cutoffs.otherwise } });
      return jobs + events;
    },
  };
}
