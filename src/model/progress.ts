import type { Progress } from './records.js';
import type { TaskState } from './task-state.js';

/**
 * How much of a job is done, in units a percent can be read from directly.
 *
 * Every task of a job is worth `TASK_PROGRESS_UNITS` units of the job's `total`, from the moment
 * it is planned (tasks waiting on others or on a worker count in the total, so 8 of 30 finished
 * tasks read 26.6 %, not 99 %). A task's `done` units are:
 *
 * - all of them once it ran to its end (`success`, `error`, `skipped`);
 * - otherwise the fraction it reported of its own work (`done / total` in whatever units the
 *   handler chose: items, bytes), floored, so a task at 500 of 1000 fills half its share and
 *   one at 999 of 1000 never reads complete. A task that reported nothing is at zero.
 *
 * A task that ended without doing its work (`cancelled`, `aborted`, `failure`, `unknown`) keeps
 * the fraction it had reached: a job cancelled after 18 of 15,000 items reads 0.1 %, not 100 %,
 * and a failed job shows how far it got. A task run again by a retry starts from zero.
 *
 * So the job's `progress: { done, total }` is `{ Σ task units, tasks × 1000 }` and
 * `progressPercent` is simply `done / total`.
 */
export const TASK_PROGRESS_UNITS = 1000;

const RAN_TO_END = new Set<TaskState>(['success', 'error', 'skipped']);

/** The task ran to its end: it fills its whole share of the job's progress, whatever it reported. */
export function ranToEnd(state: TaskState): boolean {
  return RAN_TO_END.has(state);
}

/** The units of its job's progress one task fills, from its state and its own reported progress. */
export function taskProgressUnits(state: TaskState, progress: Progress): number {
  if (ranToEnd(state)) return TASK_PROGRESS_UNITS;
  if (!(progress.total > 0) || !(progress.done > 0)) return 0;
  const fraction = Math.min(progress.done, progress.total) / progress.total;
  return Math.floor(fraction * TASK_PROGRESS_UNITS);
}

/** A job's progress from its tasks, for a job planned in one go (submit). */
export function jobProgress(tasks: readonly { state: TaskState; progress: Progress }[]): Progress {
  let done = 0;
  for (const task of tasks) done += taskProgressUnits(task.state, task.progress);
  return { done, total: tasks.length * TASK_PROGRESS_UNITS };
}

/**
 * The percent a progress reads, floored to one decimal so that nothing reads 100 before it is
 * all done and a cancel at 0.12 % does not read 0. No work at all (no tasks planned) reads 0.
 */
export function progressPercent(progress: Progress): number {
  if (!(progress.total > 0)) return 0;
  const done = Math.min(Math.max(progress.done, 0), progress.total);
  return Math.floor((done * 1000) / progress.total) / 10;
}
