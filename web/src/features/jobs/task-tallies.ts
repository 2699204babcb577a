import type { Job } from '../../api/types.js';

/**
 * The three task counts of the jobs list. "Failed" counts every task that did not do all its
 * work: completed with errors, failure, aborted.
 */
export function taskTallies(job: Job): { queued: number; succeeded: number; failed: number } {
  const c = job.taskCounts;
  return {
    queued: (c.created ?? 0) + (c.queued ?? 0),
    succeeded: c.success ?? 0,
    failed: (c.error ?? 0) + (c.failure ?? 0) + (c.aborted ?? 0),
  };
}
