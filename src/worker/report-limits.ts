import type { Json, NewChange, NewItem, TaskActivity } from '../model/index.js';
import { CHANGE_KINDS, CHANGE_LIMITS, ITEM_OUTCOMES, truncateText } from '../model/index.js';

/**
 * What a worker sends must fit the worker protocol (src/api/routes/worker.ts): log lines of at
 * most 65,536 characters, at most 10,000 entries of each kind per report, bodies of at most
 * 8 MiB. Nothing a handler produces is refused for its size: text is cut with a marker, a
 * result over 1 MiB of JSON is replaced by its truncated text, and batches are split.
 */
export const LIMITS = {
  logLine: 65_536,
  itemPath: 4_096,
  itemOperation: 100,
  itemError: 10_000,
  result: 1_048_576,
  /** Entries per report, well under the protocol's 10,000. */
  entries: 5_000,
  /**
   * Characters per request. A character takes up to 3 bytes of UTF-8, so 2 Mi characters stay
   * under the 8 MiB body limit with room for JSON punctuation and escapes.
   */
  requestChars: 2 * 1_048_576,
  /** Reports or completions per request (the protocol allows 1,000). */
  perRequest: 1_000,
} as const;

/**
 * A change counts as this many entries when splitting: the protocol allows 1,000 changes per
 * report (each may carry 128 KiB of text), against 10,000 of other entries.
 */
export const CHANGE_WEIGHT = 10;

export function boundLogLine(line: string): string {
  return truncateText(line, LIMITS.logLine);
}

export function boundItem(item: NewItem): NewItem {
  checkItemOutcome(item.outcome);
  return {
    ...item,
    path: truncateText(item.path, LIMITS.itemPath),
    operation: truncateText(item.operation, LIMITS.itemOperation),
    error: item.error == null ? item.error : truncateText(item.error, LIMITS.itemError),
  };
}

/**
 * Throws a TypeError to the handler for an item outcome that is not one of queued, completed,
 * failed, skipped (a mistake in the handler): the worker protocol refuses it, and the items
 * tabs read the outcomes one by one.
 */
export function checkItemOutcome(outcome: unknown): void {
  if (!ITEM_OUTCOMES.includes(outcome as NewItem['outcome'])) {
    throw new TypeError(`item: outcome must be one of ${ITEM_OUTCOMES.join(', ')}, not ${JSON.stringify(outcome) ?? String(outcome)}`);
  }
}

/**
 * Bounds a change a handler reports (ctx.change): its path cut like an item's, sizes kept only
 * when they are whole byte counts, and texts kept only while each is at most 64 KiB of UTF-8 —
 * over that both are dropped and the change is marked `textOmitted`. Throws a TypeError for a
 * change kind that is not one of added, changed, removed (a mistake in the handler).
 */
export function boundChange(
  path: string,
  report: { change: unknown; sizeBefore?: unknown; sizeAfter?: unknown; textBefore?: unknown; textAfter?: unknown; textOmitted?: unknown },
): NewChange {
  const change = report?.change;
  if (!CHANGE_KINDS.includes(change as NewChange['change'])) {
    throw new TypeError(`change: "${String(change)}" is not a change kind (one of ${CHANGE_KINDS.join(', ')})`);
  }
  const size = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null);
  const text = (value: unknown) => (value === undefined || value === null ? null : String(value));
  const before = text(report.textBefore);
  const after = text(report.textAfter);
  const tooLong = [before, after].some((t) => t !== null && (t.length > CHANGE_LIMITS.textBytes || Buffer.byteLength(t) > CHANGE_LIMITS.textBytes));
  return {
    path: truncatePathBytes(String(path), CHANGE_LIMITS.pathBytes),
    change: change as NewChange['change'],
    sizeBefore: size(report.sizeBefore),
    sizeAfter: size(report.sizeAfter),
    textBefore: tooLong ? null : before,
    textAfter: tooLong ? null : after,
    textOmitted: tooLong || report.textOmitted === true,
  };
}

