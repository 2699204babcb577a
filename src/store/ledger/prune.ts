import type { LedgerTx } from './ledger-tx.js';
import type { ScheduleExecutor } from './schedule-tx.js';

const TERMINAL = "('cancelled', 'success', 'error', 'failure', 'skipped', 'unknown')";

/**
 * Retention: removes up to `limit` finished jobs that ended before `endedBefore`, with their
 * tasks, items, output and events, inside the caller's (short) transaction. Jobs are locked
 * as a delete locks them (tasks first) and re-checked, so a job retried meanwhile stays.
 * Answers how many were removed; the caller repeats in later transactions while it gets `limit`.
 */
export async function pruneJobs(tx: LedgerTx, x: ScheduleExecutor, endedBefore: number, limit: number): Promise<number> {
  const rows = await x.all(`SELECT id FROM jobs WHERE state IN ${TERMINAL} AND ended_at < ? ORDER BY id LIMIT ?`, [endedBefore, limit]);
  let removed = 0;
  for (const { id } of rows) {
    const jobId = Number(id);
    await tx.lockJobTasks(jobId, null);
    const [job] = await tx.lockJobs([jobId]);
    if (!job || job.endedAt === null || job.endedAt >= endedBefore || !TERMINAL.includes(`'${job.state}'`)) continue;
    await tx.deleteJob(jobId);
    removed += 1;
  }
  return removed;
}

/** Removes up to `limit` of the oldest events recorded before `before`; answers how many. */
export async function pruneEvents(x: ScheduleExecutor, before: number, limit: number): Promise<number> {
  return x.run('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY id LIMIT ?)', [before, limit]);
}
