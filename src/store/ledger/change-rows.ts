import {
  CHANGE_KINDS,
  type ChangeCounts,
  type ChangeDetail,
  type ChangeKind,
  type ChangeRecord,
  emptyChangeCounts,
  type ItemOutcome,
  type ItemStat,
  type ItemState,
  type NewChange,
} from '../../model/index.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { DbRow } from '../rows.js';
import { type Dialect, WhereBuilder } from '../sql-builder.js';
import type { ChangeQuery, Page } from '../store.js';
import { placeholders, type SqlExecutor } from './envelope-rows.js';

/**
 * Change sets (R27), the comparison of a job's items with its previous run's, item statistics
 * per operation, and the bookkeeping of retrying failed items: SQL shared by both stores,
 * written once with `?` placeholders over the executor envelopes and schedules use.
 */

/** Rows per INSERT: 11 parameters each stays far below both stores' parameter limits. */
const INSERT_CHUNK = 200;

/** Appends a task's changes to its job's change set. */
export async function insertChanges(x: SqlExecutor, jobId: number, taskId: number, at: number, changes: readonly NewChange[]): Promise<void> {
  for (let start = 0; start < changes.length; start += INSERT_CHUNK) {
    const chunk = changes.slice(start, start + INSERT_CHUNK);
    const params: unknown[] = [];
    for (const c of chunk) {
      params.push(
        jobId,
        taskId,
        c.path,
        c.change,
        c.sizeBefore ?? null,
        c.sizeAfter ?? null,
        c.textBefore ?? null,
        c.textAfter ?? null,
        x.bool(c.textOmitted === true),
        at,
      );
    }
    await x.run(
      `INSERT INTO changes (job_id, task_id, path, change, size_before, size_after, text_before, text_after, text_omitted, at)
        VALUES ${chunk.map(() => `(${placeholders(10)})`).join(', ')}`,
      params,
    );
  }
}

/**
 * A queued item is the work ahead: once its path is recorded in the job with another outcome,
 * its queued records are removed. Answers how many were, for the job's queued count.
 */
export async function settleQueuedItems(x: SqlExecutor, jobId: number, paths: readonly string[]): Promise<number> {
  // One probe of the (job_id, outcome) index of current records first: most jobs queue nothing.
  const probe = `SELECT 1 AS one FROM items WHERE job_id = ? AND outcome = 'queued' AND ${x.isFalse('superseded')} LIMIT 1`;
  if ((await x.all(probe, [jobId])).length === 0) return 0;
  let removed = 0;
  const unique = [...new Set(paths)];
  for (let start = 0; start < unique.length; start += 500) {
    const chunk = unique.slice(start, start + 500);
    // Every queued record is current (a queued record is deleted, not superseded: item-records.ts),
    // and the condition says so in the words of the outcome index, which serves the statement.
    removed += await x.run(
      `DELETE FROM items WHERE job_id = ? AND outcome = 'queued' AND ${x.isFalse('superseded')} AND path IN (${placeholders(chunk.length)})`,
      [jobId, ...chunk],
    );
  }
  return removed;
}

/** Clears the mark of an earlier retry for failed items on the tasks of jobs retried whole. */
export async function clearItemRetry(x: SqlExecutor, jobIds: readonly number[]): Promise<void> {
  for (let start = 0; start < jobIds.length; start += 500) {
    const chunk = jobIds.slice(start, start + 500);
    await x.run(`UPDATE tasks SET retry_items = ? WHERE job_id IN (${placeholders(chunk.length)}) AND retry_items = ?`, [
      x.bool(false),
      ...chunk,
      x.bool(true),
    ]);
  }
}

/** Marks the tasks of a job a retry re-runs for their failed items (and clears the mark on its other tasks). */
export async function markItemRetry(x: SqlExecutor, jobId: number, taskIds: readonly number[]): Promise<void> {
  await x.run('UPDATE tasks SET retry_items = ? WHERE job_id = ? AND retry_items = ?', [x.bool(false), jobId, x.bool(true)]);
  for (let start = 0; start < taskIds.length; start += 500) {
    const chunk = taskIds.slice(start, start + 500);
    await x.run(`UPDATE tasks SET retry_items = ? WHERE job_id = ? AND id IN (${placeholders(chunk.length)})`, [x.bool(true), jobId, ...chunk]);
  }
}

/** The paths whose last item recorded by the task failed, in the order they first failed, at most `limit`. */
export async function failedItemPaths(x: SqlExecutor, jobId: number, taskId: number, limit: number): Promise<string[]> {
  const rows = await x.all(
    `SELECT i.path, MIN(i.id) AS first_id FROM items i
      WHERE i.job_id = ? AND i.outcome = 'failed' AND ${x.isFalse('i.superseded')} AND i.task_id = ?
        AND NOT EXISTS (SELECT 1 FROM items l WHERE l.job_id = i.job_id AND l.path = i.path AND l.task_id = i.task_id AND l.id > i.id)
      GROUP BY i.path ORDER BY first_id LIMIT ?`,
    [jobId, taskId, limit],
  );
  return rows.map((r) => r.path as string);
}

