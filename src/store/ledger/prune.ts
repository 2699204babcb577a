import { type JobState, latestCutoff, type PruneCutoffs } from '../../model/index.js';
import { forgetEnvelopeMembers } from './envelopes.js';
import type { LedgerTx } from './ledger-tx.js';
import type { ScheduleExecutor } from './schedule-tx.js';

const TERMINAL = "('cancelled', 'success', 'error', 'failure', 'skipped', 'unknown')";

/**
 * The cutoff of each job as SQL: its workflow's, else its queue's, else the default (a job
 * with none compares against -1 and is kept).
 */
function cutoffSql(cutoffs: PruneCutoffs): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const cases = (column: string, map: Record<string, number>) =>
    Object.entries(map)
      .map(([name, at]) => {
        params.push(name, at);
        return `WHEN ${column} = ? THEN CAST(? AS BIGINT)`;
      })
      .join(' ');
  const byWorkflow = cases('workflow', cutoffs.byWorkflow);
  const byQueue = cases('queue', cutoffs.byQueue);
  params.push(cutoffs.otherwise ?? -1);
  if (!byWorkflow && !byQueue) return { sql: '?', params };
  // Typed: PostgreSQL cannot infer a parameter's type inside CASE.
  return { sql: `(CASE ${byWorkflow} ${byQueue} ELSE CAST(? AS BIGINT) END)`, params };
}

/**
 * Retention: removes up to `limit` finished jobs that ended before their cutoff (workflow's,
 * queue's or default), with their tasks, items, output and locks, inside the caller's short
 * transaction. Candidates are read oldest end first from the jobs_prunable index (finished
 * jobs by ended_at), bounded by the latest cutoff, so a round never scans unfinished or recent
 * jobs. Their tasks and then the jobs are locked (the order every job verb takes) and the
 * jobs re-checked, so a job retried meanwhile stays. Answers how many were removed; the
 * caller repeats in later transactions while it gets `limit`.
 */
export async function pruneJobs(tx: LedgerTx, x: ScheduleExecutor, cutoffs: PruneCutoffs, limit: number, now: number): Promise<number> {
  const rule = cutoffSql(cutoffs);
  const candidates = await x.all(
    `SELECT id FROM jobs WHERE ended_at IS NOT NULL AND ended_at < ? AND state IN ${TERMINAL} AND ended_at < ${rule.sql} ORDER BY ended_at, id LIMIT ?`,
    [latestCutoff(cutoffs), ...rule.params, limit],
  );
  if (candidates.length === 0) return 0;
  // Ids came from the database as integers: listing them inline is safe and works on both stores.
  const list = candidates.map((r) => Number(r.id)).join(',');
  // Row locks exist only on PostgreSQL (SQLite's transaction holds the whole file).
  if (x.forUpdate) await x.all(`SELECT id FROM tasks WHERE job_id IN (${list}) ORDER BY id${x.forUpdate}`, []);
  const locked = await x.all(
    `SELECT id, envelope_id, state FROM jobs WHERE id IN (${list}) AND state IN ${TERMINAL} AND ended_at IS NOT NULL AND ended_at < ${rule.sql} ORDER BY id${x.forUpdate}`,
    rule.params,
  );
  const ids = locked.map((r) => Number(r.id));
  await tx.deleteJobs(ids);
  const members = locked.filter((r) => r.envelope_id !== null && r.envelope_id !== undefined);
  if (members.length > 0) {
    const removed = members.map((r) => ({ jobId: Number(r.id), envelopeId: Number(r.envelope_id), state: r.state as JobState }));
    await forgetEnvelopeMembers(tx, removed, now);
  }
  return ids.length;
}

/** Removes up to `limit` of the oldest events recorded before `before`; answers how many. */
export async function pruneEvents(x: ScheduleExecutor, before: number, limit: number): Promise<number> {
  return x.run('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY id LIMIT ?)', [before, limit]);
}
