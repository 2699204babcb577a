import { describe, expect, it } from 'vitest';
import { countFilters, EMPTY_FILTERS, MAX_SEARCH, notIds, parseFilters, parseIds } from '../../web/src/features/jobs/job-filters.js';

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

describe("the jobs list's link", () => {
  it('drops a day the calendar does not have, rather than read it as a later one', () => {
    const filters = parseFilters(new URLSearchParams('from=2026-13-45&to=2026-02-30'));
    expect([filters.from, filters.to]).toEqual([null, null]);
    expect(parseFilters(new URLSearchParams('from=2024-02-29&to=2026-12-31'))).toMatchObject({ from: '2024-02-29', to: '2026-12-31' });
  });

  it('cuts a search longer than the API takes', () => {
    expect(parseFilters(new URLSearchParams({ q: 'x'.repeat(500) })).q).toHaveLength(MAX_SEARCH);
  });
});
