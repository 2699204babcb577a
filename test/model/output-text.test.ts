import { describe, expect, it } from 'vitest';
import { findMatches, visibleText } from '../../src/model/index.js';

const E = '\u001b';

/** What a reader sees of a line of output, and where a search text occurs in it. */
describe('output text', () => {
  it('leaves out colour codes, cursor moves and OSC links, keeping the text between', () => {
    expect(visibleText(`${E}[31mERR${E}[0mOR disk full`)).toBe('ERROR disk full');
    expect(visibleText(`${E}]8;;https://x.test${E}\\link${E}]8;;${E}\\ ${E}[2Kdone`)).toBe('link done');
    expect(visibleText('no codes')).toBe('no codes');
  });

  it('finds a text in either ASCII case, without overlaps', () => {
    expect(findMatches('ERROR disk full, error', 'error')).toEqual([
      [0, 5],
      [17, 22],
    ]);
    expect(findMatches('aaaa', 'aa')).toEqual([
      [0, 2],
      [2, 4],
    ]);
    expect(findMatches('ÉTÉ', 'été')).toEqual([]);
    expect(findMatches('anything', '')).toEqual([]);
  });
});
