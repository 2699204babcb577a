/**
 * What a reader sees of a line of task output: the text without its terminal escape sequences
 * (ANSI colours, cursor moves, OSC titles and links). The hub's output search matches this text
 * and the console draws it, so both agree on what "the line contains ERROR" means even when a
 * colour code sits in the middle of the word.
 */

const ESC = '\u001b';

/**
 * CSI sequences (ESC [ params final; group 1 the params, group 2 the final byte), OSC strings
 * (ESC ] … BEL or ESC \, or to the end of the line), and other two-byte escapes. A new RegExp
 * each call: a global one keeps its `lastIndex` between uses.
 */
export function ansiEscapes(): RegExp {
  return new RegExp(`${ESC}\\[([0-9;:?]*)([@-~])|${ESC}\\][^\\u0007${ESC}]*(?:\\u0007|${ESC}\\\\|$)|${ESC}[@-_]?`, 'g');
}

/** True when the line holds an escape character (nothing to strip otherwise). */
export function hasAnsi(line: string): boolean {
  return line.includes(ESC);
}

/** The line without its escape sequences: what a reader sees. */
export function visibleText(line: string): string {
  return hasAnsi(line) ? line.replace(ansiEscapes(), '') : line;
}

/** Lower-cases ASCII letters only, as SQLite's lower() and PostgreSQL's lower() under the C collation do. */
export function foldAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * Where `needle` occurs in `text`, ASCII letters in either case (the hub's search rule), as
 * [start, end) offsets that do not overlap, in order. An empty needle finds nothing.
 */
export function findMatches(text: string, needle: string): Array<[number, number]> {
  if (needle.length === 0) return [];
  const folded = foldAscii(text);
  const want = foldAscii(needle);
  const found: Array<[number, number]> = [];
  for (let at = folded.indexOf(want); at >= 0; at = folded.indexOf(want, at + want.length)) found.push([at, at + want.length]);
  return found;
}
