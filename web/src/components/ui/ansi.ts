/**
 * ANSI SGR ("Select Graphic Rendition") colour codes in a line of output, turned into styled
 * runs of plain text. Handles reset, bold, dim, italic, underline, inverse, the 16 colours and
 * their bright variants, 256 colours (38;5;n / 48;5;n) and 24-bit colours (38;2;r;g;b). Every
 * other escape sequence (cursor moves, OSC titles and links) is dropped. The output is data for
 * React to render as text: nothing here becomes markup.
 *
 * Each line starts from the default style: lines are drawn one by one (virtualised), so a colour
 * left open at the end of one line does not carry into the next. Which sequences are escapes is
 * the domain's rule (model/output-text.ts), the one the hub's output search also follows.
 */

import { ansiEscapes, hasAnsi, visibleText } from '../../domain.js';

export interface AnsiRun {
  text: string;
  /** A CSS colour: `var(--swy-ansi-N)` for the 16 palette colours (themed), else `rgb(...)`. */
  fg: string | null;
  bg: string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

interface Style {
  fg: string | null;
  bg: string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
}

const plain = (): Style => ({ fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false });

/** Palette colour 0-15 as a themed CSS variable (defined in app.css for light and dark). */
const palette = (n: number) => `var(--swy-ansi-${n})`;

/** Colour n of the xterm 256-colour table. */
export function color256(n: number): string | null {
  if (!Number.isInteger(n) || n < 0 || n > 255) return null;
  if (n < 16) return palette(n);
  if (n >= 232) {
    const level = 8 + (n - 232) * 10;
    return `rgb(${level}, ${level}, ${level})`;
  }
  const i = n - 16;
  const level = (c: number) => (c === 0 ? 0 : 55 + c * 40);
  return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
}

const byte = (value: number | undefined) => (value !== undefined && Number.isInteger(value) && value >= 0 && value <= 255 ? value : null);

/** Applies one SGR parameter list to the style; unknown codes are ignored. */
function applySgr(style: Style, params: string): void {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === 0) Object.assign(style, plain());
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 7) style.inverse = true;
    else if (code === 22) {
      style.bold = false;
      style.dim = false;
    } else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code === 27) style.inverse = false;
    else if (code >= 30 && code <= 37) style.fg = palette(code - 30);
    else if (code === 39) style.fg = null;
    else if (code >= 40 && code <= 47) style.bg = palette(code - 40);
    else if (code === 49) style.bg = null;
    else if (code >= 90 && code <= 97) style.fg = palette(code - 90 + 8);
    else if (code >= 100 && code <= 107) style.bg = palette(code - 100 + 8);
    else if (code === 38 || code === 48) {
      let colour: string | null = null;
      if (codes[i + 1] === 5) {
        colour = color256(codes[i + 2]);
        i += 2;
      } else if (codes[i + 1] === 2) {
        const [r, g, b] = [byte(codes[i + 2]), byte(codes[i + 3]), byte(codes[i + 4])];
        colour = r !== null && g !== null && b !== null ? `rgb(${r}, ${g}, ${b})` : null;
        i += 4;
      } else break; // malformed: the rest of the list cannot be read reliably
      if (colour !== null) {
        if (code === 38) style.fg = colour;
        else style.bg = colour;
      }
    }
  }
}

function run(text: string, style: Style): AnsiRun {
  const fg = style.inverse ? (style.bg ?? 'var(--swy-ansi-inverse-fg)') : style.fg;
  const bg = style.inverse ? (style.fg ?? 'var(--swy-ansi-inverse-bg)') : style.bg;
  return { text, fg, bg, bold: style.bold, dim: style.dim, italic: style.italic, underline: style.underline };
}

export { hasAnsi };

/** The line's visible text in styled runs; adjacent runs differ in style. Empty text gives []. */
export function parseAnsi(line: string): AnsiRun[] {
  const runs: AnsiRun[] = [];
  const style = plain();
  let at = 0;
  const push = (text: string) => {
    if (text.length > 0) runs.push(run(text, style));
  };
  for (const match of line.matchAll(ansiEscapes())) {
    push(line.slice(at, match.index));
    at = match.index + match[0].length;
    if (match[2] === 'm' && !(match[1] ?? '').includes('?')) applySgr(style, match[1] ?? '');
  }
  push(line.slice(at));
  return runs;
}

/** The line without its escape sequences: what a reader sees. */
export const stripAnsi = visibleText;
