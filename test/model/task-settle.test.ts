import { describe, expect, it } from 'vitest';
import { classifyTaskRun, expireTask, fail, retryDelayMs, type SettleInput, settleTask, skip } from '../../src/model/index.js';

const running: SettleInput = { state: 'running', attempts: 1, maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 60_000, itemsFailed: 0 };
const opts = { now: 10_000, random: 0.5 };

describe('classifyTaskRun', () => {
  const thrown = (value: unknown) => {
    try {
      (value as () => never)();
    } catch (error) {
      return error;
    }
  };

  it('turns returned values into succeeded or skipped', () => {
    expect(classifyTaskRun({ ok: true, value: undefined }, false)).toEqual({ kind: 'succeeded', changed: false, result: undefined });
    expect(classifyTaskRun({ ok: true, value: { changed: true, result: { n: 1 } } }, false)).toEqual({ kind: 'succeeded', changed: true, result: { n: 1 } });
    expect(classifyTaskRun({ ok: true, value: { skipped: true, reason: 'same' } }, false)).toEqual({ kind: 'skipped', reason: 'same' });
  });

  it('recognises control signals thrown by skip() and fail()', () => {
    expect(classifyTaskRun({ ok: false, thrown: thrown(() => skip('no changes')) }, false)).toEqual({ kind: 'skipped', reason: 'no changes' });
    expect(classifyTaskRun({ ok: false, thrown: thrown(() => fail('bad path')) }, false)).toMatchObject({
      kind: 'failed',
      retryable: false,
      error: { message: 'bad path' },
    });
  });

  it('treats other errors as retryable failures, and errors after an abort as a stop', () => {
    expect(classifyTaskRun({ ok: false, thrown: new Error('boom') }, false)).toMatchObject({
      kind: 'failed',
      retryable: true,
      error: { message: 'boom', name: 'Error' },
    });
    expect(classifyTaskRun({ ok: false, thrown: 'a string' }, false)).toMatchObject({ kind: 'failed', error: { message: 'a string' } });
    expect(classifyTaskRun({ ok: false, thrown: new Error('aborted') }, true)).toEqual({ kind: 'stopped', reason: 'aborted' });
  });
});

describe('settleTask', () => {
  it('ends success, or error when items failed', () => {
    expect(settleTask(running, { kind: 'succeeded', changed: true }, opts)?.next).toBe('success');
    expect(settleTask({ ...running, itemsFailed: 2 }, { kind: 'succeeded', changed: true }, opts)).toMatchObject({ next: 'error', reason: '2 items failed' });
  });

  it('retries with a backoff while attempts remain', () => {
    const settlement = settleTask(running, { kind: 'failed', error: { message: 'x' }, retryable: true }, opts);
    expect(settlement).toMatchObject({ next: 'queued', availableAt: 10_000 + 750 });
    expect(settleTask({ ...running, attempts: 3 }, { kind: 'failed', error: { message: 'x' }, retryable: true }, opts)?.next).toBe('failure');
  });

  it('refunds the attempt of a released task', () => {
    expect(settleTask(running, { kind: 'released' }, opts)).toMatchObject({ next: 'queued', refundAttempt: true });
  });

  it('pauses a task stopped while pausing, its attempt refunded, whatever words the worker used', () => {
    expect(settleTask({ ...running, state: 'pausing' }, { kind: 'stopped', reason: 'the task was cancelled' }, opts)).toMatchObject({
      next: 'paused',
      refundAttempt: true,
      reason: 'paused on request',
    });
  });

  it('refuses reports about tasks no worker holds', () => {
    expect(settleTask({ ...running, state: 'queued' }, { kind: 'succeeded', changed: false }, opts)).toBeNull();
  });

  it('expires a lease into a retry or, out of attempts, a failure', () => {
    expect(expireTask(running, opts)?.next).toBe('queued');
    expect(expireTask({ ...running, attempts: 3 }, opts)).toMatchObject({ next: 'failure', reason: 'lease expired on each of 3 attempts' });
    expect(expireTask({ ...running, state: 'cancelling' }, opts)?.next).toBe('cancelled');
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base up to the ceiling, with jitter between half and all of it', () => {
    const policy = { backoffMs: 1000, maxBackoffMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, 1 - Number.EPSILON))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(retryDelayMs(1, policy, 0)).toBe(500);
    expect(retryDelayMs(100, policy, 0.5)).toBe(7500);
  });
});
