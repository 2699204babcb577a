import { describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { checkConcurrencyConfig, type JobWaitFacts, jobWaitReason, normalizeConcurrencyKey } from '../../src/model/index.js';

const waiting = (concurrency: JobWaitFacts['concurrency']): JobWaitFacts => ({
  state: 'queued',
  startedAt: null,
  runAt: null,
  queue: 'default',
  site: 'local',
  workflow: 'sync',
  runningTasks: 0,
  lock: null,
  concurrency,
  queueState: null,
  workersOnline: 1,
  now: 0,
});

describe('concurrency limits (model)', () => {
  it('names the workflow limit when it is reached', () => {
    expect(jobWaitReason(waiting({ limit: 3, perKey: null, key: null, held: 3, keyHeld: 0 }))).toEqual({
      code: 'workflow-full',
      message: 'Workflow "sync" runs at most 3 jobs at once, and 3 are running.',
      limit: 3,
    });
  });

  it('names the key and its limit when the key is full, even under a workflow limit', () => {
    expect(jobWaitReason(waiting({ limit: 5, perKey: 1, key: 'dev-9', held: 2, keyHeld: 1 }))).toEqual({
      code: 'key-full',
      message: 'Workflow "sync" runs at most 1 job per key at once, and 1 with key "dev-9" is running.',
      limit: 1,
      key: 'dev-9',
    });
    expect(jobWaitReason(waiting({ limit: 2, perKey: 1, key: 'dev-9', held: 2, keyHeld: 0 }))?.code).toBe('workflow-full');
    expect(jobWaitReason(waiting({ limit: null, perKey: 2, key: 'dev-9', held: 7, keyHeld: 2 }))?.code).toBe('key-full');
  });

  it('puts a lock wait first: a job waiting for a lock is not in the concurrency line yet', () => {
    const facts = { ...waiting({ limit: 1, perKey: null, key: null, held: 1, keyHeld: 0 }), lock: { jobId: 4, resource: 'a' } };
    expect(jobWaitReason(facts)?.code).toBe('lock');
  });

  it('checks the declaration: whole limits from 1, perKey only with a key, at least one limit', () => {
    expect(checkConcurrencyConfig('w', { limit: 2 })).toEqual({ limit: 2, perKey: null });
    expect(() => checkConcurrencyConfig('w', { limit: 0 })).toThrow(/concurrency.limit must be a whole number/);
    expect(() => checkConcurrencyConfig('w', { limit: 1.5 })).toThrow(/whole number/);
    expect(() => checkConcurrencyConfig('w', { perKey: 1 })).toThrow(/perKey needs a key function/);
    expect(() => checkConcurrencyConfig('w', {})).toThrow(/needs a limit or a perKey/);
    expect(() => defineWorkflow({ name: 'bad', fields: z.object({}), concurrency: { limit: -1 }, plan: () => [], tasks: { t: () => {} } })).toThrow(
      /workflow "bad": concurrency.limit/,
    );
  });

  it('keeps a key as given, refusing what no index should hold', () => {
    expect(normalizeConcurrencyKey('tenant/a b')).toBe('tenant/a b');
    expect(normalizeConcurrencyKey(42)).toBe('42');
    expect(() => normalizeConcurrencyKey('')).toThrow(/must not be empty/);
    expect(() => normalizeConcurrencyKey(undefined)).toThrow(/must be a string/);
    expect(() => normalizeConcurrencyKey('x'.repeat(501))).toThrow(/longer than 500/);
    expect(() => normalizeConcurrencyKey('a\nb')).toThrow(/control characters/);
  });
});
