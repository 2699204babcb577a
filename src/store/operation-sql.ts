import {
  type BulkAction,
  type Json,
  type OperationFilter,
  type OperationReason,
  type OperationRecord,
  type OperationState,
  REASON_SAMPLE,
  SwitchyardError,
} from '../model/index.js';
import { controlJobs, deleteJobs, retryJobs } from './ledger/control.js';
import { placeholders } from './ledger/envelope-rows.js';
import type { LedgerTx } from './ledger/ledger-tx.js';
import type { ScheduleExecutor } from './ledger/schedule-tx.js';
import { jobFilterWhere } from './list-queries.js';
import type { DbRow } from './rows.js';
import type { Dialect } from './sql-builder.js';
import { postgresDialect, sqliteDialect, WhereBuilder } from './sql-builder.js';
import type { NewOperation, OperationBatch } from './store.js';

/** Placeholders stay `?` (the executor numbers them on PostgreSQL); the rest is the backend's. */
export function questionDialect(ilike: string): Dialect {
  return { ...(ilike === sqliteDialect.ilike ? sqliteDialect : postgresDialect), placeholder: () => '?' };
}

/** The operation reads and writes both backends share, over the same executor as schedules. */
export class OperationSql {
  constructor(
    private readonly x: ScheduleExecutor,
    private readonly dialect: Dialect,
  ) {}

  async insert(op: NewOperation, now: number): Promise<OperationRecord> {
    const maxJobId = await this.maxJobId();
    // By ids, every id named gets an outcome (acted on, or skipped: "not found" among the
    // reasons), so each counts towards the total and `done` never passes it.
    const total = op.jobIds ? op.jobIds.length : await this.countJobs({ ...(op.filter ?? { sites: null }), maxId: maxJobId });
    const [row] = await this.x.all(
      `INSERT INTO operations (action, filter, job_ids, options, actor, actor_role, actor_sites, state, max_job_id, cursor_id, total,
         done, succeeded, skipped, failed, reasons, created_at, started_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, 0, ?, 0, 0, 0, 0, ?, ?, ?, ?) RETURNING *`,
      [
        op.action,
        op.filter === null ? null : this.x.json(op.filter as unknown as Json),
        op.jobIds === null ? null : this.x.json(op.jobIds),
        this.x.json(op.options),
        op.actor,
        op.actorRole,
        op.actorSites === null ? null : this.x.json(op.actorSites),
        maxJobId,
        total,
        this.x.json({}),
        now,
        now,
        now,
      ],
    );
    return this.record(row);
  }

  async get(id: number, lock = false): Promise<OperationRecord | null> {
    const [row] = await this.x.all(`SELECT * FROM operations WHERE id = ?${lock ? this.x.forUpdate : ''}`, [id]);
    return row ? this.record(row) : null;
  }

  async list(actor: string | undefined, limit: number): Promise<OperationRecord[]> {
    const rows =
      actor === undefined
        ? await this.x.all('SELECT * FROM operations ORDER BY id DESC LIMIT ?', [limit])
        : await this.x.all('SELECT * FROM operations WHERE actor = ? ORDER BY id DESC LIMIT ?', [actor, limit]);
    return rows.map((r) => this.record(r));
  }

  async running(limit: number): Promise<OperationRecord[]> {
    return (await this.x.all(`SELECT * FROM operations WHERE state = 'running' ORDER BY id LIMIT ?`, [limit])).map((r) => this.record(r));
  }

  async end(id: number, state: OperationState, error: string | null, now: number): Promise<OperationRecord | null> {
    const [row] = await this.x.all(`UPDATE operations SET state = ?, error = ?, ended_at = ?, updated_at = ? WHERE id = ? AND state = 'running' RETURNING *`, [
      state,
      error,
      now,
      now,
      id,
    ]);
    return row ? this.record(row) : null;
  }