/** Cuts a path to at most `maxBytes` of UTF-8 (with the truncation marker), never inside a character. */
function truncatePathBytes(path: string, maxBytes: number): string {
  if (Buffer.byteLength(path) <= maxBytes) return path;
  // Each UTF-16 unit is at most 3 bytes: a third of the bytes as characters always fits.
  let chars = Math.floor(maxBytes / 3);
  let cut = truncateText(path, chars);
  while (Buffer.byteLength(cut) <= maxBytes - 64 && chars < path.length) {
    chars += Math.max(1, Math.floor((maxBytes - Buffer.byteLength(cut)) / 3));
    const longer = truncateText(path, chars);
    if (Buffer.byteLength(longer) > maxBytes) break;
    cut = longer;
  }
  return cut;
}

/** Characters a change takes as JSON, roughly. */
export function changeChars(change: NewChange): number {
  return change.path.length + (change.textBefore?.length ?? 0) + (change.textAfter?.length ?? 0) + 120;
}

/**
 * Checks a handler's result is JSON and bounds it. A result over 1 MiB of JSON becomes a
 * string: its JSON cut with a "…[truncated N chars]" marker. Throws a readable error for a
 * result JSON cannot hold (a BigInt, a cycle).
 */
export function boundResult(result: Json | undefined): Json | undefined {
  if (result === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (error) {
    throw new TypeError(`the task's result is not JSON: ${(error as Error).message}`);
  }
  if (json === undefined) return undefined;
  return json.length > LIMITS.result ? truncateText(json, LIMITS.result) : result;
}

/** A rough count of the characters `activity` takes as JSON; used to split batches, not exact. */
export function activityChars(activity: TaskActivity & { report?: unknown }): number {
  let chars = 200;
  for (const line of activity.logs ?? []) chars += line.length + 4;
  for (const item of activity.items ?? []) chars += item.path.length + item.operation.length + (item.error?.length ?? 0) + 100;
  for (const change of activity.changes ?? []) chars += changeChars(change);
  for (const spec of activity.spawn ?? []) chars += JSON.stringify(spec).length;
  if (activity.report) chars += JSON.stringify(activity.report).length;
  return chars;
}

/**
 * Splits one task's activity into consecutive pieces of at most LIMITS.entries entries of each
 * kind, in order (a buffer that grew while the hub was unreachable can hold more).
 */
export function splitActivity(activity: TaskActivity): TaskActivity[] {
  const { items = [], logs = [], spawn = [], changes = [], progress, ...lease } = activity;
  const groups = changeGroups(changes);
  const pieces = Math.max(1, Math.ceil(Math.max(items.length, logs.length, spawn.length) / LIMITS.entries), groups.length);
  if (pieces === 1) return [activity];
  return Array.from({ length: pieces }, (_, n) => {
    const piece: TaskActivity = { ...lease };
    const slice = <T>(list: T[]) => list.slice(n * LIMITS.entries, (n + 1) * LIMITS.entries);
    if (slice(items).length > 0) piece.items = slice(items);
    if (slice(logs).length > 0) piece.logs = slice(logs);
    if (slice(spawn).length > 0) piece.spawn = slice(spawn);
    if (groups[n]) piece.changes = groups[n];
    if (n === pieces - 1 && progress) piece.progress = progress;
    return piece;
  });
}

/** Changes in consecutive groups of at most LIMITS.entries / CHANGE_WEIGHT and about a quarter of LIMITS.requestChars each. */
function changeGroups(changes: NewChange[]): NewChange[][] {
  const groups: NewChange[][] = [];
  let current: NewChange[] = [];
  let chars = 0;
  for (const change of changes) {
    const size = changeChars(change);
    if (current.length > 0 && (current.length >= LIMITS.entries / CHANGE_WEIGHT || chars + size > LIMITS.requestChars / 4)) {
      groups.push(current);
      current = [];
      chars = 0;
    }
    current.push(change);
    chars += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Splits a batch into consecutive chunks of at most LIMITS.requestChars and LIMITS.entries (a single oversized entry goes alone). */
export function chunkBatch<T extends TaskActivity>(batch: T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let chars = 0;
  let entries = 0;
  for (const activity of batch) {
    const size = activityChars(activity);
    const count =
      (activity.logs?.length ?? 0) + (activity.items?.length ?? 0) + (activity.spawn?.length ?? 0) + (activity.changes?.length ?? 0) * CHANGE_WEIGHT;
    if (current.length > 0 && (chars + size > LIMITS.requestChars || entries + count > LIMITS.entries || current.length >= LIMITS.perRequest)) {
      chunks.push(current);
      current = [];
      chars = 0;
      entries = 0;
    }
    current.push(activity);
    chars += size;
    entries += count;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
