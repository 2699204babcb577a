import { TASK_STATES, type TaskState } from './task-state.js';

/** How many tasks of a job are in each state; kept on the job row as tasks move. */
export type TaskCounts = Record<TaskState, number>;

export function emptyTaskCounts(): TaskCounts {
  const counts = {} as TaskCounts;
  for (const state of TASK_STATES) counts[state] = 0;
  return counts;
}

/** The stored form: only states with tasks in them. */
export function sparseTaskCounts(counts: TaskCounts): Partial<TaskCounts> {
  const sparse: Partial<TaskCounts> = {};
  for (const state of TASK_STATES) if (counts[state] > 0) sparse[state] = counts[state];
  return sparse;
}

export function totalTasks(counts: TaskCounts): number {
  let total = 0;
  for (const state of TASK_STATES) total += counts[state];
  return total;
}

/** Item outcomes a task can record. `queued` items are known but not processed yet. */
export const ItemOutcome = {
  queued: 'queued',
  completed: 'completed',
  failed: 'failed',
  skipped: 'skipped',
} as const;
export type ItemOutcome = (typeof ItemOutcome)[keyof typeof ItemOutcome];
export const ITEM_OUTCOMES: readonly ItemOutcome[] = Object.values(ItemOutcome);

export type ItemCounts = Partial<Record<ItemOutcome, number>>;
