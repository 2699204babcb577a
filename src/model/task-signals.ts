/**
 * Control signals a task handler throws to say how it ended when returning a value cannot:
 * `skip()` (nothing to do), `fail()` (do not retry). Any other error thrown is an ordinary
 * failure and is retried under the workflow's retry policy.
 *
 * Signals carry a brand under Symbol.for so that a handler bundled with its own copy of
 * this module is still recognised: classification never relies on `instanceof`.
 */
const BRAND = Symbol.for('switchyard.task-signal');

export type TaskSignalKind = 'skip' | 'fail';

export class TaskSignal extends Error {
  readonly [BRAND]: TaskSignalKind;
  constructor(kind: TaskSignalKind, message: string) {
    super(message);
    this.name = kind === 'skip' ? 'SkipSignal' : 'NonRetryableError';
    this[BRAND] = kind;
  }
}

/** Throw from a handler when there is nothing to do: the task ends `skipped`. */
export function skip(reason = 'nothing to do'): never {
  throw new TaskSignal('skip', reason);
}

/** Throw from a handler to fail the task at once, without retries. */
export function fail(message: string): never {
  throw new TaskSignal('fail', message);
}

/** The control signal `thrown` carries, or null; never throws, even for a Proxy whose traps do. */
export function signalKind(thrown: unknown): TaskSignalKind | null {
  try {
    if (typeof thrown === 'object' && thrown !== null && BRAND in thrown) {
      const kind = (thrown as Record<symbol, unknown>)[BRAND];
      if (kind === 'skip' || kind === 'fail') return kind;
    }
  } catch {
    // A value that cannot be inspected is no signal: an ordinary failure.
  }
  return null;
}
