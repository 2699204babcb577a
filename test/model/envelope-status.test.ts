import { describe, expect, it } from 'vitest';
import {
  chainProblem,
  chainStep,
  compensationOrder,
  ENVELOPE_STATUSES,
  type EnvelopeFacts,
  type EnvelopeStatus,
  envelopeRollbackProblem,
  JOB_STATES,
  type JobState,
  jobWaitReason,
  releasesSuccessors,
  rollupEnvelopeStatus,
  stopsEnvelope,
} from '../../src/model/index.js';

const facts = (jobCounts: Partial<Record<JobState, number>>, extra: Partial<EnvelopeFacts> = {}): EnvelopeFacts => ({
  jobCounts,
  corrupt: false,
  intent: 'run',
  rollback: 'none',
  ...extra,
});

describe('rollupEnvelopeStatus', () => {
  const cases: [string, EnvelopeFacts, EnvelopeStatus][] = [
    ['all waiting', facts({ queued: 3 }), 'active'],
    ['one running, rest waiting', facts({ running: 1, queued: 2 }), 'active'],
    ['one done, rest waiting', facts({ success: 1, queued: 2 }), 'active'],
    ['a failure while others wait', facts({ failure: 1, queued: 2 }), 'errors-active'],
    ['completed with errors while others run', facts({ error: 1, running: 1 }), 'errors-active'],
    ['a member cancelled alone while others run', facts({ cancelled: 1, running: 1 }), 'errors-active'],
    ['all succeeded', facts({ success: 3 }), 'success'],
    ['successes and no-ops', facts({ success: 2, skipped: 1 }), 'success'],
    ['no members at all', facts({}), 'success'],
    ['some failed', facts({ success: 2, failure: 1 }), 'errors'],
    ['some completed with errors', facts({ success: 2, error: 1 }), 'errors'],
    ['unknown', facts({ success: 2, unknown: 1 }), 'errors'],
    ['stopped by onError while a member still stops', facts({ failure: 1, cancelling: 1 }, { intent: 'stop' }), 'errors-active'],
    ['stopped by onError, rest cancelled', facts({ failure: 1, cancelled: 2 }, { intent: 'stop' }), 'errors'],
    ['corrupt', facts({}, { corrupt: true }), 'corrupt'],
    ['corrupt wins over everything', facts({ success: 1 }, { corrupt: true, rollback: 'done', intent: 'cancel' }), 'corrupt'],
    ['cancelled by an operator, members stopping', facts({ cancelling: 1, cancelled: 2 }, { intent: 'cancel' }), 'cancelled'],
    ['cancelled by an operator, all ended', facts({ success: 1, cancelled: 2 }, { intent: 'cancel' }), 'cancelled'],
    ['rolling back', facts({ success: 3 }, { rollback: 'running' }), 'rolling-back'],
    ['rolling back a cancelled one', facts({ success: 1, cancelled: 2 }, { rollback: 'running', intent: 'cancel' }), 'rolling-back'],
    ['rolled back', facts({ success: 3 }, { rollback: 'done' }), 'rolled-back'],
    ['rollback failed', facts({ success: 3 }, { rollback: 'failed' }), 'errors'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(rollupEnvelopeStatus(input)).toBe(expected);
  });

  it('reaches every status', () => {
    const reached = new Set(cases.map(([, , status]) => status));
    expect([...reached].sort()).toEqual([...ENVELOPE_STATUSES].sort());
  });

  it('any one unfinished member keeps the envelope open, whatever the others', () => {
    for (const open of JOB_STATES.filter((s) => !['cancelled', 'success', 'error', 'failure', 'skipped', 'unknown'].includes(s))) {
      for (const ended of ['success', 'failure'] as const) {
        expect(['active', 'errors-active']).toContain(rollupEnvelopeStatus(facts({ [open]: 1, [ended]: 1 })));
      }
    }
  });
});

