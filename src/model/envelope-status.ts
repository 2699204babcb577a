import { isTerminalJobState, type JobState } from './job-state.js';

/**
 * Envelope statuses. An envelope's status is never set directly: `rollupEnvelopeStatus`
 * derives it from its member jobs' states and the envelope's own facts (corrupt, the control
 * asked for, its rollback), and the store writes the answer in the same transaction as the
 * member job changes that moved it.
 */
export const EnvelopeStatus = {
  /** Members are running or waiting; none has failed so far. Moved in at submission; out when a member fails or all end. */
  active: 'active',
  /** Members are still running or waiting, but some member failed, completed with errors or was cancelled. */
  errorsActive: 'errors-active',
  /** Every member ended successful (or had nothing to do). Terminal until rolled back. */
  success: 'success',
  /** Every member ended and some did not succeed (or were stopped by `onError: 'stop'`), or a rollback failed; `reason` says which. */
  errors: 'errors',
  /** The submission could not be read or validated: nothing ran; `reason` names the line or field at fault. Terminal. */
  corrupt: 'corrupt',
  /** An operator cancelled it: no further member starts, running ones were told to stop. */
  cancelled: 'cancelled',
  /** Its rollback job runs the compensations. */
  rollingBack: 'rolling-back',
  /** Its rollback job ended successfully. Terminal. */
  rolledBack: 'rolled-back',
} as const;
export type EnvelopeStatus = (typeof EnvelopeStatus)[keyof typeof EnvelopeStatus];

export const ENVELOPE_STATUSES: readonly EnvelopeStatus[] = Object.values(EnvelopeStatus);

/** What an envelope does when a member does not succeed: stop the rest (they end cancelled) or run them anyway. */
export type EnvelopeOnError = 'stop' | 'continue';

/** What was asked of the envelope: run on, cancelled by an operator, or stopped by a failed member (`onError: 'stop'`). */
export type EnvelopeIntent = 'run' | 'cancel' | 'stop';

/** Where the envelope's rollback stands: none asked, its job running, done, or failed (retry it). */
export type EnvelopeRollback = 'none' | 'running' | 'done' | 'failed';

/** The facts an envelope's status follows from. */
export interface EnvelopeFacts {
  /** Member jobs by state (the rollback job is not a member). */
  jobCounts: Partial<Record<JobState, number>>;
  corrupt: boolean;
  intent: EnvelopeIntent;
  rollback: EnvelopeRollback;
}

/** Member job states that count against the envelope ("errors"). */
const BAD: readonly JobState[] = ['error', 'failure', 'cancelled', 'unknown'];

/** Members not yet ended. */
export function unfinishedMembers(counts: Partial<Record<JobState, number>>): number {
  let n = 0;
  for (const [state, count] of Object.entries(counts) as [JobState, number][]) if (!isTerminalJobState(state)) n += count;
  return n;
}

/** Members that ended without succeeding. */
export function badMembers(counts: Partial<Record<JobState, number>>): number {
  return BAD.reduce((n, state) => n + (counts[state] ?? 0), 0);
}

/** Members that ended, however. */
export function finishedMembers(counts: Partial<Record<JobState, number>>): number {
  let n = 0;
  for (const [state, count] of Object.entries(counts) as [JobState, number][]) if (isTerminalJobState(state)) n += count;
  return n;
}

/**
 * The envelope's status. Precedence: corrupt > rollback (running, done, failed) > cancelled >
 * running members (errors-active when any member went bad) > ended (errors when any went bad,
 * or the envelope was stopped) > success.
 */
export function rollupEnvelopeStatus(facts: EnvelopeFacts): EnvelopeStatus {
  if (facts.corrupt) return 'corrupt';
  switch (facts.rollback) {
    case 'running':
      return 'rolling-back';
    case 'done':
      return 'rolled-back';
    case 'failed':
      return 'errors';
    case 'none':
      break;
  }
  if (facts.intent === 'cancel') return 'cancelled';
  const bad = badMembers(facts.jobCounts) > 0 || facts.intent === 'stop';
  if (unfinishedMembers(facts.jobCounts) > 0) return bad ? 'errors-active' : 'active';
  return bad ? 'errors' : 'success';
}

/** Whether the envelope still has members that may run (cancel applies). */
export function isEnvelopeOpen(status: EnvelopeStatus): boolean {
  return status === 'active' || status === 'errors-active';
}

/**
 * Why a rollback of an envelope in `status` is refused, or null when it may start (or, after
 * a failed rollback, run again). A running envelope, a corrupt one (nothing ran), one rolling
 * back or rolled back already, cannot.
 */
export function envelopeRollbackProblem(status: EnvelopeStatus, rollback: EnvelopeRollback): string | null {
  if (rollback === 'running') return 'it is being rolled back already';
  if (rollback === 'done') return 'it is rolled back already';
  switch (status) {
    case 'active':
    case 'errors-active':
      return 'some of its jobs are still running or waiting; wait for them or cancel the envelope first';
    case 'corrupt':
      return 'it is corrupt: nothing ran, so there is nothing to undo';
    case 'success':
    case 'errors':
    case 'cancelled':
    case 'rolling-back':
    case 'rolled-back':
      return null;
  }
}
