import type { Logger } from 'pino';
import { type JobRecord, type OperationRecord, SwitchyardError, totalTasks } from '../model/index.js';
import type { WorkflowRegistry } from '../sdk/workflow-registry.js';
import { encodeCursor } from '../store/cursor.js';
import { jobCursorKind } from '../store/list-queries.js';
import type { OperationBatch, Store } from '../store/store.js';
import { operationSites } from './bulk-verbs.js';
import type { Duty } from './duty-loop.js';

/**
 * Jobs per batch. Each batch is one transaction, applied set-based (a fixed number of
 * statements whatever its size, see store/ledger/control.ts), so the size only bounds how long
 * its locks are held while the per-batch overhead (a keyset read, the operation's row) stays
 * small over 100,000 jobs. A cancel of 250 jobs takes some 70 ms on PostgreSQL (mostly the
 * job rows' writes); SQLite's one writer also serves the workers, so its batches are smaller
 * (100 jobs, some 8 ms) at no cost in total time. See `npm run bench -- --only bulk-cancel`.
 */
export const OPERATION_BATCH = 100;
export const OPERATION_BATCH_POSTGRES = 250;

/**
 * Tasks per batch: a batch locks and rewrites its jobs' tasks together, so jobs with many
 * tasks (a fan-out of thousands) make smaller batches, down to one job.
 */
export const OPERATION_BATCH_TASKS = 5_000;

export interface OperationRunnerOptions {
  intervalMs?: number;
  batchSize?: number;
  /** Most tasks a batch's jobs may have together (OPERATION_BATCH_TASKS); a job with more goes alone. */
  batchTasks?: number;
}

/**
 * Runs bulk operations (R59) as a background duty on one hub at a time. Each round resumes
 * every running operation from its stored cursor, batch after batch, for at most `budgetMs`
 * (under the duty's hold, so another hub does not take over mid-round). Nothing lives in
 * memory between batches: a hub that stops, or crashes, leaves the cursor where the last
 * committed batch put it, and whichever hub holds the duty next goes on from there. A batch
 * another hub applied first (or an operation cancelled meanwhile) is refused by the store and
 * simply re-read.
 */
export class OperationRunner {
  readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly batchTasks: number;

  constructor(
    private readonly store: Store,
    private readonly workflows: WorkflowRegistry,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly finished: (operation: OperationRecord) => Promise<void>,
    options: OperationRunnerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 300;
    this.batchSize = options.batchSize ?? (store.kind === 'postgres' ? OPERATION_BATCH_POSTGRES : OPERATION_BATCH);
    this.batchTasks = options.batchTasks ?? OPERATION_BATCH_TASKS;
  }

  /** The duty the engine's DutyLoop runs. */
  duty(): Duty {
    return { name: 'operations', intervalMs: this.intervalMs, run: () => this.run(this.intervalMs * 2.5) };
  }

