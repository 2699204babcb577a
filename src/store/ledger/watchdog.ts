import { expireTask, isTerminalTaskState, type TaskState, transitionTask, UNFINISHED_TASK_STATES } from '../../model/index.js';
import { applySettlement } from './complete.js';
import { releaseDependents } from './dependencies.js';
import { JobBook } from './job-book.js';
import type { LedgerTx, TaskRow } from './ledger-tx.js';

/**
 * Settles tasks whose worker stopped heartbeating: each is retried (another worker may lease
 * it after the backoff) or, out of attempts, fails. A late report from the old worker then
 * finds its lease token gone and is refused.
 */
export async function expireLeases(tx: LedgerTx, now: number, limit: number, random: () => number): Promise<number> {
  return settleExpired(tx, await tx.lockExpiredLeases(now, limit), now, random);
}

/**
 * Settles the leases of a worker known to be gone (a hub restarting after a crash knows its
 * own local worker died with it) at once, as if they had expired.
 */
export async function releaseLeasesOf(tx: LedgerTx, workerId: string, now: number, random: () => number): Promise<number> {
  return settleExpired(tx, await tx.lockLeasesOf(workerId, 10_000), now, random);
}

async function settleExpired(tx: LedgerTx, rows: TaskRow[], now: number, random: () => number): Promise<number> {
  if (rows.length === 0) return 0;
  const book = new JobBook(now);
  const changes: { row: TaskRow; fromState: TaskState }[] = [];
  const finished: TaskRow[] = [];
  for (const row of rows) {
    const settlement = expireTask(row, { now, random: random() });
    if (settlement === null) continue;
    const from = row.state;
    applySettlement(row, settlement, null, now);
    if (settlement.next === 'failure') row.error = { message: settlement.reason ?? 'lease expired' };
    changes.push({ row, fromState: from });
    book.moveTask(row, from, row.state, row.reason);
    if (isTerminalTaskState(row.state)) finished.push(row);
  }
  await tx.updateTasks(changes);
  await releaseDependents(tx, book, finished, now);
  await book.settle(tx);
  return changes.length;
}

/**
 * Fails jobs that recorded no activity for longer than their workflow's timeout: tasks not yet
 * running are cancelled, running ones aborted (their lease is revoked, so the worker stops at
 * its next heartbeat), and the job ends `failure` with the reason.
 */
export async function timeoutJobs(tx: LedgerTx, now: number, limit: number): Promise<number> {
  const ids = await tx.timedOutJobIds(now, limit);
  let count = 0;
  for (const jobId of ids) {
    const tasks = await tx.lockJobTasks(jobId, UNFINISHED_TASK_STATES);
    const [job] = await tx.lockJobs([jobId]);
    if (!job || job.deadlineAt === null || job.deadlineAt > now || job.timeoutMs === null) continue;
    const book = new JobBook(now);
    const changes: { row: TaskRow; fromState: TaskState }[] = [];
    for (const row of tasks) {
      const next = transitionTask(row.state, { type: 'abort' }) ?? transitionTask(row.state, { type: 'cancel' });
      if (next === null || !isTerminalTaskState(next)) continue;
      const from = row.state;
      Object.assign(row, { state: next, leaseToken: null, leaseExpiresAt: null, endedAt: now, updatedAt: now, reason: 'job timed out' });
      changes.push({ row, fromState: from });
      book.moveTask(row, from, next, row.reason);
    }
    await tx.updateTasks(changes);
    book.setIntent(job.id, 'timeout', `timed out: no activity for ${formatDuration(job.timeoutMs)}`);
    await book.settle(tx);
    count += 1;
  }
  return count;
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
