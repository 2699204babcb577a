import type { ItemCounts, ItemOutcome, NewItem } from '../../model/index.js';
import type { DbRow } from '../rows.js';
import { settleQueuedItems } from './change-rows.js';
import { placeholders, type SqlExecutor } from './envelope-rows.js';
import type { JobBook } from './job-book.js';
import type { CurrentItem, LedgerTx, TaskRow } from './ledger-tx.js';

/**
 * How a job's items are counted. A job's item records are its history; its counters and its
 * items tabs hold the current ones. A task that runs again — after a crash, a lost lease, a
 * failed attempt, a pause, or for a retry of its failed items — records its items again: its
 * new record of a path and operation supersedes its earlier one, which is marked `superseded`,
 * stays in the item's history and leaves the counters. A failed record of a task retried for
 * its failed items is superseded too when another task of the job redoes the path (a retried
 * copy redoes its writes in tasks it spawns). Otherwise different tasks' records all count:
 * the rollback of several jobs reverts the same paths once for each. A whole retry supersedes
 * every record of the tasks it runs again: their new run counts alone. A queued record (work
 * ahead, not history) is deleted where another would supersede it, so every queued record is
 * current.
 */

/** Statement chunks: 500 parameters and a few stay below both stores' limits. */
const CHUNK = 500;

/**
 * Records what `row` reported about its items and moves the job's counters (through `book`) and
 * the task's failed count by what changed: new records count, the records they supersede no
 * longer do, and queued records of paths settled here are removed (the work ahead).
 */
export async function recordItems(tx: LedgerTx, book: JobBook, row: TaskRow, items: readonly NewItem[], now: number): Promise<void> {
  // Paths recorded with another outcome are done with: their queued records go, unless this
  // same report queues them again afterwards.
  const lastQueued = new Map<string, boolean>();
  for (const item of items) lastQueued.set(item.path, item.outcome === 'queued');
  const settled = [...lastQueued].filter(([, queued]) => !queued).map(([path]) => path);
  const removedQueued = settled.length > 0 ? await settleQueuedItems(tx.sql, row.jobId, settled) : 0;
  const kept = items.filter((item) => item.outcome !== 'queued' || lastQueued.get(item.path) === true);

  const { replaced, earlier } = await supersedeEarlier(tx, row, kept);
  const counts: ItemCounts = {};
  const add = (outcome: ItemOutcome, n: number) => {
    counts[outcome] = (counts[outcome] ?? 0) + n;
  };
  let failedHere = 0;
  kept.forEach((item, i) => {
    if (replaced.has(i)) return;
    add(item.outcome, 1);
    if (item.outcome === 'failed') failedHere += 1;
  });
  for (const record of earlier) add(record.outcome, -1);
  failedHere -= await failuresCountedOn(tx.sql, row, earlier);
  if (removedQueued > 0) add('queued', -removedQueued);
  row.itemsFailed = Math.max(0, row.itemsFailed + failedHere);
  // Written: every record but a queued one this same report queues again (work ahead, not history).
  const written: NewItem[] = [];
  const writtenReplaced = new Set<number>();
  kept.forEach((item, i) => {
    if (!replaced.has(i)) written.push(item);
    else if (item.outcome !== 'queued') writtenReplaced.add(written.push(item) - 1);
  });
  await tx.insertItems(row.jobId, row.id, now, written, writtenReplaced);
  book.items(row.jobId, counts);
}

/**
 * Before `items` of `row` are written: which of them a later one of the same path and operation
 * in the same report replaces (by index), and the job's current records they replace, now
 * marked: the task's own, and failures of tasks retried for their failed items. Most reports
 * name paths the job never saw: one indexed probe per path that finds nothing.
 */
async function supersedeEarlier(tx: LedgerTx, row: TaskRow, items: readonly NewItem[]): Promise<{ replaced: Set<number>; earlier: CurrentItem[] }> {
  const keyOf = (path: string, operation: string) => `${operation}\u0000${path}`;
  const last = new Map<string, number>();
  items.forEach((item, i) => {
    last.set(keyOf(item.path, item.operation), i);
  });
  const replaced = new Set<number>();
  items.forEach((item, i) => {
    if (last.get(keyOf(item.path, item.operation)) !== i) replaced.add(i);
  });
  const paths = [...new Set(items.map((item) => item.path))];
  const found = (await tx.currentItemsOf(row.jobId, paths)).filter((record) => last.has(keyOf(record.path, record.operation)));
  const others = found.filter((record) => record.taskId !== row.id && record.outcome === 'failed');
  const retried = others.length > 0 ? await tasksRetryingItems(tx.sql, [...new Set(others.map((record) => record.taskId))]) : new Set<number>();
  const earlier = found.filter((record) => record.taskId === row.id || (record.outcome === 'failed' && retried.has(record.taskId)));
  // A queued record is work ahead, not history: one queued again is replaced outright, as one
  // settled is removed (settleQueuedItems), so that every queued record is a current one.
  await markSuperseded(
    tx.sql,
    earlier.filter((record) => record.outcome !== 'queued').map((record) => record.id),
  );
  await deleteRecords(
    tx.sql,
    earlier.filter((record) => record.outcome === 'queued').map((record) => record.id),
  );
  return { replaced, earlier };
}

