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
  /** Where tasks that name no site run: the job's site for a plan, the spawning task's for a spawn. */
  site: string;
  /** Sites tasks name that do not exist: such a task is written failed, saying so, and never runs. */
  unknownSites?: ReadonlySet<string>;
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
    const site = spec.site ?? job.site;
    const siteMissing = job.unknownSites?.has(site) ? `no site named "${site}"` : null;
    for (const dep of spec.after ?? []) {
      const batchIndex = batchKeys.get(dep);
      if (batchIndex !== undefined && batchIndex !== index) {
        fromBatch.push(batchIndex);
        // A task planned in the same batch that can never run (see siteMissing) breaks its dependents too.
        if (isDependencyBroken(rows[batchIndex].state)) broken = `dependency "${dep}" ended ${rows[batchIndex].state}`;
        else pending += 1;
        continue;
      }
      const prior = existing.get(dep);
      if (!prior) throw planError(`task "${key ?? spec.type}" waits on "${dep}", which is not a task planned before it`);
      fromExisting.push(prior.id);
      if (isDependencyBroken(prior.state)) broken = `dependency ${prior.id} ended ${prior.state}`;
      else if (!isDependencySatisfied(prior.state)) pending += 1;
    }
    const state: TaskState = siteMissing ? 'failure' : broken ? 'cancelled' : pending > 0 ? 'created' : 'queued';
    const reason = siteMissing ?? broken;
    rows.push({
      jobId: job.jobId,
      site,
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
      reason,
      itemsFailed: 0,
      logLines: 0,
      pendingDeps: pending,
      dependents: 0,
      startedAt: null,
      endedAt: reason ? now : null,
      createdAt: now,
      updatedAt: now,
    });
    batchDeps.push(fromBatch);
    existingDeps.push(fromExisting);
  });
  batchDeps.forEach((deps, i) => {
    // A dependent that was broken at birth is already terminal: nothing waits to release it.
    if (rows[i].state === 'created') for (const dep of deps) rows[dep].dependents += 1;
  });
  return { rows, batchDeps, existingDeps };
}

/**
 * The sites tasks name (other than `home`) that the store does not know; planning writes such
 * tasks failed (see JobContext.unknownSites). Reads the store only when a task names a site.
 */
export async function unknownSitesOf(tx: LedgerTx, specs: NewTaskSpec[], home: string): Promise<Set<string>> {
  const named = [...new Set(specs.map((spec) => spec.site).filter((site): site is string => typeof site === 'string' && site !== home))];
  if (named.length === 0) return new Set();
  const known = await tx.knownSites(named);
  return new Set(named.filter((site) => !known.has(site)));
}

/** The sites of `rows` other than `home`, each once, sorted. */
export function sitesBeyond(rows: readonly { site: string }[], home: string): string[] {
  const sites = new Set<string>();
  for (const row of rows) if (row.site !== home) sites.add(row.site);
  return [...sites].sort();
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
