import { describe, expect, it } from 'vitest';
import { ERROR_LIMITS, errorInfo, type TaskActivity, truncateText } from '../../src/model/index.js';
import { activityChars, boundChange, boundResult, chunkBatch, LIMITS, splitActivity } from '../../src/worker/report-limits.js';

describe('truncateText', () => {
  it('keeps short text and cuts long text to the limit, marker included', () => {
    expect(truncateText('abc', 3)).toBe('abc');
    const cut = truncateText('x'.repeat(100_000), 1_000);
    expect(cut.length).toBeLessThanOrEqual(1_000);
    expect(cut).toMatch(/^x+…\[truncated \d+ chars\]$/);
    const dropped = Number(cut.match(/truncated (\d+) chars/)?.[1]);
    expect(cut.indexOf('…') + dropped).toBe(100_000);
  });

  it('never splits a surrogate pair', () => {
    const cut = truncateText('😀'.repeat(1_000), 101);
    expect(cut.slice(0, cut.indexOf('…'))).toMatch(/^(😀)+$/u);
  });
});

describe('errorInfo', () => {
  it('bounds an Error with a 10 MB message and a long stack', () => {
    const error = new Error('m'.repeat(10_000_000));
    error.stack = 's'.repeat(100_000);
    const info = errorInfo(error);
    expect(info.message.length).toBeLessThanOrEqual(ERROR_LIMITS.message);
    expect(info.stack?.length).toBeLessThanOrEqual(ERROR_LIMITS.stack);
    expect(info.stack).toMatch(/…\[truncated \d+ chars\]$/);
  });

  it.each([
    [123n, '123n'],
    [undefined, 'undefined'],
    [null, 'null'],
    [Symbol('s'), 'Symbol(s)'],
    [{ big: 1n }, '{"big":"1n"}'],
    [
      function named() {
        return 1;
      },
      '[function named]',
    ],
  ])('describes %s', (thrown, message) => {
    expect(errorInfo(thrown)).toEqual({ message });
  });

  it('survives an Error whose getters throw', () => {
    const error = new Error('x');
    Object.defineProperty(error, 'message', {
      get() {
        throw new Error('nope');
      },
    });
    expect(errorInfo(error).message).toBe('[the error message could not be read]');
  });
});

describe('boundResult', () => {
  it('passes small results, cuts a result over 1 MiB of JSON, and refuses what JSON cannot hold', () => {
    expect(boundResult({ a: 1 })).toEqual({ a: 1 });
    const big = boundResult({ text: 'y'.repeat(2_000_000) });
    expect(typeof big).toBe('string');
    expect((big as string).length).toBeLessThanOrEqual(LIMITS.result);
    expect(() => boundResult({ n: 1n } as never)).toThrow(/result is not JSON/);
  });
});

describe('batches that fit the worker protocol', () => {
  const lease = { taskId: 1, leaseToken: 't' };

  it('splits one activity of 25,000 log lines into pieces of at most 5,000, in order, progress last', () => {
    const logs = Array.from({ length: 25_000 }, (_, i) => `line ${i}`);
    const pieces = splitActivity({ ...lease, logs, progress: { done: 1, total: 2 } });
    expect(pieces).toHaveLength(5);
    expect(pieces.flatMap((p) => p.logs)).toEqual(logs);
    expect(pieces.map((p) => p.progress)).toEqual([undefined, undefined, undefined, undefined, { done: 1, total: 2 }]);
  });

  it('keeps each request under 2 Mi characters and 1,000 reports', () => {
    const line = 'z'.repeat(60_000);
    const batch: TaskActivity[] = Array.from({ length: 200 }, (_, i) => ({ taskId: i + 1, leaseToken: 't', logs: [line, line] }));
    const chunks = chunkBatch(batch);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(JSON.stringify(chunk).length).toBeLessThanOrEqual(LIMITS.requestChars);
    expect(chunks.flat()).toEqual(batch);
    const many = Array.from({ length: 2_500 }, (_, i) => ({ taskId: i + 1, leaseToken: 't' }));
    expect(chunkBatch(many).map((c) => c.length)).toEqual([1_000, 1_000, 500]);
  });
});

describe('boundChange (what ctx.change sends)', () => {
  it('keeps texts up to 64 KiB of UTF-8 and drops both beyond, flagging it', () => {
    expect(boundChange('a', { change: 'changed', textBefore: 'x', textAfter: 'y' })).toMatchObject({ textBefore: 'x', textAfter: 'y', textOmitted: false });
    const wide = '€'.repeat(22_000); // 66,000 bytes in 22,000 characters
    expect(boundChange('a', { change: 'changed', textBefore: 'x', textAfter: wide })).toMatchObject({ textBefore: null, textAfter: null, textOmitted: true });
    expect(boundChange('a', { change: 'added', textAfter: 'z'.repeat(65_536) }).textOmitted).toBe(false);
  });

  it('keeps whole byte sizes only, cuts long paths under 2 KiB of UTF-8, and refuses unknown kinds', () => {
    expect(boundChange('a', { change: 'added', sizeAfter: 1.5, sizeBefore: -1 })).toMatchObject({ sizeAfter: null, sizeBefore: null });
    const path = boundChange('é'.repeat(5000), { change: 'removed' }).path;
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(2048);
    expect(path).toMatch(/truncated/);
    expect(() => boundChange('a', { change: 'modified' })).toThrow(/not a change kind/);
  });

  it('splits a backlog of changes with texts into pieces that fit the protocol', () => {
    const changes = Array.from({ length: 700 }, (_, i) =>
      boundChange(`f${i}`, { change: 'changed', textBefore: 'a'.repeat(60_000), textAfter: 'b'.repeat(60_000) }),
    );
    const pieces = splitActivity({ taskId: 1, leaseToken: 't', changes, items: [{ path: 'p', operation: 'copy', outcome: 'completed' }] });
    expect(pieces.flatMap((p) => p.changes ?? [])).toEqual(changes);
    expect(pieces.flatMap((p) => p.items ?? [])).toHaveLength(1);
    for (const piece of pieces) {
      expect(piece.changes?.length ?? 0).toBeLessThanOrEqual(1000);
      expect(activityChars(piece)).toBeLessThanOrEqual(LIMITS.requestChars);
    }
    for (const chunk of chunkBatch(pieces)) expect(chunk.reduce((sum, p) => sum + activityChars(p), 0)).toBeLessThanOrEqual(LIMITS.requestChars);
  });
});