  async advance(
    op: OperationRecord,
    to: number,
    counts: { succeeded: number; skipped: number; failed: number },
    reasons: Record<string, OperationReason>,
    last: boolean,
    now: number,
  ): Promise<OperationRecord> {
    const done = counts.succeeded + counts.skipped + counts.failed;
    const [row] = await this.x.all(
      `UPDATE operations SET cursor_id = ?, done = done + ?, succeeded = succeeded + ?, skipped = skipped + ?, failed = failed + ?,
         reasons = ?, state = ?, ended_at = ?, updated_at = ? WHERE id = ? RETURNING *`,
      [
        to,
        done,
        counts.succeeded,
        counts.skipped,
        counts.failed,
        this.x.json(reasons as unknown as Json),
        last ? 'done' : 'running',
        last ? now : null,
        now,
        op.id,
      ],
    );
    return this.record(row);
  }

  async countJobs(filter: OperationFilter & { ids?: number[]; maxId?: number }): Promise<number> {
    const where = new WhereBuilder(this.dialect);
    jobFilterWhere(where, filter);
    if (filter.maxId !== undefined) where.add(`id <= ${where.param(filter.maxId)}`);
    const [row] = await this.x.all(`SELECT COUNT(*) AS n FROM jobs ${where.sql()}`, where.params);
    return Number(row.n);
  }

  async maxJobId(): Promise<number> {
    const [row] = await this.x.all('SELECT COALESCE(MAX(id), 0) AS n FROM jobs', []);
    return Number(row.n);
  }

  /**
   * Subscribes `username` to each job's end, in one statement per 500 jobs; answers the jobs
   * that had an equal subscription already (left alone).
   */
  async subscribe(jobIds: number[], username: string, options: Record<string, string>, now: number): Promise<Set<number>> {
    const channel = options.channel ?? 'console';
    const existing = new Set<number>();
    for (let at = 0; at < jobIds.length; at += 500) {
      const chunk = jobIds.slice(at, at + 500);
      const found = await this.x.all(`SELECT job_id FROM subscriptions WHERE username = ? AND channel = ? AND job_id IN (${placeholders(chunk.length)})`, [
        username,
        channel,
        ...chunk,
      ]);
      for (const r of found) existing.add(Number(r.job_id));
      const fresh = chunk.filter((id) => !existing.has(id));
      if (fresh.length === 0) continue;
      const row = "(?, ?, NULL, ?, ?, ?, NULL, NULL, ?, ?, 'immediate', 'UTC', ?)";
      await this.x.run(
        `INSERT INTO subscriptions (username, job_id, site, all_sites, channel, address, url, secret, on_when, events, delivery, timezone, created_at)
         VALUES ${fresh.map(() => row).join(', ')}`,
        fresh.flatMap((id) => [username, id, this.x.bool(false), channel, options.address ?? null, options.on ?? 'end', this.x.json([]), now]),
      );
    }
    return existing;
  }

  private record(r: DbRow): OperationRecord {
    const json = <T>(v: unknown): T | null => (v === null || v === undefined ? null : (this.x.parseJson(v) as T));
    return {
      id: Number(r.id),
      action: r.action as BulkAction,
      filter: json<OperationFilter>(r.filter),
      jobIds: json<number[]>(r.job_ids),
      options: json<Record<string, string>>(r.options) ?? {},
      actor: r.actor as string,
      actorRole: r.actor_role as OperationRecord['actorRole'],
      actorSites: json<string[]>(r.actor_sites),
      state: r.state as OperationState,
      maxJobId: Number(r.max_job_id),
      cursor: Number(r.cursor_id),
      total: Number(r.total),
      done: Number(r.done),
      succeeded: Number(r.succeeded),
      skipped: Number(r.skipped),
      failed: Number(r.failed),
      reasons: json<Record<string, OperationReason>>(r.reasons) ?? {},
      error: (r.error as string | null) ?? null,
      createdAt: Number(r.created_at),
      startedAt: Number(r.started_at),
      endedAt: r.ended_at === null || r.ended_at === undefined ? null : Number(r.ended_at),
      updatedAt: Number(r.updated_at),
    };
  }
}