/** Those of `taskIds` a retry of failed items runs again (their retry_items mark). */
async function tasksRetryingItems(x: SqlExecutor, taskIds: readonly number[]): Promise<Set<number>> {
  const marked = new Set<number>();
  await inChunks(taskIds, async (chunk) => {
    const rows = await x.all(`SELECT id FROM tasks WHERE id IN (${placeholders(chunk.length)}) AND retry_items = ?`, [...chunk, x.bool(true)]);
    for (const r of rows) marked.add(Number(r.id));
  });
  return marked;
}

/** Rows of a probe by path as CurrentItem, the superseded ones left out (the stores' currentItemsOf). */
export function currentItemsFrom(rows: readonly DbRow[]): CurrentItem[] {
  const current: CurrentItem[] = [];
  for (const r of rows) {
    if (r.superseded === true || r.superseded === 1) continue;
    current.push({
      id: Number(r.id),
      path: r.path as string,
      operation: r.operation as string,
      outcome: r.outcome as ItemOutcome,
      taskId: Number(r.task_id),
      at: Number(r.at),
    });
  }
  return current;
}

/**
 * How many of the superseded records are failures `row`'s failed count holds: its own, recorded
 * in the job's current run. A retry of failed items starts the count of the tasks it runs
 * again afresh (their failed records stay current until redone), so a failure recorded before
 * the job last started is no longer in it; one from an earlier attempt in this run (a crash, a
 * lost lease, a pause) is.
 */
async function failuresCountedOn(x: SqlExecutor, row: TaskRow, earlier: readonly CurrentItem[]): Promise<number> {
  const own = earlier.filter((record) => record.outcome === 'failed' && record.taskId === row.id);
  if (own.length === 0) return 0;
  const started = (await x.all('SELECT started_at FROM jobs WHERE id = ?', [row.jobId]))[0]?.started_at;
  const since = started === null || started === undefined ? Number.NEGATIVE_INFINITY : Number(started);
  return own.filter((record) => record.at >= since).length;
}

/** `body` over `values` CHUNK at a time, in turn. */
async function inChunks<T>(values: readonly T[], body: (chunk: T[]) => Promise<void>): Promise<void> {
  for (let start = 0; start < values.length; start += CHUNK) await body(values.slice(start, start + CHUNK));
}

const deleteRecords = (x: SqlExecutor, ids: readonly number[]) =>
  inChunks(ids, async (chunk) => {
    await x.run(`DELETE FROM items WHERE id IN (${placeholders(chunk.length)})`, chunk);
  });

const markSuperseded = (x: SqlExecutor, ids: readonly number[]) =>
  inChunks(ids, async (chunk) => {
    await x.run(`UPDATE items SET superseded = ? WHERE id IN (${placeholders(chunk.length)})`, [x.bool(true), ...chunk]);
  });

/**
 * A whole retry runs `taskIds` of a job again: their current records are superseded, and the
 * job's counters lose them (their new run counts alone). Answers the counts removed, negative.
 */
export async function supersedeTaskItems(x: SqlExecutor, jobId: number, taskIds: readonly number[]): Promise<ItemCounts> {
  const counts: ItemCounts = {};
  await inChunks(taskIds, async (chunk) => {
    const where = `job_id = ? AND task_id IN (${placeholders(chunk.length)}) AND superseded = ?`;
    const params = [jobId, ...chunk, x.bool(false)];
    for (const r of await x.all(`SELECT outcome, count(*) AS n FROM items WHERE ${where} GROUP BY outcome`, params)) {
      const outcome = r.outcome as ItemOutcome;
      counts[outcome] = (counts[outcome] ?? 0) - Number(r.n);
    }
    // Queued records (work ahead) go; the others stay in their items' history.
    await x.run(`DELETE FROM items WHERE ${where} AND outcome = 'queued'`, params);
    await x.run(`UPDATE items SET superseded = ? WHERE ${where}`, [x.bool(true), ...params]);
  });
  return counts;
}
