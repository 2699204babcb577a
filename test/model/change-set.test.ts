import { describe, expect, it } from 'vitest';
import { compareItemStates, type ItemState } from '../../src/model/index.js';

const item = (path: string, bytes: number | null, outcome: ItemState['outcome'] = 'completed'): ItemState => ({ path, operation: 'copy', outcome, bytes });

describe('compareItemStates', () => {
  it('finds paths added, removed and changed by bytes or outcome, sorted by path', () => {
    const result = compareItemStates(
      [item('b', 1), item('a', 2), item('gone', 3), item('c', 4, 'failed')],
      [item('a', 2), item('b', 5), item('c', 4), item('new', 1)],
    );
    expect(result.counts).toEqual({ added: 1, removed: 1, changed: 2, unchanged: 1 });
    expect(result.differences.map((d) => `${d.kind} ${d.path}`)).toEqual(['changed b', 'changed c', 'removed gone', 'added new']);
  });

  it('treats everything as added without a previous run', () => {
    expect(compareItemStates([], [item('x', 1)]).counts).toEqual({ added: 1, removed: 0, changed: 0, unchanged: 0 });
  });
});
