/**
 * Retention (R52): how long finished jobs are kept. A job's period is its workflow's
 * (`defineWorkflow({ retention: { days } })`), else its queue's (`retainDays`), else the hub's
 * default (`start --retain-days`); with none of the three it is kept. Pure: the engine's
 * retention duty turns a policy into cutoff instants, and the store prunes by them.
 */

const DAY_MS = 86_400_000;

/** Retention settings in days, by workflow and by queue, and the hub's default (null: keep). */
export interface RetentionPolicy {
  defaultDays: number | null;
  workflows: Record<string, number>;
  queues: Record<string, number>;
}

/**
 * The instants before which finished jobs are pruned: a job of a workflow in `byWorkflow`
 * follows that cutoff, else one of a queue in `byQueue`, else `otherwise` (null: kept).
 */
export interface PruneCutoffs {
  byWorkflow: Record<string, number>;
  byQueue: Record<string, number>;
  otherwise: number | null;
}

/** Days a job is kept, or null when it is kept for good. */
export function retainDaysFor(job: { workflow: string; queue: string }, policy: RetentionPolicy): number | null {
  return policy.workflows[job.workflow] ?? policy.queues[job.queue] ?? policy.defaultDays;
}

/** The policy as cutoffs at `now`, or null when it prunes nothing at all. */
export function pruneCutoffs(policy: RetentionPolicy, now: number): PruneCutoffs | null {
  const cut = (days: number) => now - Math.round(days * DAY_MS);
  const byWorkflow = Object.fromEntries(Object.entries(policy.workflows).map(([name, days]) => [name, cut(days)]));
  const byQueue = Object.fromEntries(Object.entries(policy.queues).map(([name, days]) => [name, cut(days)]));
  const otherwise = policy.defaultDays === null ? null : cut(policy.defaultDays);
  if (otherwise === null && Object.keys(byWorkflow).length === 0 && Object.keys(byQueue).length === 0) return null;
  return { byWorkflow, byQueue, otherwise };
}

/** The latest of the cutoffs: no job that ended at or after it is pruned (the prune scan's bound). */
export function latestCutoff(cutoffs: PruneCutoffs): number {
  const all = [...Object.values(cutoffs.byWorkflow), ...Object.values(cutoffs.byQueue), ...(cutoffs.otherwise === null ? [] : [cutoffs.otherwise])];
  return Math.max(...all);
}

/**
 * Events older than this are pruned: only with a hub default, and then no earlier than the
 * oldest cutoff, so that a job kept longer than the default keeps its events as long.
 */
export function eventsCutoff(cutoffs: PruneCutoffs): number | null {
  if (cutoffs.otherwise === null) return null;
  return Math.min(cutoffs.otherwise, ...Object.values(cutoffs.byWorkflow), ...Object.values(cutoffs.byQueue));
}
