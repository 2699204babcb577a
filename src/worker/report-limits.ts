import type { Json, NewItem, TaskActivity } from '../model/index.js';
import { truncateText } from '../model/index.js';

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

export function boundLogLine(line: string): string {
  return truncateText(line, LIMITS.logLine);
}

export function boundItem(item: NewItem): NewItem {
  return {
    ...item,
    path: truncateText(item.path, LIMITS.itemPath),
    operation: truncateText(item.operation, LIMITS.itemOperation),
    error: item.error == null ? item.error : truncateText(item.error, LIMITS.itemError),
  };
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
  for (const spec of activity.spawn ?? []) chars += JSON.stringify(spec).length;
  if (activity.report) chars += JSON.stringify(activity.report).length;
  return chars;
}

/**
 * Splits one task's activity into consecutive pieces of at most LIMITS.entries entries of each
 * kind, in order (a buffer that grew while the hub was unreachable can hold more).
 */
export function splitActivity(activity: TaskActivity): TaskActivity[] {
  const { items = [], logs = [], spawn = [], progress, ...lease } = activity;
  const pieces = Math.max(1, Math.ceil(Math.max(items.length, logs.length, spawn.length) / LIMITS.entries));
  if (pieces === 1) return [activity];
  return Array.from({ length: pieces }, (_, n) => {
    const piece: TaskActivity = { ...lease };
    const slice = <T>(list: T[]) => list.slice(n * LIMITS.entries, (n + 1) * LIMITS.entries);
    if (slice(items).length > 0) piece.items = slice(items);
    if (slice(logs).length > 0) piece.logs = slice(logs);
    if (slice(spawn).length > 0) piece.spawn = slice(spawn);
    if (n === pieces - 1 && progress) piece.progress = progress;
    return piece;
  });
}

/** Splits a batch into consecutive chunks of at most LIMITS.requestChars and LIMITS.entries (a single oversized entry goes alone). */
export function chunkBatch<T extends TaskActivity>(batch: T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let chars = 0;
  let entries = 0;
  for (const activity of batch) {
    const size = activityChars(activity);
    const count = (activity.logs?.length ?? 0) + (activity.items?.length ?? 0) + (activity.spawn?.length ?? 0);
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
