import type { TaskCounts } from './task-counts.js';

/** The few task counts lists and exports show for a job, from its counts by state. */
export interface TaskTallies {
  /** Waiting to run: created (waiting on other tasks) or queued. */
  queued: number;
  /** Leased by a worker, including those asked to pause or cancel. */
  running: number;
  /** Did their work, or found nothing to do (skipped). */
  succeeded: number;
  /** Did not do all their work: completed with errors, failed, or aborted mid-way. */
  failed: number;
}

/**
 * The one definition of the list's task tallies: the console's columns, the CSV export and
 * the CLI all use it, so that "Failed" means the same everywhere.
 */
export function taskTallies(counts: Partial<TaskCounts>): TaskTallies {
  const n = (state: keyof TaskCounts) => counts[state] ?? 0;
  return {
    queued: n('created') + n('queued'),
    running: n('running') + n('pausing') + n('cancelling'),
    succeeded: n('success') + n('skipped'),
    failed: n('error') + n('failure') + n('aborted'),
  };
}
