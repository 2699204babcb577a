import { describe, expect, it } from 'vitest';
import { diffLines, MAX_CELLS, sideBySide, splitLines } from '../../web/src/features/job/line-diff.js';

/** The console's line diff (no `diff` package): an LCS of lines, bounded for 64 KiB inputs. */
describe('line diff', () => {
  const ops = (a: string, b: string) => diffLines(splitLines(a), splitLines(b)).map((d) => `${d.op[0]}${d.line}`);

  it('keeps common lines and marks what was removed and added, in order', () => {
    expect(ops('a\nb\nc\n', 'a\nc\nd\n')).toEqual(['sa', 'rb', 'sc', 'ad']);
    expect(ops('', 'x\ny')).toEqual(['ax', 'ay']);
    expect(ops('x\ny\n', '')).toEqual(['rx', 'ry']);
    expect(ops('same\n', 'same\n')).toEqual(['ssame']);
    expect(ops('a\r\nb\r\n', 'a\nb\n')).toEqual(['sa', 'sb']);
  });

  it('finds a longest common subsequence in the middle', () => {
    const script = diffLines(['h', 'a', 'b', 'c', 'd', 't'], ['h', 'b', 'x', 'd', 'a', 't']);
    expect(script.filter((d) => d.op === 'same').map((d) => d.line)).toEqual(['h', 'b', 'd', 't']);
    expect(script.filter((d) => d.op !== 'added').map((d) => d.line)).toEqual(['h', 'a', 'b', 'c', 'd', 't']);
    expect(script.filter((d) => d.op !== 'removed').map((d) => d.line)).toEqual(['h', 'b', 'x', 'd', 'a', 't']);
  });

  it('pairs removed and added runs side by side with line numbers', () => {
    expect(sideBySide('one\ntwo\nthree\n', 'one\n2\nthree\nfour\n')).toEqual([
      { op: 'same', leftNo: 1, left: 'one', rightNo: 1, right: 'one' },
      { op: 'changed', leftNo: 2, left: 'two', rightNo: 2, right: '2' },
      { op: 'same', leftNo: 3, left: 'three', rightNo: 3, right: 'three' },
      { op: 'added', leftNo: null, left: null, rightNo: 4, right: 'four' },
    ]);
  });

  it('answers quickly for 64 KiB texts whose middle is too large to solve, showing it removed then added', () => {
    const lines = (prefix: string) => Array.from({ length: 30_000 }, (_, i) => `${prefix}${i}`).join('\n');
    const a = lines('a').slice(0, 65_536);
    const b = lines('b').slice(0, 65_536);
    expect(splitLines(a).length * splitLines(b).length).toBeGreaterThan(MAX_CELLS);
    const rows = sideBySide(a, b);
    expect(rows.every((r) => r.op !== 'same')).toBe(true);
    expect(rows.filter((r) => r.left !== null)).toHaveLength(splitLines(a).length);
  });
});
