import type { EnvelopeOnError } from './envelope-status.js';
import { isTerminalJobState, type JobState } from './job-state.js';

/**
 * How the jobs of an envelope follow one another. A member runs after the members it names
 * (`after`); until they are through it stays queued with a wait reason, its tasks not leased.
 * Pure: the store gathers the predecessors' states and applies the answer.
 */
export type ChainStep =
  /** Every predecessor is through: the member may start. */
  | { kind: 'go' }
  /** It waits for this predecessor (the lowest id still in the way). */
  | { kind: 'wait'; on: number }
  /** A predecessor did not succeed and the envelope stops on errors: the member is cancelled. */
  | { kind: 'stop'; failed: number };

/** Whether a predecessor in `state` lets its successors go: a success or a no-op always; any end with `continue`. */
export function releasesSuccessors(state: JobState, onError: EnvelopeOnError): boolean {
  if (state === 'success' || state === 'skipped') return true;
  return onError === 'continue' && isTerminalJobState(state);
}

/** Whether a member that ended in `state` stops the envelope (with `onError: 'stop'`). */
export function stopsEnvelope(state: JobState, onError: EnvelopeOnError): boolean {
  return onError === 'stop' && isTerminalJobState(state) && state !== 'success' && state !== 'skipped';
}

/** The next step of a member given its predecessors (id and state). */
export function chainStep(predecessors: readonly { id: number; state: JobState }[], onError: EnvelopeOnError): ChainStep {
  const sorted = [...predecessors].sort((a, b) => a.id - b.id);
  const failed = sorted.find((p) => stopsEnvelope(p.state, onError));
  if (failed) return { kind: 'stop', failed: failed.id };
  const blocking = sorted.find((p) => !releasesSuccessors(p.state, onError));
  return blocking ? { kind: 'wait', on: blocking.id } : { kind: 'go' };
}

/**
 * Checks a parsed envelope's `after` references: each names an earlier entry (by index), so
 * the graph has no cycle. Answers the first problem found, by entry, or null.
 */
export function chainProblem(afters: readonly (readonly number[])[]): { index: number; message: string } | null {
  for (let i = 0; i < afters.length; i++) {
    for (const ref of afters[i]) {
      if (!Number.isInteger(ref) || ref < 0 || ref >= afters.length) return { index: i, message: `after: no entry ${ref}` };
      if (ref >= i) return { index: i, message: `after: entry ${ref} is not before entry ${i} (entries may only run after earlier ones)` };
    }
  }
  return null;
}

/** A task that changed something, as rollback orders them. */
export interface ChangedTask {
  taskId: number;
  jobId: number;
  endedAt: number | null;
}

/** Compensations run newest first: by end instant, latest first, then by id, highest first. */
export function compensationOrder<T extends ChangedTask>(tasks: readonly T[]): T[] {
  return [...tasks].sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0) || b.taskId - a.taskId);
}

/** The task type of the compensation of `type`: the worker finds its handler in the workflow's `rollback`. */
export function compensationType(type: string): string {
  return `rollback:${type}`;
}

/** The original task type a compensation type undoes, or null when `type` is not one. */
export function compensatedType(type: string): string | null {
  return type.startsWith('rollback:') ? type.slice('rollback:'.length) : null;
}