/** Store refusals that count as skipped (the rules said no) or failed (the job changed under us), with the reason they are grouped by. */
function refusal(error: unknown, action: BulkAction): { kind: 'skipped' | 'failed'; reason: string } | null {
  if (!(error instanceof SwitchyardError)) return null;
  if (error.code === 'SWY_ERR_JOB_STATE') {
    const state = /is (\w+): it cannot/.exec(error.message)?.[1] ?? 'another state';
    return { kind: 'skipped', reason: `${state}: cannot ${action}` };
  }
  if (error.code === 'SWY_ERR_RETRY_SUPERSEDED') return { kind: 'failed', reason: 'superseded by a later job on the same resources' };
  if (error.code === 'SWY_ERR_JOB_NOT_FOUND') return { kind: 'failed', reason: 'job no longer exists' };
  return null;
}

/** Adds one job to a reason's group (the id kept only among the first REASON_SAMPLE). */
export function noteReason(reasons: Record<string, OperationReason>, reason: string, jobId: number): void {
  const group = reasons[reason] ?? { count: 0, jobIds: [] };
  group.count += 1;
  if (group.jobIds.length < REASON_SAMPLE) group.jobIds.push(jobId);
  reasons[reason] = group;
}

/**
 * One operation batch inside the caller's transaction (see OperationStore.applyOperationBatch):
 * the batch verbs of the ledger (control.ts) act on all its jobs at once, in a fixed number of
 * statements, as the single-job verbs would one after the other; each job they refuse is
 * counted with the single-job verb's reason.
 */
export async function applyOperationBatch(tx: LedgerTx, ops: OperationSql, batch: OperationBatch, now: number): Promise<OperationRecord | null> {
  const op = await ops.get(batch.operationId, true);
  if (op?.state !== 'running' || op.cursor !== batch.from) return null;
  const reasons = op.reasons;
  const counts = { succeeded: 0, skipped: 0, failed: 0 };
  for (const { jobId, reason } of batch.skip) {
    counts.skipped += 1;
    noteReason(reasons, reason, jobId);
  }
  const ids = [...new Set(batch.apply)].sort((a, b) => a - b);
  const refused = await applyAll(tx, ops, batch, ids, now);
  for (const jobId of ids) {
    const outcome = refused.get(jobId);
    if (outcome === undefined) counts.succeeded += 1;
    else if (outcome === ALREADY_SUBSCRIBED) {
      counts.skipped += 1;
      noteReason(reasons, outcome, jobId);
    } else {
      const refusedAs = refusal(outcome, batch.action);
      if (!refusedAs) throw outcome;
      counts[refusedAs.kind] += 1;
      noteReason(reasons, refusedAs.reason, jobId);
    }
  }
  return ops.advance(op, batch.to, counts, reasons, batch.last, now);
}

const ALREADY_SUBSCRIBED = 'already subscribed';

/**
 * The batch verbs, as the single-job routes apply them one job at a time. Each checks every
 * job's state before it writes anything, so a refused job is left as it was. Answers the
 * jobs not acted on, with why.
 */
async function applyAll(
  tx: LedgerTx,
  ops: OperationSql,
  batch: OperationBatch,
  ids: number[],
  now: number,
): Promise<Map<number, SwitchyardError | typeof ALREADY_SUBSCRIBED>> {
  if (ids.length === 0) return new Map();
  switch (batch.action) {
    case 'cancel':
    case 'pause':
    case 'resume':
      return controlJobs(tx, ids, batch.action, now);
    case 'retry':
      return retryJobs(tx, ids, now, false);
    case 'delete':
      return deleteJobs(tx, ids, now);
    case 'subscribe': {
      const existing = await ops.subscribe(ids, batch.actor, batch.options, now);
      return new Map([...existing].map((id) => [id, ALREADY_SUBSCRIBED]));
    }
  }
}
