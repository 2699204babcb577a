/**
 * Task states. Each line says who moves a task into the state and who moves it out.
 * Transitions themselves are decided only by `transitionTask` in task-transitions.ts.
 */
export const TaskState = {
  /** Planned but waiting for the tasks it depends on. In: plan/spawn with `after`. Out: `ready` when they finish, `cancel`, `pause`. */
  created: 'created',
  /** Ready to run, waiting for a worker (or for its `availableAt` after a retry backoff). In: submit, `ready`, retry, `resume`. Out: `lease`, `cancel`, `pause`. */
  queued: 'queued',
  /** Leased by a worker that is running its handler. In: `lease`. Out: the worker's report, lease expiry, `cancel`, `pause`. */
  running: 'running',
  /** Ran to the end and every item it recorded succeeded. Terminal. */
  success: 'success',
  /** Ran to the end but some items failed. Terminal; a job retry may re-run it. */
  error: 'error',
  /** Could not complete after its retries (threw, or its lease kept expiring). Terminal; a job retry may re-run it. */
  failure: 'failure',
  /** Nothing to do: no change would have occurred. Terminal. */
  skipped: 'skipped',
  /** Cancel was requested while running; the worker has been told to stop. Out: the worker's report or lease expiry. */
  cancelling: 'cancelling',
  /** Will never run (or stopped on request). Terminal; a job retry may re-run it. */
  cancelled: 'cancelled',
  /** Stopped mid-way (the job timed out, or the handler stopped on its own signal), leaving its work incomplete. Terminal. */
  aborted: 'aborted',
  /** Pause was requested while running; the handler may finish or stop at a safe point. Out: the worker's report, `resume`. */
  pausing: 'pausing',
  /** Held by a job pause. Out: `resume`, `cancel`. */
  paused: 'paused',
  /** A result that could not be matched to any other state. Terminal; a job retry may re-run it. */
  unknown: 'unknown',
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

export const TASK_STATES: readonly TaskState[] = Object.values(TaskState);

const TERMINAL = new Set<TaskState>(['success', 'error', 'failure', 'skipped', 'cancelled', 'aborted', 'unknown']);
/** States in which a worker holds a lease on the task. */
const LEASED = new Set<TaskState>(['running', 'cancelling', 'pausing']);

/** Tasks not yet finished: every state a job control or the watchdog may still move a task out of. */
export const UNFINISHED_TASK_STATES: readonly TaskState[] = TASK_STATES.filter((state) => !TERMINAL.has(state));

export function isTerminalTaskState(state: TaskState): boolean {
  return TERMINAL.has(state);
}

export function isLeasedTaskState(state: TaskState): boolean {
  return LEASED.has(state);
}
