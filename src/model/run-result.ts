import type { JobIntent, JobState } from './job-state.js';
import type { JobOutcome } from './outcome.js';

/**
 * A run's result as one chip, the way a schedule's history reads (seed 002's "Result" column):
 * `pending` (waiting to start), `in-progress`, `up-to-date` (finished, no differences found),
 * `modified` (finished, differences found), `failed`, `timed-out` (the watchdog ended it for
 * inactivity), `cancelled`, `unknown`.
 */
export const RunResults = ['pending', 'in-progress', 'up-to-date', 'modified', 'failed', 'timed-out', 'cancelled', 'unknown'] as const;
export type RunResult = (typeof RunResults)[number];

/** The chip of one job, from its state, outcome and intent. */
export function runResult(job: { state: JobState; outcome: JobOutcome | null; intent: JobIntent }): RunResult {
  switch (job.state) {
    case 'created':
    case 'queued':
      return 'pending';
    case 'running':
    case 'pausing':
    case 'paused':
    case 'cancelling':
      return 'in-progress';
    case 'success':
    case 'skipped':
      return job.outcome === 'changed' ? 'modified' : 'up-to-date';
    // Completed with errors: some items failed, so the run did not do what it was for.
    case 'error':
      return 'failed';
    case 'failure':
      return job.intent === 'timeout' ? 'timed-out' : 'failed';
    case 'cancelled':
      return 'cancelled';
    case 'unknown':
      return 'unknown';
  }
}
