import { SwitchyardError } from './errors.js';

/**
 * Concurrency per workflow and per key. A workflow may declare that at most `limit` of its
 * jobs run at once, and at most `perKey` of them per key (a tenant, a device) computed from a
 * job's fields. A job counts from the moment it is admitted until it ends, however it ends;
 * a job over a limit waits in `queued` and is admitted first come, first served when a job of
 * its workflow (or key) ends. A job waiting for a resource lock enters this line only once
 * its lock is free, so a job never holds a slot while it waits for a lock.
 */
export interface ConcurrencyLimits {
  /** Most jobs of the workflow admitted at once; null: no limit. */
  limit: number | null;
  /** Most jobs per key admitted at once; null: no limit per key. */
  perKey: number | null;
}

/** What a job brings to admission: its workflow's limits and its key (null: the workflow declares no key). */
export interface JobConcurrency extends ConcurrencyLimits {
  key: string | null;
}

/**
 * Where a job stands in its workflow's line: `waiting` (its tasks are not leased), `held`
 * (admitted, counts against the limits) or `released` (ended). Jobs of workflows without
 * limits have none.
 */
export const ConcurrencySlot = {
  waiting: 'waiting',
  held: 'held',
  released: 'released',
} as const;
export type ConcurrencySlot = (typeof ConcurrencySlot)[keyof typeof ConcurrencySlot];

/** The longest key: within every index's limits, far beyond a tenant or device name. */
export const MAX_CONCURRENCY_KEY_LENGTH = 500;
/** The largest limit: beyond it a limit means nothing, and counts stay small integers. */
export const MAX_CONCURRENCY_LIMIT = 1_000_000;

/**
 * Checks a workflow's declared limits (at definition): whole numbers from 1, `perKey` only
 * with a `key` function, and at least one limit. Throws an Error naming the problem.
 */
export function checkConcurrencyConfig(workflow: string, config: { limit?: unknown; perKey?: unknown; key?: unknown }): ConcurrencyLimits {
  const count = (name: string, value: unknown): number | null => {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY_LIMIT) {
      throw new Error(`workflow "${workflow}": concurrency.${name} must be a whole number from 1 to ${MAX_CONCURRENCY_LIMIT}`);
    }
    return value;
  };
  const limit = count('limit', config.limit);
  const perKey = count('perKey', config.perKey);
  if (config.key !== undefined && typeof config.key !== 'function') throw new Error(`workflow "${workflow}": concurrency.key must be a function of the fields`);
  if (perKey !== null && config.key === undefined) throw new Error(`workflow "${workflow}": concurrency.perKey needs a key function`);
  if (limit === null && perKey === null) throw new Error(`workflow "${workflow}": concurrency needs a limit or a perKey`);
  return { limit, perKey };
}

/** A job's key in its stored form; throws SWY_ERR_WORKFLOW_PLAN when the key function returned no usable key. */
export function normalizeConcurrencyKey(key: unknown): string {
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  if (typeof key !== 'string') throw keyError(`the key must be a string, not ${key === null ? 'null' : typeof key}`);
  if (key.length === 0) throw keyError('the key must not be empty');
  if (key.length > MAX_CONCURRENCY_KEY_LENGTH) throw keyError(`the key is longer than ${MAX_CONCURRENCY_KEY_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f]/.test(key)) throw keyError('the key must not contain control characters');
  return key;
}

function keyError(message: string): SwitchyardError {
  return new SwitchyardError('SWY_ERR_WORKFLOW_PLAN', `Concurrency key: ${message}`);
}