  /** One round: batches of every running operation until none is left or `budgetMs` is spent. Answers how many jobs were handled. */
  async run(budgetMs = Number.POSITIVE_INFINITY): Promise<number> {
    const started = performance.now();
    let handled = 0;
    for (const first of await this.store.runningOperations(20)) {
      let operation: OperationRecord | null = first;
      while (operation?.state === 'running' && performance.now() - started < budgetMs) {
        const before: number = operation.done;
        operation = await this.step(operation);
        handled += (operation?.done ?? before) - before;
        // Back to the event loop between batches: on SQLite a batch settles through promises
        // alone, and a round would otherwise hold every request for its whole budget.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return handled;
  }

  /** Applies the operation's next batch; answers the operation as it now reads. */
  async step(operation: OperationRecord): Promise<OperationRecord | null> {
    try {
      const batch = await this.nextBatch(operation);
      const next = (await this.store.applyOperationBatch(batch, this.clock())) ?? (await this.store.getOperation(operation.id));
      if (next && next.state === 'done' && operation.state === 'running' && batch.last) await this.finished(next);
      return next;
    } catch (error) {
      if (error instanceof SwitchyardError && (error.code === 'SWY_ERR_STORE_UNAVAILABLE' || error.code === 'SWY_ERR_SHUTTING_DOWN')) throw error;
      this.logger.error({ err: error, operation: operation.id }, 'bulk operation failed');
      const failed = await this.store.endOperation(operation.id, 'failed', (error as Error).message?.slice(0, 1000) ?? String(error), this.clock());
      if (failed) await this.finished(failed);
      return failed;
    }
  }

  /**
   * The next jobs after the cursor, and the engine's verdict on each: a job the operation's
   * actor may not see is skipped as "not found" (no leak of other sites' ids), one whose
   * workflow does not support the control as such. The state rules are the store's, applied
   * in the batch's transaction.
   */
  private async nextBatch(operation: OperationRecord): Promise<OperationBatch> {
    const base = { operationId: operation.id, action: operation.action, options: operation.options, actor: operation.actor, from: operation.cursor };
    const apply: number[] = [];
    const skip: { jobId: number; reason: string }[] = [];
    let jobs: JobRecord[];
    let to: number;
    let last: boolean;
    if (operation.jobIds) {
      let ids = operation.jobIds.filter((id) => id > operation.cursor).slice(0, this.batchSize);
      jobs = ids.length > 0 ? (await this.store.listJobs({ sites: null, ids, sort: { key: 'id', desc: false }, limit: ids.length })).items : [];
      const kept = withinTaskBound(jobs, this.batchTasks);
      if (kept.length < jobs.length) {
        const through = kept[kept.length - 1].id;
        ids = ids.filter((id) => id <= through);
        jobs = kept;
      }
      last = ids.length === 0 || ids[ids.length - 1] === operation.jobIds[operation.jobIds.length - 1];
      to = ids.length > 0 ? ids[ids.length - 1] : operation.cursor;
      const found = new Set(jobs.map((job) => job.id));
      for (const id of ids) if (!found.has(id)) skip.push({ jobId: id, reason: 'not found' });
    } else {
      const filter = operation.filter ?? { sites: null };
      const query = { ...filter, sort: { key: 'id', desc: false }, limit: this.batchSize } as const;
      const page = await this.store.listJobs({ ...query, cursor: operation.cursor > 0 ? encodeCursor(null, operation.cursor, jobCursorKind(query)) : null });
      const eligible = page.items.filter((job) => job.id <= operation.maxJobId);
      jobs = withinTaskBound(eligible, this.batchTasks);
      last = jobs.length === eligible.length && (page.nextCursor === null || eligible.length < page.items.length);
      to = jobs.length > 0 ? jobs[jobs.length - 1].id : operation.cursor;
    }
    const sites = operationSites(operation);
    const actorSites = operation.actorSites;
    for (const job of jobs) {
      // A control needs every site the job spans, as the single-job control does; subscribing needs sight of it.
      // A job the actor sees at one of its sites is refused for the others, as the single control refuses it, not "not found".
      const beyond = actorSites === null ? [] : job.sites.filter((site) => !actorSites.includes(site));
      const seenWithin = (allowed: readonly string[] | null) => allowed === null || job.sites.some((site) => allowed.includes(site));
      if (!seenWithin(actorSites) || !seenWithin(sites)) skip.push({ jobId: job.id, reason: 'not found' });
      else if (operation.action !== 'subscribe' && beyond.length > 0)
        skip.push({ jobId: job.id, reason: `also runs at ${beyond.join(', ')}, which the operation's actor has no access to` });
      else if (!this.supports(job.workflow, operation.action))
        skip.push({ jobId: job.id, reason: `workflow ${job.workflow} does not support ${operation.action}` });
      else apply.push(job.id);
    }
    skip.sort((a, b) => a.jobId - b.jobId);
    return { ...base, to, apply, skip, last };
  }

  private supports(name: string, action: OperationRecord['action']): boolean {
    if (action !== 'pause' && action !== 'cancel' && action !== 'retry') return true;
    const workflow = this.workflows.get(name);
    return !workflow || this.workflows.supports(workflow, action);
  }
}

/** The first jobs whose tasks add up to at most `bound` (at least one job). */
function withinTaskBound(jobs: JobRecord[], bound: number): JobRecord[] {
  let tasks = 0;
  for (let i = 0; i < jobs.length; i++) {
    tasks += totalTasks(jobs[i].taskCounts);
    if (tasks > bound && i > 0) return jobs.slice(0, i);
  }
  return jobs;
}
