import { signalKind, type TaskSignalKind } from './task-signals.js';

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
export function classifyTaskRun(run: HandlerOutcome, aborted: boolean): TaskReport {
  if (run.ok) {
    const value = run.value;
    if (value?.skipped) return { kind: 'skipped', reason: value.reason };
    return { kind: 'succeeded', changed: Boolean(value?.changed), result: value?.result };
  }
  const kind = 'thrown' in run ? signalKind(run.thrown) : run.signal;
  const error = 'thrown' in run ? errorInfo(run.thrown) : run.error;
  if (kind === 'skip') return { kind: 'skipped', reason: error.message };
  if (kind === 'fail') return { kind: 'failed', error, retryable: false };
  if (aborted) return { kind: 'stopped', reason: error.message };
  return { kind: 'failed', error, retryable: true };
}

/**
 * How a handler's run ended. A handler run in a thread arrives already described: the thread
 * turns what was thrown into `error` and its control signal, since the value itself may not
 * survive the trip.
 */
export type HandlerOutcome =
  | { ok: true; value: HandlerReturn }
  | { ok: false; thrown: unknown }
  | { ok: false; error: TaskErrorInfo; signal: TaskSignalKind | null };

/**
 * Bounds on what a failed task reports, so any thrown value fits the worker protocol (which
 * allows 65,536 characters) and stays readable in the console: a message of at most 8 KiB,
 * a stack of at most 16 KiB and a name of at most 200 characters. Longer text keeps its
 * start and ends with "…[truncated N chars]".
 */
export const ERROR_LIMITS = { message: 8_192, stack: 16_384, name: 200 } as const;

/** Cuts `text` to at most `max` characters, marker included, never inside a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  // The marker is sized for the whole length, so the real count (smaller) never makes it longer.
  let keep = Math.max(0, max - `…[truncated ${text.length} chars]`.length);
  const code = text.charCodeAt(keep - 1);
  if (keep > 0 && code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return `${text.slice(0, keep)}…[truncated ${text.length - keep} chars]`;
}

/**
 * Turns anything a handler threw into a bounded `{ name, message, stack }`. Never throws: a
 * BigInt, a circular object, a Proxy whose traps throw, null, a string or an Error with a
 * 10 MB message all give a readable report within ERROR_LIMITS.
 */
export function errorInfo(thrown: unknown): TaskErrorInfo {
  const errorLike = safely(
    () =>
      thrown instanceof Error ||
      (typeof thrown === 'object' && thrown !== null && typeof (thrown as Error).message === 'string' && typeof (thrown as Error).stack === 'string'),
    false,
  );
  if (errorLike) {
    const error = thrown as Error;
    const name = safely(() => (typeof error.name === 'string' && error.name ? error.name : 'Error'), 'Error');
    const message = safely(() => String(error.message ?? ''), '[the error message could not be read]') || name;
    const stack = safely(() => (typeof error.stack === 'string' ? error.stack : undefined), undefined);
    return bounded({ name, message, stack });
  }
  return bounded({ message: describeThrown(thrown) });
}

function bounded(info: TaskErrorInfo): TaskErrorInfo {
  const result: TaskErrorInfo = { message: truncateText(info.message, ERROR_LIMITS.message) };
  if (info.name !== undefined) result.name = truncateText(info.name, ERROR_LIMITS.name);
  if (info.stack !== undefined) result.stack = truncateText(info.stack, ERROR_LIMITS.stack);
  return result;
}

/** A readable text for a thrown non-Error value. */
function describeThrown(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return safely(() => value.toString(), 'Symbol()');
    case 'undefined':
      return 'undefined';
    case 'function':
      return safely(() => `[function ${value.name || 'anonymous'}]`, '[function]');
    case 'object':
      if (value === null) return 'null';
      try {
        return JSON.stringify(value, jsonSafeReplacer()) ?? String(value);
      } catch (error) {
        // A Proxy whose traps throw, or a toJSON that does: say so rather than fail the report.
        return `[a thrown object that cannot be read: ${safely(() => String((error as Error).message), 'reading it threw')}]`;
      }
    default:
      return String(value);
  }
}

/** A JSON.stringify replacer that writes BigInts as `12n` and repeated references as "[Circular]". */
function jsonSafeReplacer(): (key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (_key, value) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  };
}

function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
