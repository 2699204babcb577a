import { isLeasedTaskState } from '../../model/index.js';
import type { NewTaskSpec, TaskActivity } from '../store.js';
import { insertChanges } from './change-rows.js';
import { recordItems } from './item-records.js';
import type { JobBook } from './job-book.js';
import type { LedgerTx, TaskRow } from './ledger-tx.js';
import { insertPlanned, planTasks, unknownSitesOf } from './new-tasks.js';

/**
 * Whether a report about `row` comes from the worker that holds its lease now, and that
 * worker may act at the task's site (`sites`: the reporting token's sites; null or absent
 * for all). A task outside those sites is answered as a lost lease: the report names a task
 * the worker has no business with, and saying so tells it nothing more than that.
 */
export function holdsLease(row: TaskRow | undefined, leaseToken: string, sites?: readonly string[] | null): row is TaskRow {
  return row !== undefined && isLeasedTaskState(row.state) && row.leaseToken === leaseToken && (sites == null || sites.includes(row.site));
}

/**
 * Applies what a running task produced: items (and their counts on the job), log lines,
 * progress and spawned tasks. The caller has checked the lease and writes `row` afterwards.
 */
export async function applyActivity(
  tx: LedgerTx,
  book: JobBook,
  row: TaskRow,
  activity: TaskActivity,
  now: number,
  inBatch: Map<number, TaskRow>,
): Promise<void> {
  if (activity.items && activity.items.length > 0) await recordItems(tx, book, row, activity.items, now);
  if (activity.changes && activity.changes.length > 0) {
    await insertChanges(tx.sql, row.jobId, row.id, now, activity.changes);
    book.touch(row.jobId);
  }
  if (activity.logs && activity.logs.length > 0) {
    await tx.insertLogs(row.id, row.logLines + 1, activity.logs, now);
    row.logLines += activity.logs.length;
    book.touch(row.jobId);
  }
  if (activity.progress) book.progress(row, activity.progress.done, activity.progress.total);
  if (activity.spawn && activity.spawn.length > 0) await spawnTasks(tx, book, row, activity.spawn, now, inBatch);
  row.updatedAt = now;
}

/** Adds tasks to a running task's job (dynamic fan-out). `after` may name tasks already in the job. */
async function spawnTasks(tx: LedgerTx, book: JobBook, parent: TaskRow, specs: NewTaskSpec[], now: number, inBatch: Map<number, TaskRow>): Promise<void> {
  const ownKeys = new Set(specs.map((spec) => spec.key).filter((key): key is string => Boolean(key)));
  const referenced = [...new Set(specs.flatMap((spec) => spec.after ?? []).filter((key) => !ownKeys.has(key)))];
  const claimedKeys = specs.map((spec) => spec.key).filter((key): key is string => Boolean(key));
  const existing = await tx.tasksByKey(parent.jobId, [...new Set([...referenced, ...claimedKeys])]);
  // A spawned task runs under its parent's workflow, whatever the worker said.
  const plan = planTasks(
    specs.map(({ workflow: _ignored, ...spec }) => spec),
    {
      jobId: parent.jobId,
      // A spawned task runs where the task that found the work runs, unless it names a site.
      site: parent.site,
      unknownSites: await unknownSitesOf(tx, specs, parent.site),
      workflow: parent.workflow,
      priority: parent.priority,
      retry: { maxAttempts: parent.maxAttempts, backoffMs: parent.backoffMs, maxBackoffMs: parent.maxBackoffMs },
      availableAt: now,
    },
    existing,
    now,
  );
  const ids = await insertPlanned(tx, plan);
  plan.rows.forEach((row, i) => {
    // The planned row with its id, not a spread copy (V8 builds those on a slow path; a handler may spawn thousands).
    book.moveTask(Object.assign(row, { id: ids[i] }), null, row.state, row.reason);
  });

  // Existing tasks that gained dependents must say so, or their end would not release them.
  const gained = new Map<number, number>();
  for (const deps of plan.existingDeps) for (const id of deps) gained.set(id, (gained.get(id) ?? 0) + 1);
  if (gained.size === 0) return;
  const outside = [...gained.keys()].filter((id) => !inBatch.has(id));
  const locked = outside.length > 0 ? await tx.lockTasks(outside) : [];
  for (const row of locked) row.dependents += gained.get(row.id) ?? 0;
  for (const id of gained.keys()) {
    const row = inBatch.get(id);
    if (row) row.dependents += gained.get(id) ?? 0;
  }
  if (locked.length > 0) await tx.updateTasks(locked.map((row) => ({ row, fromState: row.state })));
}
