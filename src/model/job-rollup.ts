import { JobIntent, type JobState } from './job-state.js';
import type { TaskCounts } from './task-counts.js';

/**
 * How a job's state follows from its tasks. Pure: given the counts of tasks by state and
 * what the operator asked (intent), returns the job state. Every store calls this after
 * moving tasks, in the same transaction, and writes the answer on the job row.
 *
 * `started`: some task of the job has been leased before (the job holds a queue slot).
 *
 * Precedence once every task is finished: unknown > failure (failed or aborted tasks) >
 * cancelled > error > skipped (only when all were skipped) > success.
 */
export function rollupJobState(counts: TaskCounts, intent: JobIntent, started: boolean): JobState {
  if (intent === JobIntent.timeout) return 'failure';
  const active = counts.running + counts.cancelling + counts.pausing;
  const waiting = counts.created + counts.queued;
  const unfinished = active + waiting + counts.paused;
  const finished = counts.success + counts.error + counts.failure + counts.skipped + counts.cancelled + counts.aborted + counts.unknown;

  if (unfinished > 0) {
    // Cancelled only once nothing is left unfinished.
    if (intent === JobIntent.cancel) return 'cancelling';
    if (intent === JobIntent.pause || intent === JobIntent.pauseNow) return active > 0 ? 'pausing' : 'paused';
    if (active > 0) return counts.pausing > 0 && counts.running === 0 ? 'pausing' : 'running';
    if (counts.paused > 0 && waiting === 0) return 'paused';
    // A started job whose tasks wait again (a retry backoff, a dependency) is still running:
    // it keeps its slot in the queue.
    if (started) return 'running';
    return counts.queued > 0 ? 'queued' : 'created';
  }
  if (finished === 0) return 'skipped'; // planned no tasks at all: nothing to do
  if (counts.unknown > 0) return 'unknown';
  if (counts.failure > 0 || counts.aborted > 0) return 'failure';
  if (counts.cancelled > 0) return 'cancelled';
  if (counts.error > 0) return 'error';
  if (counts.skipped === finished) return 'skipped';
  return 'success';
}
