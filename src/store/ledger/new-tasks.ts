import { type RetryPolicy, SwitchyardError, type TaskState } from '../../model/index.js';
import type { NewTaskSpec } from '../store.js';
import type { DependencyEdge, KeyedTask, LedgerTx, NewTaskRow } from './ledger-tx.js';

/** A dependency is satisfied when the task it waits on ran to its end: success, skipped or error. */
const SATISFIED = new Set<TaskState>(['success', 'skipped', 'error']);
const UNSATISFIABLE = new Set<TaskState>(['failure', 'cancelled', 'aborted', 'unknown']);

export function isDependencySatisfied(state: TaskState): boolean {
  return SATISFIED.has(state);
}

export function isDependencyBroken(state: TaskState): boolean {
  return UNSATISFIABLE.has(state);
}

export interface JobContext {
  jobId: number;
  site: string;
  workflow: string;
  priority: number;
  retry: RetryPolicy;
  availableAt: number;
}

/** New tasks ready to insert, and the dependency edges to add once their ids are known. */
export interface PlannedBatch {
  rows: NewTaskRow[];
  /** For each row, the batch indexes it waits on. */
  batchDeps: number[][];
  /** For each row, the ids of existing tasks it waits on. */
  existingDeps: number[][];
}

/**
 * Turns task specs into rows: checks keys (unique in the job; `after` must name a task
 * planned earlier or existing), and sets each row's initial state from its dependencies.
 * Throws SWY_ERR_WORKFLOW_PLAN naming the offending key.
 */
export function planTasks(specs: NewTaskSpec[], job: JobContext, existing: Map<string, KeyedTask>, now: number): PlannedBatch {
  const batchKeys = new Map<string, number>();
  const rows: NewTaskRow[] = [];
  const batchDeps: number[][] = [];
  const existingDeps: number[][] = [];
  specs.forEach((spec, index) => {
    const key = spec.key ?? null;
    if (key !== null) {
      if (batchKeys.has(key) || existing.has(key)) throw planError(`task key "${key}" is used twice in job ${job.jobId || ''}`.trim());
      batchKeys.set(key, index);
    }
    const fromBatch: number[] = [];
    const fromExisting: number[] = [];
    let pending = 0;
    let broken: string | null = null;
    for (const dep of spec.after ?? []) {
      const batchIndex = batchKeys.get(dep);
      if (batchIndex !== undefined && batchIndex !== index) {
        fromBatch.push(batchIndex);
        pending += 1;
        continue;
      }
      const prior = existing.get(dep);
      if (!prior) throw planError(`task "${key ?? spec.type}" waits on "${dep}", which is not a task planned before it`);
      fromExisting.push(prior.id);
      if (isDependencyBroken(prior.state)) broken = `dependency ${prior.id} ended ${prior.state}`;
      else if (!isDependencySatisfied(prior.state)) pending += 1;
    }
    const state: TaskState = broken ? 'cancelled' : pending > 0 ? 'created' : 'queued';
    rows.push({
      jobId: job.jobId,
      site: job.site,
      workflow: spec.workflow ?? job.workflow,
      type: spec.type,
      key,
      input: spec.input ?? null,
      priority: job.priority,
      state,
      attempts: 0,
      maxAttempts: job.retry.maxAttempts,
      backoffMs: job.retry.backoffMs,
      maxBackoffMs: job.retry.maxBackoffMs,
      availableAt: job.availableAt,
      leaseToken: null,
      leaseExpiresAt: null,
      workerId: null,
      progressDone: 0,
      progressTotal: 1,
      changed: false,
      result: null,
      error: null,
      reason: broken,
      itemsFailed: 0,
      logLines: 0,
      pendingDeps: pending,
      dependents: 0,
      startedAt: null,
      endedAt: broken ? now : null,
      createdAt: now,
      updatedAt: now,
    });
    batchDeps.push(fromBatch);
    existingDeps.push(fromExisting);
  });
  for (const deps of batchDeps) for (const dep of deps) rows[dep].dependents += 1;
  return { rows, batchDeps, existingDeps };
}

/** Inserts planned rows and their dependency edges; returns the new ids in row order. */
export async function insertPlanned(tx: LedgerTx, batch: PlannedBatch): Promise<number[]> {
  return (await insertPlannedBatches(tx, [batch]))[0];
}

/**
 * Inserts the planned tasks of many jobs with one insert for all their rows and one for all
 * their edges (one round trip each on PostgreSQL, however many jobs); returns each batch's
 * ids in row order.
 */
export async function insertPlannedBatches(tx: LedgerTx, batches: PlannedBatch[]): Promise<number[][]> {
  const ids = await tx.insertTasks(batches.flatMap((batch) => batch.rows));
  const edges: DependencyEdge[] = [];
  let offset = 0;
  const perBatch = batches.map((batch) => {
    const mine = ids.slice(offset, offset + batch.rows.length);
    offset += batch.rows.length;
    batch.rows.forEach((row, i) => {
      for (const dep of batch.batchDeps[i]) edges.push({ jobId: row.jobId, taskId: mine[i], dependsOn: mine[dep] });
      for (const dep of batch.existingDeps[i]) edges.push({ jobId: row.jobId, taskId: mine[i], dependsOn: dep });
    });
    return mine;
  });
  if (edges.length > 0) await tx.insertDependencies(edges);
  return perBatch;
}

function planError(message: string): SwitchyardError {
  return new SwitchyardError('SWY_ERR_WORKFLOW_PLAN', message);
}
