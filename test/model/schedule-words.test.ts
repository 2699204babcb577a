import { describe, expect, it } from 'vitest';
import { describeInterval, describeSchedule, JOB_STATES, type JobState, RunResults, runResult } from '../../src/model/index.js';

const cron = (expression: string, timezone = 'UTC') => describeSchedule({ cron: expression, everyMs: null, timezone });

describe('describeSchedule', () => {
  it.each([
    ['0 0 2 * * *', 'Europe/Paris', 'every day at 02:00, Europe/Paris'],
    ['0 2 * * *', 'UTC', 'every day at 02:00, UTC'],
    ['30 15 2 * * *', 'UTC', 'every day at 02:15:30, UTC'],
    ['0 0 2,14 * * *', 'UTC', 'every day at 02:00 and 14:00, UTC'],
    ['0 30 9 * * 1-5', 'America/New_York', 'every weekday (Monday to Friday) at 09:30, America/New_York'],
    ['0 9 * * MON,fri', 'UTC', 'every Monday and Friday at 09:00, UTC'],
    ['0 0 * * 0,6', 'UTC', 'every weekend day at 00:00, UTC'],
    ['0 0 3 1 * *', 'UTC', 'on day 1 of every month at 03:00, UTC'],
    ['0 0 3 1,15 jan *', 'UTC', 'on day 1 and 15 of January at 03:00, UTC'],
    ['* * * * * *', 'UTC', 'every second, UTC'],
    ['*/15 * * * * *', 'UTC', 'every 15 seconds, UTC'],
    ['*/5 * * * *', 'UTC', 'every 5 minutes, UTC'],
    ['* * * * *', 'UTC', 'every minute, UTC'],
    ['0 * * * *', 'UTC', 'every hour on the hour, UTC'],
    ['15 */2 * * *', 'UTC', 'every 2 hours at minute 15, UTC'],
    ['0 */10 * * * 1-5', 'UTC', 'every 10 minutes, on weekdays (Monday to Friday), UTC'],
    ['@daily', 'UTC', 'every day at 00:00, UTC'],
    ['@hourly', 'Asia/Tokyo', 'every hour on the hour, Asia/Tokyo'],
  ])('%s (%s) → %s', (expression, zone, words) => {
    expect(cron(expression, zone)).toBe(words);
  });

  it('falls back to the expression for shapes it does not know', () => {
    expect(cron('0 0 2 L * *')).toBe('cron "0 0 2 L * *", UTC');
    expect(cron('0 0 2 1 * 1')).toBe('cron "0 0 2 1 * 1", UTC');
    expect(cron('0 0 1-5 * * *')).toBe('cron "0 0 1-5 * * *", UTC');
    expect(cron('nonsense')).toBe('cron "nonsense", UTC');
  });

  it('names intervals in the largest whole unit, without a zone', () => {
    expect(describeSchedule({ cron: null, everyMs: 1000, timezone: 'Europe/Paris' })).toBe('every second');
    expect(describeInterval(90_000)).toBe('every 90 seconds');
    expect(describeInterval(300_000)).toBe('every 5 minutes');
    expect(describeInterval(7_200_000)).toBe('every 2 hours');
    expect(describeInterval(86_400_000)).toBe('every day');
    expect(describeInterval(1500)).toBe('every 1500 ms');
  });
});

describe('runResult', () => {
  const expected: Record<JobState, string> = {
    created: 'pending',
    queued: 'pending',
    running: 'in-progress',
    pausing: 'in-progress',
    paused: 'in-progress',
    cancelling: 'in-progress',
    cancelled: 'cancelled',
    success: 'up-to-date',
    error: 'failed',
    failure: 'failed',
    skipped: 'up-to-date',
    unknown: 'unknown',
  };
  it.each(JOB_STATES.map((state) => [state]))('%s without changes', (state) => {
    expect(runResult({ state, outcome: null, intent: 'run' })).toBe(expected[state]);
  });
  it('a finished run that changed something is modified', () => {
    expect(runResult({ state: 'success', outcome: 'changed', intent: 'run' })).toBe('modified');
    expect(runResult({ state: 'success', outcome: 'unchanged', intent: 'run' })).toBe('up-to-date');
  });
  it('a failure the watchdog caused is timed out', () => {
    expect(runResult({ state: 'failure', outcome: null, intent: 'timeout' })).toBe('timed-out');
    expect(runResult({ state: 'failure', outcome: 'changed', intent: 'timeout' })).toBe('timed-out');
  });
  it('names every result', () => {
    expect(RunResults).toContain('timed-out');
  });
});
