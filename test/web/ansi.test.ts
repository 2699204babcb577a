import { describe, expect, it } from 'vitest';
import { color256, parseAnsi, stripAnsi } from '../../web/src/components/ui/ansi.js';

const E = '\u001b';

describe('ANSI SGR parsing for task output', () => {
  it('leaves plain text as one plain run', () => {
    expect(parseAnsi('hello')).toEqual([{ text: 'hello', fg: null, bg: null, bold: false, dim: false, italic: false, underline: false }]);
    expect(parseAnsi('')).toEqual([]);
  });

  it('reads the 16 colours, bright ones, bold and reset', () => {
    const runs = parseAnsi(`a${E}[31mred${E}[1;92mbold green${E}[0mplain${E}[44mon blue${E}[49m${E}[39mback`);
    expect(runs.map((r) => [r.text, r.fg, r.bg, r.bold])).toEqual([
      ['a', null, null, false],
      ['red', 'var(--swy-ansi-1)', null, false],
      ['bold green', 'var(--swy-ansi-10)', null, true],
      ['plain', null, null, false],
      ['on blue', null, 'var(--swy-ansi-4)', false],
      ['back', null, null, false],
    ]);
    // ESC[m is a reset too; 22 ends bold.
    expect(parseAnsi(`${E}[1mx${E}[mY${E}[1mz${E}[22mw`).map((r) => r.bold)).toEqual([true, false, true, false]);
  });

  it('reads 256 and 24-bit colours', () => {
    expect(color256(1)).toBe('var(--swy-ansi-1)');
    expect(color256(16)).toBe('rgb(0, 0, 0)');
    expect(color256(196)).toBe('rgb(255, 0, 0)');
    expect(color256(232)).toBe('rgb(8, 8, 8)');
    expect(color256(256)).toBeNull();
    expect(parseAnsi(`${E}[38;5;196mx${E}[48;2;1;2;3my`).map((r) => [r.fg, r.bg])).toEqual([
      ['rgb(255, 0, 0)', null],
      ['rgb(255, 0, 0)', 'rgb(1, 2, 3)'],
    ]);
    // Out of range or cut short: no colour, no crash.
    expect(parseAnsi(`${E}[38;5;999mx${E}[38;2;300mz`).map((r) => r.fg)).toEqual([null, null]);
  });

  it('drops other escape sequences and keeps markup as text', () => {
    expect(stripAnsi(`${E}[2K${E}[1Gdone ${E}]0;title${E}\\<b>ok</b>${E}[?25l`)).toBe('done <b>ok</b>');
    expect(parseAnsi(`${E}[31m<script>alert(1)</script>`)).toMatchObject([{ text: '<script>alert(1)</script>', fg: 'var(--swy-ansi-1)' }]);
    // A lone or unfinished escape does not swallow the text after it.
    expect(stripAnsi(`a${E}`)).toBe('a');
    expect(stripAnsi(`a${E}[31`)).toBe('a31');
  });
});
