import { describe, expect, it } from 'vitest';
import { isLeasedTaskState, isTerminalTaskState, TASK_STATES, type TaskEvent, type TaskState, transitionTask } from '../../src/model/index.js';

/**
 * The whole transition table, written out: for each event, the states it applies to and
 * where they go. Every state × event pair not listed must be refused (null).
 */
const TABLE: [TaskEvent, Partial<Record<TaskState, TaskState>>][] = [
  [{ type: 'ready' }, { created: 'queued' }],
  [{ type: 'lease' }, { queued: 'running' }],
  [
    { type: 'finish', result: 'success' },
    { running: 'success', cancelling: 'success', pausing: 'success' },
  ],
  [
    { type: 'finish', result: 'error' },
    { running: 'error', cancelling: 'error', pausing: 'error' },
  ],
  [
    { type: 'finish', result: 'skipped' },
    { running: 'skipped', cancelling: 'skipped', pausing: 'skipped' },
  ],
  [
    { type: 'finish', result: 'unknown' },
    { running: 'unknown', cancelling: 'unknown', pausing: 'unknown' },
  ],
  [
    { type: 'fail', retry: true },
    { running: 'queued', pausing: 'paused', cancelling: 'cancelled' },
  ],
  [
    { type: 'fail', retry: false },
    { running: 'failure', pausing: 'failure', cancelling: 'cancelled' },
  ],
  [{ type: 'stop' }, { running: 'aborted', pausing: 'paused', cancelling: 'cancelled' }],
  [{ type: 'release' }, { running: 'queued', pausing: 'paused', cancelling: 'cancelled' }],
  [
    { type: 'expire', retry: true },
    { running: 'queued', pausing: 'paused', cancelling: 'cancelled' },
  ],
  [
    { type: 'expire', retry: false },
    { running: 'failure', pausing: 'failure', cancelling: 'cancelled' },
  ],
  [{ type: 'abort' }, { running: 'aborted', pausing: 'aborted', cancelling: 'aborted' }],
  [{ type: 'cancel' }, { created: 'cancelled', queued: 'cancelled', paused: 'cancelled', running: 'cancelling', pausing: 'cancelling' }],
  [{ type: 'pause' }, { created: 'paused', queued: 'paused', running: 'pausing' }],
  [
    { type: 'resume', waiting: false },
    { paused: 'queued', pausing: 'running' },
  ],
  [
    { type: 'resume', waiting: true },
    { paused: 'created', pausing: 'running' },
  ],
  [
    { type: 'rerun', waiting: false },
    { error: 'queued', failure: 'queued', cancelled: 'queued', aborted: 'queued', unknown: 'queued' },
  ],
  [
    { type: 'rerun', waiting: true },
    { error: 'created', failure: 'created', cancelled: 'created', aborted: 'created', unknown: 'created' },
  ],
];

describe('transitionTask', () => {
  for (const [event, moves] of TABLE) {
    for (const state of TASK_STATES) {
      const expected = moves[state] ?? null;
      it(`${JSON.stringify(event)} on ${state} → ${expected}`, () => {
        expect(transitionTask(state, event)).toBe(expected);
      });
    }
  }

  it('covers every event type in the table', () => {
    const types = new Set(TABLE.map(([event]) => event.type));
    expect([...types].sort()).toEqual(['abort', 'cancel', 'expire', 'fail', 'finish', 'lease', 'pause', 'ready', 'release', 'rerun', 'resume', 'stop']);
  });

  it('leaves a successful or skipped task where it is, whatever happens', () => {
    for (const [event] of TABLE) {
      expect(transitionTask('success', event)).toBeNull();
      expect(transitionTask('skipped', event)).toBeNull();
    }
  });

  it('moves terminal tasks only through a rerun', () => {
    for (const state of TASK_STATES.filter(isTerminalTaskState)) {
      for (const [event] of TABLE) {
        if (event.type !== 'rerun') expect(transitionTask(state, event)).toBeNull();
      }
    }
  });

  it('accepts worker reports only for tasks a worker holds', () => {
    for (const state of TASK_STATES) {
      for (const event of [{ type: 'finish', result: 'success' }, { type: 'stop' }, { type: 'release' }] as TaskEvent[]) {
        expect(transitionTask(state, event) !== null).toBe(isLeasedTaskState(state));
      }
    }
  });
});
