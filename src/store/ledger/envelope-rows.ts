import type { EnvelopeProblem, EnvelopeRecord, EventRecord, ItemOutcome, JobState, Json } from '../../model/index.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { DbRow, RowMapper } from '../rows.js';
import type { EnvelopeMember, EnvelopeQuery, Page, RollbackSource } from '../store.js';
import type { ScheduleExecutor } from './schedule-tx.js';

/**
 * Envelope SQL shared by both stores, written once with `?` placeholders over the schedule
 * verbs' executor (schedule-tx.ts), which numbers them for PostgreSQL. Id lists are spelt out
 * as `IN (?, ?, …)` so that one text serves both dialects.
 */
export type SqlExecutor = ScheduleExecutor;

export const placeholders = (n: number): string => Array(n).fill('?').join(', ');

export function envelopeOf(x: SqlExecutor, r: DbRow): EnvelopeRecord {
  const optNum = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    type: r.type as string,
    site: r.site as string,
    queue: r.queue as string,
    creator: r.creator as string,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    fileName: (r.file_name as string | null) ?? null,
    onError: r.on_error as EnvelopeRecord['onError'],
    intent: r.intent as EnvelopeRecord['intent'],
    rollback: r.rollback as EnvelopeRecord['rollback'],
    rollbackJobId: optNum(r.rollback_job_id),
    status: r.status as EnvelopeRecord['status'],
    reason: (r.reason as string | null) ?? null,
    problem: r.problem === null || r.problem === undefined ? null : (x.parseJson(r.problem) as unknown as EnvelopeProblem),
    jobCounts: (x.parseJson(r.job_counts) ?? {}) as Partial<Record<JobState, number>>,
    totalJobs: Number(r.total_jobs),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    endedAt: optNum(r.ended_at),
  };
}

/** One envelope; `lock` takes its row until commit (PostgreSQL). */
export async function readEnvelope(x: SqlExecutor, id: number, lock = false): Promise<EnvelopeRecord | null> {
  const [row] = await x.all(`SELECT * FROM envelopes WHERE id = ?${lock ? x.forUpdate : ''}`, [id]);
  return row ? envelopeOf(x, row) : null;
}

/** Envelopes by id, locked, ascending. */
export async function lockEnvelopes(x: SqlExecutor, ids: number[]): Promise<EnvelopeRecord[]> {
  if (ids.length === 0) return [];
  const rows = await x.all(`SELECT * FROM envelopes WHERE id IN (${placeholders(ids.length)}) ORDER BY id${x.forUpdate}`, ids);
  return rows.map((r) => envelopeOf(x, r));
}

/** Writes back what the ledger changes on an envelope. */
export async function writeEnvelope(x: SqlExecutor, e: EnvelopeRecord): Promise<void> {
  await x.run(
    `UPDATE envelopes SET intent = ?, rollback = ?, rollback_job_id = ?, status = ?, reason = ?, job_counts = ?, updated_at = ?, ended_at = ? WHERE id = ?`,
    [e.intent, e.rollback, e.rollbackJobId, e.status, e.reason, x.json(e.jobCounts as Json), e.updatedAt, e.endedAt, e.id],
  );
}

