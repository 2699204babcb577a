import { describe, expect, it } from 'vitest';
import {
  isLeasedTaskState,
  isTerminalJobState,
  isTerminalTaskState,
  JOB_STATES,
  SLOT_HOLDING_JOB_STATES,
  TASK_STATES,
  TIMEABLE_JOB_STATES,
  UNFINISHED_TASK_STATES,
  WAITING_JOB_STATES,
} from '../../src/model/index.js';
import { sqlList } from '../../src/store/sql-builder.js';

/** The state sets the store's SQL is built from, and the one helper that renders them. */
describe('state sets in SQL', () => {
  it('renders a constant list as an SQL list', () => {
    expect(sqlList(SLOT_HOLDING_JOB_STATES)).toBe("('running', 'pausing', 'paused', 'cancelling')");
    expect(sqlList(TIMEABLE_JOB_STATES)).toBe("('running', 'pausing', 'cancelling')");
  });

  it('refuses anything but plain names, and an empty list', () => {
    expect(() => sqlList([])).toThrow(/empty/);
    expect(() => sqlList(["x') OR ('1' = '1"])).toThrow(/not a constant name/);
    expect(() => sqlList(['Running'])).toThrow(/not a constant name/);
  });

  it('keeps the sets consistent with the states they are drawn from', () => {
    expect(UNFINISHED_TASK_STATES).toEqual(TASK_STATES.filter((state) => !isTerminalTaskState(state)));
    expect(UNFINISHED_TASK_STATES.filter(isLeasedTaskState)).toEqual(TASK_STATES.filter(isLeasedTaskState));
    for (const set of [SLOT_HOLDING_JOB_STATES, TIMEABLE_JOB_STATES, WAITING_JOB_STATES]) {
      expect(set.every((state) => JOB_STATES.includes(state) && !isTerminalJobState(state))).toBe(true);
    }
    expect(TIMEABLE_JOB_STATES.every((state) => SLOT_HOLDING_JOB_STATES.includes(state))).toBe(true);
    expect(WAITING_JOB_STATES.some((state) => SLOT_HOLDING_JOB_STATES.includes(state))).toBe(false);
  });
});
