/**
 * A line diff for the side-by-side view of a changed text file. The `diff` npm package is not
 * among the console's dependencies, so this is a small longest-common-subsequence diff of
 * lines: the common head and tail are taken off first (most edits touch a few lines), then
 * the middle is solved with an LCS table. Inputs are the hub's stored texts, at most 64 KiB
 * each; a middle larger than MAX_CELLS (lines before × lines after) is shown as removed then
 * added rather than solved, so a pathological pair never stalls the page.
 */

export type DiffOp = 'same' | 'removed' | 'added';

/** One row of the side-by-side view: the line on the left (before), the right (after), or both. */
export interface DiffRow {
  op: DiffOp | 'changed';
  /** 1-based line numbers; null on the side without a line. */
  leftNo: number | null;
  left: string | null;
  rightNo: number | null;
  right: string | null;
}

/** Table cells an LCS may use: 4 Mi cells of 4 bytes is 16 MB at worst. */
export const MAX_CELLS = 4 * 1024 * 1024;
/** Inputs longer than this are cut (the API never sends longer). */
export const MAX_TEXT = 64 * 1024;

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.slice(0, MAX_TEXT).split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The edit script from `a` to `b`, line by line, in order. */
export function diffLines(a: readonly string[], b: readonly string[]): { op: DiffOp; line: string }[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: { op: DiffOp; line: string }[] = [];
  for (let i = 0; i < head; i++) out.push({ op: 'same', line: a[i] });
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  out.push(...middle(x, y));
  for (let i = a.length - tail; i < a.length; i++) out.push({ op: 'same', line: a[i] });
  return out;
}

function middle(x: readonly string[], y: readonly string[]): { op: DiffOp; line: string }[] {
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0 || (n + 1) * (m + 1) > MAX_CELLS) {
    return [...x.map((line) => ({ op: 'removed' as const, line })), ...y.map((line) => ({ op: 'added' as const, line }))];
  }
  // lcs[i][j]: the LCS length of x[i..] and y[j..], row-major in one typed array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = x[i] === y[j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const out: { op: DiffOp; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: 'same', line: x[i] });
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
      out.push({ op: 'removed', line: x[i++] });
    } else {
      out.push({ op: 'added', line: y[j++] });
    }
  }
  while (i < n) out.push({ op: 'removed', line: x[i++] });
  while (j < m) out.push({ op: 'added', line: y[j++] });
  return out;
}

/**
 * The rows of a side-by-side view: unchanged lines on both sides; a run of removed lines
 * followed by added ones paired up row by row as `changed`, the rest alone on their side.
 */
export function sideBySide(before: string, after: string): DiffRow[] {
  const script = diffLines(splitLines(before), splitLines(after));
  const rows: DiffRow[] = [];
  let leftNo = 0;
  let rightNo = 0;
  for (let k = 0; k < script.length; ) {
    if (script[k].op === 'same') {
      leftNo++;
      rightNo++;
      rows.push({ op: 'same', leftNo, left: script[k].line, rightNo, right: script[k].line });
      k++;
      continue;
    }
    const removed: string[] = [];
    const added: string[] = [];
    while (k < script.length && script[k].op === 'removed') removed.push(script[k++].line);
    while (k < script.length && script[k].op === 'added') added.push(script[k++].line);
    for (let r = 0; r < Math.max(removed.length, added.length); r++) {
      const left = r < removed.length ? removed[r] : null;
      const right = r < added.length ? added[r] : null;
      rows.push({
        op: left !== null && right !== null ? 'changed' : left !== null ? 'removed' : 'added',
        leftNo: left !== null ? ++leftNo : null,
        left,
        rightNo: right !== null ? ++rightNo : null,
        right,
      });
    }
  }
  return rows;
}
