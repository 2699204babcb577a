import type { Settlement } from '../../model/index.js';
import { isLeasedTaskState, isTerminalTaskState, settleTask, type TaskReport } from '../../model/index.js';
import type { ActivityResult, CompletionResult, HeartbeatRequest, HeartbeatResult, TaskActivity, TaskCompletion } from '../store.js';
import { applyActivity, holdsLease } from './activity.js';
import { releaseDependents } from './dependencies.js';
import { JobBook } from './job-book.js';
import type { LedgerTx, TaskRow } from './ledger-tx.js';

/**
 * Records activity of running tasks; a report whose lease is no longer held, or about a task
 * outside `sites` (null or absent: all), changes nothing.
 */
export async function recordActivity(tx: LedgerTx, batch: TaskActivity[], now: number, sites?: readonly string[] | null): Promise<ActivityResult[]> {
  const rows = new Map((await tx.lockTasks(uniqueIds(batch))).map((row) => [row.id, row]));
  const book = new JobBook(now);
  const touched = new Map<number, TaskRow>();
  const results: ActivityResult[] = [];
  for (const activity of batch) {
    const row = rows.get(activity.taskId);
    if (!holdsLease(row, activity.leaseToken, sites)) {
      results.push({ taskId: activity.taskId, accepted: false });
      continue;
    }
    await applyActivity(tx, book, row, activity, now, rows);
    touched.set(row.id, row);
    results.push({ taskId: row.id, accepted: true });
  }
  await tx.updateTasks([...touched.values()].map((row) => ({ row, fromState: row.state })));
  await book.settle(tx);
  return results;
}

/** Settles finished tasks with their last activity, in one transaction for the batch; tasks outside `sites` are refused as lost. */
export async function completeTasks(
  tx: LedgerTx,
  batch: TaskCompletion[],
  now: number,
  random: () => number,
  sites?: readonly string[] | null,
): Promise<CompletionResult[]> {
  const rows = new Map((await tx.lockTasksAndJobs(uniqueIds(batch))).map((row) => [row.id, row]));
  const book = new JobBook(now);
  const changes = new Map<number, { row: TaskRow; fromState: TaskRow['state'] }>();
  const finished: TaskRow[] = [];
  const results: CompletionResult[] = [];
  for (const completion of batch) {
    const row = rows.get(completion.taskId);
    if (!holdsLease(row, completion.leaseToken, sites)) {
      results.push({ taskId: completion.taskId, accepted: false });
      continue;
    }
    const fromState = row.state;
    await applyActivity(tx, book, row, completion, now, rows);
    const settlement = settleTask(row, completion.report, { now, random: random() });
    if (settlement === null) {
      results.push({ taskId: row.id, accepted: false });
      continue;
    }
    applySettlement(row, settlement, completion.report, now);
    if (completion.report.kind === 'succeeded' && completion.report.changed) book.changed(row.jobId);
    book.moveTask(row, fromState, row.state, row.reason);
    changes.set(row.id, { row, fromState });
    if (isTerminalTaskState(row.state)) finished.push(row);
    results.push({ taskId: row.id, accepted: true, state: row.state });
  }
  await tx.updateTasks([...changes.values()]);
  await releaseDependents(tx, book, finished, now);
  await book.settle(tx);
  return results;
}

/** Writes a settlement onto the task row; shared with lease expiry. */
export function applySettlement(row: TaskRow, settlement: Settlement, report: TaskReport | null, now: number): void {
  row.state = settlement.next;
  row.updatedAt = now;
  row.reason = settlement.reason ?? null;
  if (!isLeasedTaskState(row.state)) {
    row.leaseToken = null;
    row.leaseExpiresAt = null;
  }
  if (settlement.availableAt !== undefined) row.availableAt = settlement.availableAt;
  if (settlement.refundAttempt) row.attempts = Math.max(0, row.attempts - 1);
  if (isTerminalTaskState(row.state)) row.endedAt = now;
  if (report?.kind === 'succeeded') {
    row.changed = report.changed;
    row.result = report.result ?? null;
  } else if (report?.kind === 'failed') {
    row.error = report.error;
  }
}

/** Extends the leases still held (at the request's sites); says which are lost and which tasks should stop. */
export async function heartbeat(tx: LedgerTx, request: HeartbeatRequest): Promise<HeartbeatResult> {
  const rows = new Map((await tx.lockTasks(uniqueIds(request.leases))).map((row) => [row.id, row]));
  const result: HeartbeatResult = { lost: [], stop: [] };
  const extended: { row: TaskRow; fromState: TaskRow['state'] }[] = [];
  for (const lease of request.leases) {
    const row = rows.get(lease.taskId);
    if (!holdsLease(row, lease.leaseToken, request.sites)) {
      result.lost.push(lease.taskId);
      continue;
    }
    row.leaseExpiresAt = request.now + request.leaseMs;
    extended.push({ row, fromState: row.state });
    if (row.state === 'cancelling') result.stop.push({ taskId: row.id, reason: 'cancel' });
  }
  // A pausing task runs on unless its job was paused "now": only then is it told to stop. One
  // the worker has not started yet stops on any pause: it is handed back unrun.
  const unstarted = new Set(request.unstarted ?? []);
  for (const { row } of extended) if (row.state === 'pausing' && unstarted.has(row.id)) result.stop.push({ taskId: row.id, reason: 'pause' });
  const pausing = extended.filter(({ row }) => row.state === 'pausing' && !unstarted.has(row.id));
  if (pausing.length > 0) {
    const jobs = await tx.lockJobs([...new Set(pausing.map(({ row }) => row.jobId))].sort((a, b) => a - b));
    const now = new Set(jobs.filter((job) => job.intent === 'pause-now').map((job) => job.id));
    for (const { row } of pausing) if (now.has(row.jobId)) result.stop.push({ taskId: row.id, reason: 'pause' });
  }
  if (extended.length > 0) await tx.updateTasks(extended);
  return result;
}

function uniqueIds(batch: { taskId: number }[]): number[] {
  return [...new Set(batch.map((entry) => entry.taskId))].sort((a, b) => a - b);
}