const LIST_COLUMNS = `id, job_id, task_id, path, change, size_before, size_after, text_omitted, at,
  (CASE WHEN text_before IS NOT NULL OR text_after IS NOT NULL THEN 1 ELSE 0 END) AS has_text`;

function changeOf(r: DbRow): ChangeRecord {
  const optNum = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    jobId: Number(r.job_id),
    taskId: Number(r.task_id),
    path: r.path as string,
    change: r.change as ChangeKind,
    sizeBefore: optNum(r.size_before),
    sizeAfter: optNum(r.size_after),
    hasText: Number(r.has_text) === 1,
    textOmitted: r.text_omitted === true || r.text_omitted === 1,
    at: Number(r.at),
  };
}

/** A job's changes in the order recorded, without their texts (see getChange). */
export async function listChanges(x: SqlExecutor, dialect: Dialect, jobId: number, query: ChangeQuery): Promise<Page<ChangeRecord>> {
  const where = new WhereBuilder(dialect);
  where.add(`job_id = ${where.param(jobId)}`);
  if (query.change) where.add(`change = ${where.param(query.change)}`);
  if (query.path) where.add(where.contains('path', query.path));
  if (query.cursor) where.add(`id > ${where.param(decodeCursor(query.cursor, 'changes').id)}`);
  const fetch = query.limit + 1;
  const rows = await x.all(`SELECT ${LIST_COLUMNS} FROM changes ${where.sql()} ORDER BY id LIMIT ${where.param(fetch)}`, where.params);
  const more = rows.length === fetch;
  const kept = more ? rows.slice(0, query.limit) : rows;
  return { items: kept.map(changeOf), nextCursor: more ? encodeCursor(null, Number(kept[kept.length - 1].id), 'changes') : null };
}

/** How many changes of each kind a job has, with the same path filter as the list. */
export async function changeCounts(x: SqlExecutor, dialect: Dialect, jobId: number, path?: string): Promise<ChangeCounts> {
  const where = new WhereBuilder(dialect);
  where.add(`job_id = ${where.param(jobId)}`);
  if (path) where.add(where.contains('path', path));
  const rows = await x.all(`SELECT change, count(*) AS n FROM changes ${where.sql()} GROUP BY change`, where.params);
  const counts = emptyChangeCounts();
  for (const r of rows) if (CHANGE_KINDS.includes(r.change as ChangeKind)) counts[r.change as ChangeKind] = Number(r.n);
  return counts;
}

/** One change of a job with its texts; null when the job has no change of that id. */
export async function getChange(x: SqlExecutor, jobId: number, changeId: number): Promise<ChangeDetail | null> {
  const [row] = await x.all(`SELECT ${LIST_COLUMNS}, text_before, text_after FROM changes WHERE id = ? AND job_id = ?`, [changeId, jobId]);
  if (!row) return null;
  return { ...changeOf(row), textBefore: (row.text_before as string | null) ?? null, textAfter: (row.text_after as string | null) ?? null };
}

/**
 * The run before a job: the newest earlier job of the same workflow at the same site — or,
 * when the job was fired by a schedule, of the same schedule. Null when there is none.
 */
export async function previousRun(x: SqlExecutor, job: { id: number; workflow: string; site: string; scheduleId: number | null }): Promise<number | null> {
  const rows =
    job.scheduleId !== null
      ? await x.all('SELECT MAX(id) AS id FROM jobs WHERE schedule_id = ? AND id < ?', [job.scheduleId, job.id])
      : await x.all('SELECT MAX(id) AS id FROM jobs WHERE workflow = ? AND site = ? AND id < ?', [job.workflow, job.site, job.id]);
  const id = rows[0]?.id;
  return id === null || id === undefined ? null : Number(id);
}

/** Each path of a job by its last record, at most `limit` paths (the first recorded). */
export async function latestItems(x: SqlExecutor, jobId: number, limit: number): Promise<ItemState[]> {
  // The last record of each path: one pass over the job's part of the (job_id, path, id) index,
  // then a primary-key read per path (a correlated NOT EXISTS per row was several times slower).
  const rows = await x.all(
    `SELECT i.path, i.operation, i.outcome, i.bytes FROM items i
      JOIN (SELECT MAX(id) AS id FROM items WHERE job_id = ? GROUP BY path) last ON last.id = i.id
      ORDER BY i.id LIMIT ?`,
    [jobId, limit],
  );
  return rows.map((r) => ({
    path: r.path as string,
    operation: r.operation as string,
    outcome: r.outcome as ItemOutcome,
    bytes: r.bytes === null || r.bytes === undefined ? null : Number(r.bytes),
  }));
}

/** A job's item records counted per operation and outcome, with their bytes; by operation, then outcome. */
export async function itemStats(x: SqlExecutor, jobId: number): Promise<ItemStat[]> {
  const rows = await x.all(
    `SELECT operation, outcome, count(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM items WHERE job_id = ? AND ${x.isFalse('superseded')}
      GROUP BY operation, outcome ORDER BY operation, outcome LIMIT 1000`,
    [jobId],
  );
  return rows.map((r) => ({ operation: r.operation as string, outcome: r.outcome as ItemOutcome, count: Number(r.n), bytes: Number(r.bytes) }));
}
