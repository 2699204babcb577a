import { describe, expect, it } from 'vitest';
import { countFilters, EMPTY_FILTERS, notIds, parseIds } from '../../web/src/features/jobs/job-filters.js';

describe("the jobs list's id filter", () => {
  it('reads the ids typed and names what is not one', () => {
    expect(parseIds('12, 15 x 0 1e3 0x10 9007199254740993')).toEqual([12, 15]);
    expect(notIds('12, 15 x 0 1e3')).toEqual(['x', '0', '1e3']);
    expect(notIds(' 12 ,15 ')).toEqual([]);
  });

  it('counts as a filter only when it holds an id', () => {
    expect(countFilters({ ...EMPTY_FILTERS, ids: 'abc' })).toBe(0);
    expect(countFilters({ ...EMPTY_FILTERS, ids: 'abc, 7' })).toBe(1);
  });
});
