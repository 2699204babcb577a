import type { ItemCounts, ItemOutcome, NewItem } from '../../model/index.js';
import type { DbRow } from '../rows.js';
import { settleQueuedItems } from './change-rows.js';
import { placeholders, type SqlExecutor } from './envelope-rows.js';
import type { JobBook } from './job-book.js';
import type { CurrentItem, LedgerTx, TaskRow } from './ledger-tx.js';

/**
 * How a job's items are counted. A job's item records are its history; its counters and its
 * items tabs hold each path and operation once, by its latest record. A record supersedes the
 * job's earlier current record of the same path and operation — a task that ran again after a
 * crash, a lost lease, a failed attempt or a pause records its items again, and a retry of
 * failed items records them anew — and the earlier one is marked `superseded`: it stays in the
 * item's history and leaves the counters. A whole retry supersedes every record of the tasks it
 * runs again: their new run counts alone. A queued record (work ahead, not history) is deleted
 * where another would supersede it, so every queued record is current.
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

  const { replaced, earlier } = await supersedeEarlier(tx, row.jobId, kept);
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
 * Before `items` are written: which of them a later one of the same path and operation in the
 * same report replaces (by index), and the job's current records they replace, now marked.
 * Most reports name paths the job never saw: one indexed probe per path that finds nothing.
 */
async function supersedeEarlier(tx: LedgerTx, jobId: number, items: readonly NewItem[]): Promise<{ replaced: Set<number>; earlier: CurrentItem[] }> {
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
  const earlier = (await tx.currentItemsOf(jobId, paths)).filter((record) => last.has(keyOf(record.path, record.operation)));
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
 * in the job's current run. A retry starts the count of the tasks it runs again afresh (their
 * failed records stay current until redone, by them or by tasks they spawn), so a failure
 * recorded before the job last started is no longer in it; one from an earlier attempt in
 * this run (a crash, a lost lease, a pause) is.
 */
async function failuresCountedOn(x: SqlExecutor, row: TaskRow, earlier: readonly CurrentItem[]): Promise<number> {
  const own = earlier.filter((record) => record.outcome === 'failed' && record.taskId === row.id);
  if (own.length === 0) return 0;
  const started = (await x.all('SELECT started_at FROM jobs WHERE id = ?', [row.jobId]))[0]?.started_at;
  const since = started === null || started === undefined ? Number.NEGATIVE_INFINITY : Number(started);
  return own.filter((record) => record.at >= since).length;
}

async function deleteRecords(x: SqlExecutor, ids: readonly number[]): Promise<void> {
  for (let start = 0; start < ids.length; start += CHUNK) {
    const chunk = ids.slice(start, start + CHUNK);
    await x.run(`DELETE FROM items WHERE id IN (${placeholders(chunk.length)})`, chunk);
  }
}

async function markSuperseded(x: SqlExecutor, ids: readonly number[]): Promise<void> {
  for (let start = 0; start < ids.length; start += CHUNK) {
    const chunk = ids.slice(start, start + CHUNK);
    await x.run(`UPDATE items SET superseded = ? WHERE id IN (${placeholders(chunk.length)})`, [x.bool(true), ...chunk]);
  }
}

/**
 * A whole retry runs `taskIds` of a job again: their current records are superseded, and the
 * job's counters lose them (their new run counts alone). Answers the counts removed, negative.
 */
export async function supersedeTaskItems(x: SqlExecutor, jobId: number, taskIds: readonly number[]): Promise<ItemCounts> {
  const counts: ItemCounts = {};
  for (let start = 0; start < taskIds.length; start += CHUNK) {
    const chunk = taskIds.slice(start, start + CHUNK);
    const where = `job_id = ? AND task_id IN (${placeholders(chunk.length)}) AND superseded = ?`;
    const params = [jobId, ...chunk, x.bool(false)];
    for (const r of await x.all(`SELECT outcome, count(*) AS n FROM items WHERE ${where} GROUP BY outcome`, params)) {
      const outcome = r.outcome as ItemOutcome;
      counts[outcome] = (counts[outcome] ?? 0) - Number(r.n);
    }
    // Queued records (work ahead) go; the others stay in their items' history.
    await x.run(`DELETE FROM items WHERE ${where} AND outcome = 'queued'`, params);
    await x.run(`UPDATE items SET superseded = ? WHERE ${where}`, [x.bool(true), ...params]);
  }
  return counts;
}
