/**
 * Job states. A job's state is never set directly: `rollupJobState` derives it from the
 * counts of its tasks by state and the control the operator asked for (its intent).
 */
export const JobState = {
  /** Accepted, not yet planned into tasks. */
  created: 'created',
  /** Planned; no task has started yet (waiting for a worker, the queue, a delay). */
  queued: 'queued',
  /** At least one task has started and some task is not finished. */
  running: 'running',
  /** Pause requested; tasks still running are finishing. */
  pausing: 'pausing',
  /** Paused: no task runs until resumed. */
  paused: 'paused',
  /** Cancel requested; running tasks have been told to stop. */
  cancelling: 'cancelling',
  /** Cancelled: no further task will run. Terminal. */
  cancelled: 'cancelled',
  /** Every task finished without failure and without failed items. Terminal. */
  success: 'success',
  /** Finished, but some tasks ended in error ("completed with errors"). Terminal. */
  error: 'error',
  /** Some task failed, or the job timed out; `reason` says which. Terminal. */
  failure: 'failure',
  /** No-op: every task was skipped. Terminal. */
  skipped: 'skipped',
  /** A result that could not be matched to any other state. Terminal. */
  unknown: 'unknown',
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

export const JOB_STATES: readonly JobState[] = Object.values(JobState);

const TERMINAL = new Set<JobState>(['cancelled', 'success', 'error', 'failure', 'skipped', 'unknown']);

export function isTerminalJobState(state: JobState): boolean {
  return TERMINAL.has(state);
}

/** Once started, a job in these states holds a slot of its queue's concurrency limit (a paused job keeps its slot). */
export const SLOT_HOLDING_JOB_STATES: readonly JobState[] = ['running', 'pausing', 'paused', 'cancelling'];

/** A job in these states may have tasks running, so it has an inactivity deadline the watchdog enforces (paused: none). */
export const TIMEABLE_JOB_STATES: readonly JobState[] = ['running', 'pausing', 'cancelling'];

/** Jobs waiting to start: accepted or queued (delayed ones included), as queues count them. */
export const WAITING_JOB_STATES: readonly JobState[] = ['created', 'queued'];

/**
 * The instants a job in `state` never holds: it has no start while created or queued (a
 * started job whose tasks wait again is running, see rollupJobState), and no end until its
 * state is terminal. The ledger keeps its rows so (JobBook); the jobs list relies on it: such
 * a list sorted by that instant is in id order.
 */
export function jobInstantUnset(state: JobState, instant: 'startedAt' | 'endedAt'): boolean {
  return instant === 'endedAt' ? !isTerminalJobState(state) : WAITING_JOB_STATES.includes(state);
}

/**
 * What an operator asked of a job, kept beside its state: the roll-up needs it to tell
 * "pausing" from "running" when the task counts alone are the same.
 */
export const JobIntent = {
  run: 'run',
  pause: 'pause',
  /** Pause now: as `pause`, and running tasks are told to stop at once (heartbeat `stop`, reason `pause`). */
  pauseNow: 'pause-now',
  cancel: 'cancel',
  /** The watchdog found no activity for longer than the workflow's timeout. */
  timeout: 'timeout',
} as const;
export type JobIntent = (typeof JobIntent)[keyof typeof JobIntent];
