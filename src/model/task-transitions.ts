import { assertNever } from './assert-never.js';
import type { TaskState } from './task-state.js';

/**
 * Everything that can happen to a task. Each event names who sends it:
 * the engine (ready, lease, expire, abort), a worker's report (finish, fail, stop, release)
 * or an operator's control on the job (cancel, pause, resume, rerun).
 */
export type TaskEvent =
  /** Its dependencies have finished. */
  | { type: 'ready' }
  /** A worker leased it. */
  | { type: 'lease' }
  /** The handler ran to the end. */
  | { type: 'finish'; result: 'success' | 'error' | 'skipped' | 'unknown' }
  /** The handler threw; `retry` says whether an attempt is left and the error allows one. */
  | { type: 'fail'; retry: boolean }
  /** The handler stopped because it was asked to (cancel or pause). */
  | { type: 'stop' }
  /** The worker handed the task back without running it to the end (shutdown). */
  | { type: 'release' }
  /** The lease ran out without a heartbeat; `retry` as for `fail`. */
  | { type: 'expire'; retry: boolean }
  /** Stopped from outside mid-way (the job timed out): the work is left incomplete. */
  | { type: 'abort' }
  | { type: 'cancel' }
  | { type: 'pause' }
  /** `waiting`: some dependency has not finished, so the task goes back to `created`. */
  | { type: 'resume'; waiting: boolean }
  /** A job retry re-runs a task that did not succeed. */
  | { type: 'rerun'; waiting: boolean };

export type TaskEventType = TaskEvent['type'];

/**
 * The one place that decides task transitions. Returns the next state, or null when the
 * event does not apply to a task in `state` (the caller treats that as "nothing to do").
 */
export function transitionTask(state: TaskState, event: TaskEvent): TaskState | null {
  switch (event.type) {
    case 'ready':
      return state === 'created' ? 'queued' : null;
    case 'lease':
      return state === 'queued' ? 'running' : null;
    case 'finish':
      return state === 'running' || state === 'cancelling' || state === 'pausing' ? event.result : null;
    case 'fail':
      if (state === 'running') return event.retry ? 'queued' : 'failure';
      if (state === 'pausing') return event.retry ? 'paused' : 'failure';
      if (state === 'cancelling') return 'cancelled';
      return null;
    case 'stop':
      if (state === 'cancelling') return 'cancelled';
      if (state === 'pausing') return 'paused';
      if (state === 'running') return 'aborted';
      return null;
    case 'release':
      if (state === 'running') return 'queued';
      if (state === 'pausing') return 'paused';
      if (state === 'cancelling') return 'cancelled';
      return null;
    case 'expire':
      if (state === 'running') return event.retry ? 'queued' : 'failure';
      // Out of attempts, a pausing task fails like a running one: resuming must not run it again.
      if (state === 'pausing') return event.retry ? 'paused' : 'failure';
      if (state === 'cancelling') return 'cancelled';
      return null;
    case 'abort':
      return state === 'running' || state === 'pausing' || state === 'cancelling' ? 'aborted' : null;
    case 'cancel':
      if (state === 'created' || state === 'queued' || state === 'paused') return 'cancelled';
      if (state === 'running' || state === 'pausing') return 'cancelling';
      return null;
    case 'pause':
      if (state === 'created' || state === 'queued') return 'paused';
      if (state === 'running') return 'pausing';
      return null;
    case 'resume':
      if (state === 'paused') return event.waiting ? 'created' : 'queued';
      if (state === 'pausing') return 'running';
      return null;
    case 'rerun':
      if (state === 'error' || state === 'failure' || state === 'cancelled' || state === 'aborted' || state === 'unknown') {
        return event.waiting ? 'created' : 'queued';
      }
      return null;
    default:
      return assertNever(event, 'task event');
  }
}
