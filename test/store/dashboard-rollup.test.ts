import { describe, expect, it } from 'vitest';
import { wholeMinutes } from '../../src/engine/dashboard-verbs.js';
import { durationBin, minuteOf, RollupBook } from '../../src/store/dashboard-rollup.js';

const M = 60_000;
const DAY = 86_400_000;

describe('dashboard roll-up bookkeeping', () => {
  it('floors durations to two significant digits, as the SQL of migration 21 does', () => {
    expect([0, 7, 99, 100, 1234, 99_999, 123_456_789, 10 ** 12 + 5].map(durationBin)).toEqual([0, 7, 99, 100, 1200, 99_000, 120_000_000, 10 ** 12 + 5]);
    expect(minuteOf(1_700_000_000_000)).toBe(1_699_999_980_000);
    expect(minuteOf(1_699_999_980_000)).toBe(1_699_999_980_000);
  });

  it('adds up a transaction by key, moves counts between states, and leaves out what cancels out', () => {
    const book = new RollupBook();
    const job = { site: 'east', queue: 'default', workflow: 'demo', createdAt: 5 * M + 1, state: 'queued' as const, startedAt: null, endedAt: null };
    book.inserted(1, job);
    book.inserted(2, job);
    book.updated(2, { state: 'success', startedAt: 6 * M, endedAt: 6 * M + 1234 });
    // Job 3 read, then deleted: only its counts leave.
    book.seen(3, { ...job, state: 'failure', startedAt: 7 * M, endedAt: 7 * M + 10 }, 4 * M);
    book.deleted(3, { ...job, createdAt: 4 * M, state: 'failure', startedAt: 7 * M, endedAt: 7 * M + 10 });
    const { rollup, queues } = book.drain();
    // Live queue counts: one job still queued (job 3 had ended: it was never counted there).
    expect(queues).toEqual([{ queue: 'default', site: 'east', state: 'queued', started: 0, n: 1 }]);
    expect(rollup).toEqual([
      { kind: 0, minute: 4 * M, site: 'east', workflow: '', state: 'failure', bin: 0, n: -1 },
      { kind: 0, minute: 5 * M, site: 'east', workflow: '', state: 'queued', bin: 0, n: 1 },
      { kind: 0, minute: 5 * M, site: 'east', workflow: '', state: 'success', bin: 0, n: 1 },
      { kind: 1, minute: 6 * M, site: 'east', workflow: '', state: 'success', bin: 0, n: 1 },
      { kind: 1, minute: 7 * M, site: 'east', workflow: '', state: 'failure', bin: 0, n: -1 },
      { kind: 2, minute: 6 * M, site: 'east', workflow: 'demo', state: '', bin: 1200, n: 1 },
      { kind: 2, minute: 7 * M, site: 'east', workflow: 'demo', state: '', bin: 10, n: -1 },
    ]);
    // A retry and a new end in one transaction: the old end leaves, the new arrives.
    book.updated(2, { state: 'queued', startedAt: null, endedAt: null });
    book.updated(2, { state: 'success', startedAt: 6 * M, endedAt: 6 * M + 1234 });
    expect(book.drain()).toEqual({ rollup: [], queues: [] });
    expect(() => book.updated(9, { state: 'queued', startedAt: null, endedAt: null })).toThrow(/without being read/);
  });

  it('moves the dashboard window onto whole minutes, keeping its length', () => {
    const now = 1_700_000_000_000; // 20 s into a minute
    expect(wholeMinutes(undefined, now)).toEqual({ from: now + 40_000 - DAY, to: now + 40_000 });
    expect(wholeMinutes(now - 3_600_000, now)).toEqual({ from: now + 40_000 - 3_600_000, to: now + 40_000 });
    expect(wholeMinutes(10 * M, 70 * M)).toEqual({ from: 10 * M, to: 70 * M });
    expect(wholeMinutes(10 * M + 1, 70 * M)).toEqual({ from: 10 * M, to: 70 * M });
  });
});
