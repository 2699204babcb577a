import { SwitchyardError } from './errors.js';

/**
 * Resource locks between jobs. A workflow declares, from a job's fields, the resources the job
 * acts on: keys with path semantics (`projects/a`) and a mode. Two locks conflict when their
 * keys overlap — one is the other or an ancestor of it (`projects/a` conflicts with `projects`
 * and `projects/a/b`, not with `projects/ab`) — and at least one of them is exclusive.
 *
 * Admission is first come, first served among conflicting jobs: a job starts only when no
 * earlier unfinished job holds or waits for a conflicting lock, so a stream of shared-lock
 * jobs cannot starve an exclusive one. Locks are held from submission until the job ends,
 * however it ends.
 */
export const LockMode = {
  /** No other job may hold an overlapping lock. The default. */
  exclusive: 'exclusive',
  /** Coexists with other shared locks on overlapping keys. */
  shared: 'shared',
} as const;
export type LockMode = (typeof LockMode)[keyof typeof LockMode];

export interface ResourceLock {
  key: string;
  mode: LockMode;
}

/** What a workflow's `locks` function may return for each lock. */
export type LockSpec = string | { key: string; mode?: LockMode };

/** Most locks one job may declare, and the longest key: both far beyond real use, within every index's limits. */
export const MAX_LOCKS_PER_JOB = 100;
export const MAX_LOCK_KEY_LENGTH = 500;

/**
 * A key in its one stored form: segments joined by single slashes, none empty, none `.` or
 * `..`, no control characters. Throws SWY_ERR_WORKFLOW_PLAN naming the key otherwise.
 */
export function normalizeLockKey(key: string): string {
  if (typeof key !== 'string') throw lockError(`a lock key must be a string, not ${typeof key}`);
  const segments = key.split('/').filter((segment) => segment.length > 0);
  if (segments.length === 0) throw lockError('a lock key must not be empty');
  for (const segment of segments) {
    if (segment === '.' || segment === '..') throw lockError(`lock key "${key}": no "." or ".." segments`);
    if (/[\u0000-\u001f\u007f]/.test(segment)) throw lockError(`lock key "${key}": no control characters`);
  }
  const normalized = segments.join('/');
  if (normalized.length > MAX_LOCK_KEY_LENGTH) throw lockError(`lock key longer than ${MAX_LOCK_KEY_LENGTH} characters`);
  return normalized;
}

/** Normalizes a workflow's lock specs: keys normalized, duplicates merged (exclusive wins). */
export function normalizeLocks(specs: readonly LockSpec[]): ResourceLock[] {
  if (!Array.isArray(specs)) throw lockError('locks must return an array');
  if (specs.length > MAX_LOCKS_PER_JOB) throw lockError(`at most ${MAX_LOCKS_PER_JOB} locks per job`);
  const byKey = new Map<string, LockMode>();
  for (const spec of specs) {
    const key = normalizeLockKey(typeof spec === 'string' ? spec : spec?.key);
    const mode = typeof spec === 'string' ? 'exclusive' : (spec.mode ?? 'exclusive');
    if (mode !== 'exclusive' && mode !== 'shared') throw lockError(`lock "${key}": mode must be exclusive or shared`);
    byKey.set(key, byKey.get(key) === 'exclusive' ? 'exclusive' : mode);
  }
  return [...byKey].map(([key, mode]) => ({ key, mode })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Whether two keys overlap: equal, or one is an ancestor of the other. */
export function lockKeysOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** Whether two locks conflict: overlapping keys, and not both shared. */
export function locksConflict(a: ResourceLock, b: ResourceLock): boolean {
  return lockKeysOverlap(a.key, b.key) && (a.mode === 'exclusive' || b.mode === 'exclusive');
}

/** The keys above `key`: `a/b/c` → `a`, `a/b`. A store finds overlapping keys as these, the key, and the range below it. */
export function lockKeyAncestors(key: string): string[] {
  const segments = key.split('/');
  return segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'));
}

/**
 * The half-open range of keys strictly below `key` in byte order: every `key/…` sorts at or
 * after `key/` and before `key0` (`0` follows `/`).
 */
export function lockKeyDescendantRange(key: string): [string, string] {
  return [`${key}/`, `${key}0`];
}

function lockError(message: string): SwitchyardError {
  return new SwitchyardError('SWY_ERR_WORKFLOW_PLAN', `Resource locks: ${message}`);
}
