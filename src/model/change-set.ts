import type { ItemOutcome } from './task-counts.js';

/**
 * Change sets (R27): what a task found different, attached to its job — a file added,
 * changed or removed, with its sizes and, for small text files, its text before and after so
 * that the console can show a side-by-side diff.
 */
export const ChangeKind = { added: 'added', changed: 'changed', removed: 'removed' } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];
export const CHANGE_KINDS: readonly ChangeKind[] = Object.values(ChangeKind);

/**
 * Bounds on one change: its path as an item's (at most 2,048 bytes of UTF-8 over the worker
 * protocol), and each text at most 64 KiB of UTF-8; a longer text is dropped, the change
 * marked `textOmitted`, never cut (half a file would diff wrongly).
 */
export const CHANGE_LIMITS = { pathBytes: 2048, textBytes: 65_536 } as const;

/** What a task reports (`ctx.change`), as the worker protocol carries it. */
export interface NewChange {
  path: string;
  change: ChangeKind;
  sizeBefore?: number | null;
  sizeAfter?: number | null;
  textBefore?: string | null;
  textAfter?: string | null;
  /** A text was given but was over CHANGE_LIMITS.textBytes, so neither text is kept. */
  textOmitted?: boolean;
}

/** A stored change, as lists show it: without its texts (see ChangeDetail). */
export interface ChangeRecord {
  id: number;
  jobId: number;
  taskId: number;
  path: string;
  change: ChangeKind;
  sizeBefore: number | null;
  sizeAfter: number | null;
  /** A text before or after is stored: the change can be shown as a text diff. */
  hasText: boolean;
  textOmitted: boolean;
  at: number;
}

/** One change with its texts. */
export interface ChangeDetail extends ChangeRecord {
  textBefore: string | null;
  textAfter: string | null;
}

export type ChangeCounts = Record<ChangeKind, number>;

export function emptyChangeCounts(): ChangeCounts {
  return { added: 0, changed: 0, removed: 0 };
}

/** The last record of one path in a job, as the comparison of two runs reads it. */
export interface ItemState {
  path: string;
  operation: string;
  outcome: ItemOutcome;
  bytes: number | null;
}

export type ComparisonKind = 'added' | 'removed' | 'changed';
export const COMPARISON_KINDS: readonly ComparisonKind[] = ['added', 'removed', 'changed'];

export interface ItemDifference {
  path: string;
  kind: ComparisonKind;
  /** The path's last record in the previous run; null when it was added. */
  before: ItemState | null;
  /** …and in this run; null when it was removed. */
  after: ItemState | null;
}

export interface ItemComparison {
  counts: Record<ComparisonKind | 'unchanged', number>;
  /** Sorted by path (code unit order). */
  differences: ItemDifference[];
}

/**
 * Compares two runs' items path by path, each path by its last record: a path only in
 * `after` was added, only in `before` removed, and in both it changed when its bytes or its
 * outcome differ. Pure: the caller reads both sets.
 */
export function compareItemStates(before: readonly ItemState[], after: readonly ItemState[]): ItemComparison {
  const old = new Map(before.map((item) => [item.path, item]));
  const counts = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  const differences: ItemDifference[] = [];
  const seen = new Set<string>();
  for (const item of after) {
    seen.add(item.path);
    const was = old.get(item.path);
    if (!was) {
      counts.added += 1;
      differences.push({ path: item.path, kind: 'added', before: null, after: item });
    } else if (was.bytes !== item.bytes || was.outcome !== item.outcome) {
      counts.changed += 1;
      differences.push({ path: item.path, kind: 'changed', before: was, after: item });
    } else {
      counts.unchanged += 1;
    }
  }
  for (const item of before) {
    if (seen.has(item.path)) continue;
    counts.removed += 1;
    differences.push({ path: item.path, kind: 'removed', before: item, after: null });
  }
  differences.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { counts, differences };
}

/** Item records of a job counted per operation and outcome, with their bytes. */
export interface ItemStat {
  operation: string;
  outcome: ItemOutcome;
  count: number;
  bytes: number;
}
