import { signalKind } from './task-signals.js';

/** A JSON value as stored and sent: what handlers may return as a task's result. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface TaskErrorInfo {
  message: string;
  name?: string;
  stack?: string;
}

/** What a worker says happened to a task it ran. The store settles it with `settleTask`. */
export type TaskReport =
  | { kind: 'succeeded'; changed: boolean; result?: Json }
  | { kind: 'skipped'; reason?: string }
  | { kind: 'failed'; error: TaskErrorInfo; retryable: boolean }
  /** The handler stopped because its signal was aborted (cancel, pause or lease lost). */
  | { kind: 'stopped'; reason?: string }
  /** The worker gives the task back unrun, e.g. on shutdown; the attempt does not count. */
  | { kind: 'released' };

/** What a handler may return: `void` means it succeeded and changed nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers that return nothing are typed `void`, and must fit here
export type HandlerReturn = void | undefined | { changed?: boolean; result?: Json; skipped?: boolean; reason?: string };

/**
 * The classification pipeline from a handler's run to a report, in one place:
 * returned value → succeeded/skipped; thrown signal → skipped/failed(no retry);
 * aborted signal → stopped; anything else thrown → failed(retryable).
 */
export function classifyTaskRun(run: { ok: true; value: HandlerReturn } | { ok: false; thrown: unknown }, aborted: boolean): TaskReport {
  if (run.ok) {
    const value = run.value;
    if (value?.skipped) return { kind: 'skipped', reason: value.reason };
    return { kind: 'succeeded', changed: Boolean(value?.changed), result: value?.result };
  }
  const kind = signalKind(run.thrown);
  if (kind === 'skip') return { kind: 'skipped', reason: errorInfo(run.thrown).message };
  if (kind === 'fail') return { kind: 'failed', error: errorInfo(run.thrown), retryable: false };
  if (aborted) return { kind: 'stopped', reason: errorInfo(run.thrown).message };
  return { kind: 'failed', error: errorInfo(run.thrown), retryable: true };
}

export function errorInfo(thrown: unknown): TaskErrorInfo {
  if (thrown instanceof Error) {
    return { message: thrown.message || thrown.name, name: thrown.name, stack: thrown.stack };
  }
  return { message: typeof thrown === 'string' ? thrown : (JSON.stringify(thrown) ?? String(thrown)) };
}