describe('envelopeRollbackProblem', () => {
  it('refuses while members run, when corrupt, and when rolled back or rolling back', () => {
    expect(envelopeRollbackProblem('active', 'none')).toMatch(/still running/);
    expect(envelopeRollbackProblem('errors-active', 'none')).toMatch(/still running/);
    expect(envelopeRollbackProblem('corrupt', 'none')).toMatch(/corrupt/);
    expect(envelopeRollbackProblem('rolling-back', 'running')).toMatch(/being rolled back/);
    expect(envelopeRollbackProblem('rolled-back', 'done')).toMatch(/already/);
  });
  it('allows ended envelopes and a retry of a failed rollback', () => {
    for (const status of ['success', 'errors', 'cancelled'] as const) expect(envelopeRollbackProblem(status, 'none')).toBeNull();
    expect(envelopeRollbackProblem('errors', 'failed')).toBeNull();
  });
});

describe('chain', () => {
  it('a member goes once every predecessor succeeded', () => {
    expect(chainStep([], 'stop')).toEqual({ kind: 'go' });
    expect(
      chainStep(
        [
          { id: 1, state: 'success' },
          { id: 2, state: 'skipped' },
        ],
        'stop',
      ),
    ).toEqual({ kind: 'go' });
  });
  it('waits on the lowest predecessor still in the way', () => {
    expect(
      chainStep(
        [
          { id: 5, state: 'running' },
          { id: 3, state: 'queued' },
          { id: 1, state: 'success' },
        ],
        'stop',
      ),
    ).toEqual({ kind: 'wait', on: 3 });
  });
  it('with stop, a failed, errored, cancelled or unknown predecessor stops it', () => {
    for (const state of ['failure', 'error', 'cancelled', 'unknown'] as const) {
      expect(
        chainStep(
          [
            { id: 1, state },
            { id: 2, state: 'running' },
          ],
          'stop',
        ),
      ).toEqual({ kind: 'stop', failed: 1 });
      expect(stopsEnvelope(state, 'stop')).toBe(true);
      expect(stopsEnvelope(state, 'continue')).toBe(false);
    }
  });
  it('with continue, any end lets it go', () => {
    for (const state of ['failure', 'error', 'cancelled', 'unknown', 'success', 'skipped'] as const) {
      expect(releasesSuccessors(state, 'continue')).toBe(true);
      expect(chainStep([{ id: 1, state }], 'continue')).toEqual({ kind: 'go' });
    }
    expect(
      chainStep(
        [
          { id: 1, state: 'failure' },
          { id: 2, state: 'running' },
        ],
        'continue',
      ),
    ).toEqual({ kind: 'wait', on: 2 });
  });
  it('after references must name earlier entries', () => {
    expect(chainProblem([[], [0], [0, 1]])).toBeNull();
    expect(chainProblem([[], [1]])).toEqual({ index: 1, message: expect.stringMatching(/not before/) });
    expect(chainProblem([[], [7]])).toEqual({ index: 1, message: 'after: no entry 7' });
  });
  it('compensations run newest first', () => {
    const order = compensationOrder([
      { taskId: 1, jobId: 1, endedAt: 10 },
      { taskId: 2, jobId: 1, endedAt: 30 },
      { taskId: 3, jobId: 2, endedAt: 30 },
      { taskId: 4, jobId: 2, endedAt: 20 },
    ]);
    expect(order.map((t) => t.taskId)).toEqual([3, 2, 4, 1]);
  });
});

describe('envelope wait reason', () => {
  it('a queued member says which job it waits for', () => {
    const reason = jobWaitReason({
      state: 'queued',
      startedAt: null,
      runAt: null,
      queue: 'default',
      site: 'local',
      workflow: 'w',
      runningTasks: 0,
      lock: null,
      envelopeWait: { envelopeId: 4, jobId: 9 },
      queueState: null,
      workersOnline: 1,
      now: 0,
    });
    expect(reason).toEqual({ code: 'envelope', message: 'Waiting for job 9 of envelope 4, which it runs after.', jobId: 9 });
  });
});