export async function listEnvelopes(x: SqlExecutor, query: EnvelopeQuery): Promise<Page<EnvelopeRecord>> {
  const where: string[] = [];
  const params: unknown[] = [];
  const within = (column: string, values: readonly unknown[] | null | undefined) => {
    if (!values) return;
    if (values.length === 0) {
      where.push('1 = 0');
      return;
    }
    where.push(`${column} IN (${placeholders(values.length)})`);
    params.push(...values);
  };
  within('site', query.sites);
  if (query.statuses?.length) within('status', query.statuses);
  if (query.types?.length) within('type', query.types);
  if (query.creators?.length) within('creator', query.creators);
  if (query.createdFrom !== undefined) {
    where.push('created_at >= ?');
    params.push(query.createdFrom);
  }
  if (query.createdTo !== undefined) {
    where.push('created_at <= ?');
    params.push(query.createdTo);
  }
  if (query.cursor) {
    where.push('id < ?');
    params.push(decodeCursor(query.cursor, 'envelopes').id);
  }
  const sql = `SELECT * FROM envelopes${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  const rows = await x.all(sql, [...params, query.limit + 1]);
  const items = rows.slice(0, query.limit).map((r) => envelopeOf(x, r));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(null, last.id, 'envelopes') : null };
}

/**
 * The envelope's history, oldest first: its own events (created, status changed) and its jobs'
 * (members and rollback job: created, state changed); the newest `limit` when there are more.
 * `->>` reads a JSON field in both dialects (SQLite answers a number, PostgreSQL text: the cast evens them).
 */
export async function envelopeEvents(x: SqlExecutor, map: RowMapper, id: number, limit: number): Promise<EventRecord[]> {
  const rows = await x.all(
    `SELECT * FROM events WHERE job_id IS NULL AND type LIKE 'envelope:%' AND CAST(data ->> 'envelope' AS TEXT) = ? ORDER BY id DESC LIMIT ?`,
    [String(id), limit],
  );
  const jobIds = (await x.all('SELECT id FROM jobs WHERE envelope_id = ? ORDER BY id', [id])).map((r) => Number(r.id));
  for (let at = 0; at < jobIds.length; at += 500) {
    const slice = jobIds.slice(at, at + 500);
    rows.push(
      ...(await x.all(
        `SELECT * FROM events WHERE job_id IN (${placeholders(slice.length)}) AND type IN ('job:created', 'job:state:changed') ORDER BY id DESC LIMIT ?`,
        [...slice, limit],
      )),
    );
  }
  return rows
    .map(map.event)
    .sort((a, b) => b.id - a.id)
    .slice(0, limit)
    .reverse();
}

/** The members of an envelope (not its rollback job), by id, with the members each runs after. */
export async function envelopeMembers(x: SqlExecutor, map: RowMapper, id: number): Promise<EnvelopeMember[]> {
  const jobs = await x.all('SELECT * FROM jobs WHERE envelope_id = ? AND is_rollback = 0 ORDER BY id', [id]);
  const edges = await x.all('SELECT job_id, after_job_id FROM envelope_edges WHERE envelope_id = ? ORDER BY job_id, after_job_id', [id]);
  const after = new Map<number, number[]>();
  for (const edge of edges) {
    const list = after.get(Number(edge.job_id)) ?? [];
    list.push(Number(edge.after_job_id));
    after.set(Number(edge.job_id), list);
  }
  return jobs.map((row) => {
    const job = map.job(row);
    return { job, after: after.get(job.id) ?? [] };
  });
}

/** The tasks of `jobIds` that changed something, with their inputs, results and first items. */
export async function rollbackSources(x: SqlExecutor, jobIds: number[], itemLimit: number): Promise<RollbackSource[]> {
  if (jobIds.length === 0) return [];
  const sources: RollbackSource[] = [];
  // In slices, to keep the parameter count of one statement small on both stores.
  for (let at = 0; at < jobIds.length; at += 500) {
    const slice = jobIds.slice(at, at + 500);
    const rows = await x.all(
      `SELECT t.id, t.job_id, t.workflow, t.type, t.input, t.result, t.ended_at, j.fields FROM tasks t JOIN jobs j ON j.id = t.job_id
        WHERE t.job_id IN (${placeholders(slice.length)}) AND t.changed = ? AND t.state IN ('success', 'error') ORDER BY t.id`,
      [...slice, x.bool(true)],
    );
    for (const r of rows) {
      const items = await x.all('SELECT path, operation, outcome, bytes FROM items WHERE task_id = ? AND superseded = ? ORDER BY id LIMIT ?', [
        Number(r.id),
        x.bool(false),
        itemLimit + 1,
      ]);
      sources.push({
        taskId: Number(r.id),
        jobId: Number(r.job_id),
        workflow: r.workflow as string,
        type: r.type as string,
        input: r.input === null ? null : x.parseJson(r.input),
        result: r.result === null || r.result === undefined ? null : x.parseJson(r.result),
        fields: (x.parseJson(r.fields) ?? {}) as Record<string, Json>,
        endedAt: r.ended_at === null ? null : Number(r.ended_at),
        items: items.slice(0, itemLimit).map((i) => ({
          path: i.path as string,
          operation: i.operation as string,
          outcome: i.outcome as ItemOutcome,
          bytes: i.bytes === null ? null : Number(i.bytes),
        })),
        itemsTruncated: items.length > itemLimit,
      });
    }
  }
  return sources;
}
