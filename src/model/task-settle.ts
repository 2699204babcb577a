import { assertNever } from './assert-never.js';
import { canRetry, retryDelayMs } from './retry.js';
import type { TaskReport } from './task-report.js';
import type { TaskState } from './task-state.js';
import { type TaskEvent, transitionTask } from './task-transitions.js';

/** The parts of a stored task that settling a report depends on. */
export interface SettleInput {
  state: TaskState;
  attempts: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Items this task recorded as failed: a task that returns normally with failed items ends `error`. */
  itemsFailed: number;
}

export interface Settlement {
  event: TaskEvent;
  next: TaskState;
  /** For a retry: when the task may be leased again. */
  availableAt?: number;
  /** Written on the task: why it ended where it did. */
  reason?: string;
  /** The attempt does not count (the worker gave the task back unrun). */
  refundAttempt?: boolean;
}

/**
 * Decides what a worker's report does to a task, or null when the report no longer applies
 * (the task moved on: the caller lost a race and changes nothing).
 */
export function settleTask(task: SettleInput, report: TaskReport, opts: { now: number; random: number }): Settlement | null {
  const event = reportEvent(task, report);
  const next = transitionTask(task.state, event);
  if (next === null) return null;
  const settlement: Settlement = { event, next };
  if (report.kind === 'failed') {
    settlement.reason = report.error.message;
    if (next === 'queued') {
      settlement.availableAt = opts.now + retryDelayMs(task.attempts, task, opts.random);
      settlement.reason = `retrying after attempt ${task.attempts} of ${task.maxAttempts}: ${report.error.message}`;
    }
  } else if (report.kind === 'skipped') {
    settlement.reason = report.reason;
  } else if (report.kind === 'stopped') {
    settlement.reason = report.reason ?? 'stopped on request';
    // Paused on request, the attempt is given back: resuming runs the same attempt again. The
    // worker's own words are not kept: it tells its handler "cancelled" for either stop.
    if (next === 'paused') {
      settlement.refundAttempt = true;
      settlement.reason = 'paused on request';
    }
  } else if (report.kind === 'released') {
    settlement.refundAttempt = true;
  } else if (report.kind === 'succeeded' && next === 'error') {
    settlement.reason = `${task.itemsFailed} item${task.itemsFailed === 1 ? '' : 's'} failed`;
  }
  return settlement;
}

function reportEvent(task: SettleInput, report: TaskReport): TaskEvent {
  switch (report.kind) {
    case 'succeeded':
      return { type: 'finish', result: task.itemsFailed > 0 ? 'error' : 'success' };
    case 'skipped':
      return { type: 'finish', result: task.itemsFailed > 0 ? 'error' : 'skipped' };
    case 'failed':
      return { type: 'fail', retry: report.retryable && canRetry(task.attempts, task.maxAttempts) };
    case 'stopped':
      return { type: 'stop' };
    case 'released':
      return { type: 'release' };
    default:
      return assertNever(report, 'task report');
  }
}

/** Decides what an expired lease does to a task (the watchdog's view of a silent worker). */
export function expireTask(task: SettleInput, opts: { now: number; random: number }): Settlement | null {
  const retry = canRetry(task.attempts, task.maxAttempts);
  const event: TaskEvent = { type: 'expire', retry };
  const next = transitionTask(task.state, event);
  if (next === null) return null;
  const settlement: Settlement = { event, next, reason: 'lease expired: the worker stopped answering' };
  if (next === 'queued') settlement.availableAt = opts.now + retryDelayMs(task.attempts, task, opts.random);
  if (next === 'failure') settlement.reason = `lease expired on each of ${task.attempts} attempts`;
  return settlement;
}
