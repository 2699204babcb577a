import { describe, expect, it } from 'vitest';
import { itemSummaries, mayHold, needleGrams, pathGrams, summaryRanges } from '../../src/store/item-grams.js';

/** Paths of a batch, varied in case and characters, deterministic. */
function paths(count: number, seed: number): string[] {
  const parts = ['Data', 'backup', 'ÉTÉ', 'naïve', 'Reports_2026', 'x%y', 'a b'];
  return Array.from(
    { length: count },
    (_, i) => `/${parts[(i + seed) % parts.length]}/${parts[(i * 7 + seed) % parts.length]}/File-${(i * 31 + seed) % 997}.Txt`,
  );
}

describe('batch summaries of item paths (item-grams.ts)', () => {
  it('hold every ASCII substring of 3 or more characters of every path, in either case', () => {
    const batch = paths(300, 1);
    const bloom = pathGrams(batch);
    for (const path of batch) {
      for (let start = 0; start < path.length; start++) {
        for (let end = start + 3; end <= Math.min(path.length, start + 12); end++) {
          const needle = path.slice(start, end);
          for (const text of [needle, needle.toUpperCase(), needle.toLowerCase()]) {
            const hashes = needleGrams(text);
            if (hashes === null) {
              expect(/[^\x00-\x7f]/.test(text), text).toBe(true);
              continue;
            }
            expect(mayHold(bloom, hashes), `${text} in ${path}`).toBe(true);
          }
        }
      }
    }
  });

  it('turn away text the batch does not hold, nearly always', () => {
    const bloom = pathGrams(paths(1000, 2));
    const absent = Array.from({ length: 200 }, (_, i) => `missing-${i}-zq`);
    const kept = absent.filter((text) => mayHold(bloom, needleGrams(text) as number[]));
    expect(kept.length).toBeLessThan(5);
  });

  it('match an ASCII needle against the characters whose lower case is ASCII, as PostgreSQL may', () => {
    // KELVIN SIGN lowers to k, and the dotted capital I to i under some collations: PostgreSQL's ILIKE matches them.
    const bloom = pathGrams(['/\u212Aelvin/\u0130ndex']);
    expect(mayHold(bloom, needleGrams('kelvin') as number[])).toBe(true);
    expect(mayHold(bloom, needleGrams('index') as number[])).toBe(true);
  });

  it('cannot serve text under 3 characters or outside ASCII', () => {
    expect(needleGrams('ab')).toBeNull();
    expect(needleGrams('été')).toBeNull();
    expect(needleGrams('abc')).toHaveLength(1);
    expect(needleGrams('aaaa')).toHaveLength(1);
    // Long text: a sample of its trigrams, still held by a summary of a path that contains it.
    const long = `/${Array.from({ length: 60 }, (_, i) => `dir${i}`).join('/')}/end.txt`;
    expect(needleGrams(long)).toHaveLength(32);
    expect(mayHold(pathGrams([long]), needleGrams(long.toUpperCase()) as number[])).toBe(true);
  });

  it('summarize a batch 512 items at a time, each sized by its items within bounds', () => {
    expect(pathGrams(['a']).length).toBe(32);
    expect(pathGrams(paths(100, 3)).length).toBe(256);
    expect(itemSummaries(paths(1200, 4).map((path) => ({ path }))).map((summary) => summary.length)).toEqual([1024, 1024, 512]);
  });

  it('read ranges in order, overlapping ones joined, long ones cut into pieces of 512 ids', () => {
    expect(
      summaryRanges([
        { lo: 20, hi: 30 },
        { lo: 1, hi: 5 },
        { lo: 6, hi: 8 },
        { lo: 25, hi: 40 },
        { lo: 1000, hi: 2100 },
        { lo: 50, hi: 50 },
      ]),
    ).toEqual([
      { lo: 1, hi: 5 },
      { lo: 6, hi: 8 },
      { lo: 20, hi: 40 },
      { lo: 50, hi: 50 },
      { lo: 1000, hi: 1511 },
      { lo: 1512, hi: 2023 },
      { lo: 2024, hi: 2100 },
    ]);
  });
});
