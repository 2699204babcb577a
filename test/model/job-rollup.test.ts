import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canControlJob,
  classifyJobOutcome,
  emptyTaskCounts,
  isTerminalJobState,
  isTerminalTaskState,
  JOB_STATES,
  type JobIntent,
  type JobState,
  jobInstantUnset,
  rollupJobState,
  TASK_STATES,
  type TaskCounts,
  type TaskState,
} from '../../src/model/index.js';

const INTENTS: JobIntent[] = ['run', 'pause', 'cancel', 'timeout'];

function counts(states: TaskState[]): TaskCounts {
  const c = emptyTaskCounts();
  for (const s of states) c[s] += 1;
  return c;
}

/** Every multiset of task states of size 0 to 3: 560 mixes. */
function allMixes(): TaskState[][] {
  const mixes: TaskState[][] = [[]];
  for (let a = 0; a < TASK_STATES.length; a++) {
    mixes.push([TASK_STATES[a]]);
    for (let b = a; b < TASK_STATES.length; b++) {
      mixes.push([TASK_STATES[a], TASK_STATES[b]]);
      for (let c = b; c < TASK_STATES.length; c++) mixes.push([TASK_STATES[a], TASK_STATES[b], TASK_STATES[c]]);
    }
  }
  return mixes;
}

describe('rollupJobState over every mix of up to three tasks', () => {
  const mixes = allMixes();

  it('enumerates 560 mixes', () => {
    expect(mixes).toHaveLength(560);
  });

  for (const intent of INTENTS) {
    for (const started of [false, true]) {
      it(`intent ${intent}, started ${started}: obeys the rules`, () => {
        for (const mix of mixes) {
          const state = rollupJobState(counts(mix), intent, started);
          const allFinished = mix.every(isTerminalTaskState);
          const has = (s: TaskState) => mix.includes(s);
          const context = `${intent}/${started} [${mix.join(', ')}] → ${state}`;
          if (intent === 'timeout') {
            expect(state, context).toBe('failure');
            continue;
          }
          // Finished exactly when every task is.
          expect(isTerminalJobState(state), context).toBe(allFinished);
          if (allFinished) {
            let expected: JobState = 'success';
            if (mix.length === 0 || mix.every((s) => s === 'skipped')) expected = 'skipped';
            else if (has('unknown')) expected = 'unknown';
            else if (has('failure') || has('aborted')) expected = 'failure';
            else if (has('cancelled')) expected = 'cancelled';
            else if (has('error')) expected = 'error';
            expect(state, context).toBe(expected);
            continue;
          }
          const active = has('running') || has('cancelling') || has('pausing');
          if (intent === 'cancel') expect(['cancelling', 'cancelled'], context).toContain(state);
          else if (intent === 'pause') expect(state, context).toBe(active ? 'pausing' : 'paused');
          else if (active) expect(['running', 'pausing'], context).toContain(state);
          else if (has('paused') && !has('queued') && !has('created')) expect(state, context).toBe('paused');
          else if (started) expect(state, context).toBe('running');
          else expect(state, context).toBe(has('queued') ? 'queued' : 'created');
          // What the jobs list relies on (jobInstantUnset): a started job never waits as queued or created.
          if (started) expect(jobInstantUnset(state, 'startedAt'), context).toBe(false);
        }
      });
    }
  }

  it('never answers a state outside the job states', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TASK_STATES), { maxLength: 40 }), fc.constantFrom(...INTENTS), fc.boolean(), (mix, intent, started) => {
        expect(JOB_STATES).toContain(rollupJobState(counts(mix), intent, started));
      }),
    );
  });

  it('does not depend on the order tasks finished in', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TASK_STATES), { maxLength: 20 }), (mix) => {
        const reversed = [...mix].reverse();
        expect(rollupJobState(counts(mix), 'run', true)).toBe(rollupJobState(counts(reversed), 'run', true));
      }),
    );
  });
});

describe('classifyJobOutcome', () => {
  it('says changed or up to date for finished jobs that did their work', () => {
    for (const state of JOB_STATES) {
      for (const changed of [false, true]) {
        const outcome = classifyJobOutcome(state, changed);
        if (state === 'success' || state === 'error' || state === 'skipped') expect(outcome).toBe(changed ? 'changed' : 'unchanged');
        else if (isTerminalJobState(state)) expect(outcome).toBe(changed ? 'changed' : null);
        else expect(outcome).toBeNull();
      }
    }
  });
});

describe('canControlJob', () => {
  it('allows each control only in its states', () => {
    const allowed = (control: Parameters<typeof canControlJob>[1]) => JOB_STATES.filter((s) => canControlJob(s, control));
    expect(allowed('pause')).toEqual(['created', 'queued', 'running']);
    expect(allowed('resume')).toEqual(['pausing', 'paused']);
    expect(allowed('cancel')).toEqual(['created', 'queued', 'running', 'pausing', 'paused']);
    expect(allowed('retry')).toEqual(['cancelled', 'error', 'failure', 'unknown']);
    expect(allowed('resubmit')).toEqual([...JOB_STATES]);
    expect(allowed('delete')).toEqual(['cancelled', 'success', 'error', 'failure', 'skipped', 'unknown']);
  });
});
