import { isDeepStrictEqual } from 'node:util';
import {
  classifyJobOutcome,
  emptyTaskCounts,
  isTerminalJobState,
  type JobRecord,
  jobProgress,
  rollupJobState,
  SwitchyardError,
  type TaskState,
} from '../../model/index.js';
import { jobRecordOf } from '../rows.js';
import type { NewJob, SubmitOutcome } from '../store.js';
import { admitConcurrency } from './concurrency.js';
import type { SqlExecutor } from './envelope-rows.js';
import type { JobAudit, LedgerTx, NewEvent, NewJobRow } from './ledger-tx.js';
import { insertPlannedBatches, planTasks, sitesBeyond, unknownSitesOf } from './new-tasks.js';
import { admitLocks } from './resource-locks.js';

export interface SubmittedIds {
  id: number;
  created: boolean;
  /** The new job as written, so the store need not read it back; absent for a repeated idempotency key. */
  record?: JobRecord;
}

/**
 * The outcomes of a submission from the ledger's answers and the earlier jobs repeated keys
 * matched (read in the same transaction). A key answers its earlier job only to the same
 * submission — the same creator, workflow, site, queue, priority and fields — as a retried
 * request is: any other is refused (SWY_ERR_IDEMPOTENCY_CONFLICT, rolling the batch back), or
 * one user's key would hand them another's job, from a site they may not see.
 */
export function submitOutcomes(jobs: readonly NewJob[], ids: readonly SubmittedIds[], earlier: ReadonlyMap<number, JobRecord>): SubmitOutcome[] {
  return ids.map(({ id, created, record }, i) => {
    const job = record ?? (earlier.get(id) as JobRecord);
    if (!created && !sameSubmission(job, jobs[i])) {
      const key = jobs[i].idempotencyKey;
      throw new SwitchyardError('SWY_ERR_IDEMPOTENCY_CONFLICT', `The idempotency key "${key}" was used for another submission`, [
        { path: jobs.length > 1 ? `jobs.${i}.idempotencyKey` : 'idempotencyKey', message: 'send the same request again to have its job, or use another key' },
      ]);
    }
    return { job, created };
  });
}

function sameSubmission(earlier: JobRecord, job: NewJob): boolean {
  return (
    earlier.creator === job.creator &&
    earlier.workflow === job.workflow &&
    earlier.site === job.site &&
    earlier.queue === job.queue &&
    earlier.priority === job.priority &&
    isDeepStrictEqual(earlier.fields, job.fields)
  );
}

/**
 * Creates jobs with their first tasks. The job row is written once with its counters already
 * right (computed from the planned tasks), so a submission costs one insert per job and task.
 * A job whose idempotency key matches an existing job (or an earlier one in the same batch)
 * is not created: the existing job's id is answered with created = false.
 */
export async function submitJobs(tx: LedgerTx, jobs: NewJob[], now: number): Promise<SubmittedIds[]> {
  const keys = jobs.map((job) => job.idempotencyKey).filter((key): key is string => key !== null);
  const existing = keys.length > 0 ? await tx.jobIdsByIdempotencyKey(keys) : new Map<string, number>();
  const firstInBatch = new Map<string, number>();
  const answers: (SubmittedIds | { pendingIndex: number })[] = [];
  const fresh: NewJob[] = [];
  for (const job of jobs) {
    const key = job.idempotencyKey;
    const prior = key === null ? undefined : existing.get(key);
    if (prior !== undefined) {
      answers.push({ id: prior, created: false });
    } else if (key !== null && firstInBatch.has(key)) {
      answers.push({ pendingIndex: firstInBatch.get(key) as number });
    } else {
      if (key !== null) firstInBatch.set(key, fresh.length);
      answers.push({ pendingIndex: fresh.length });
      fresh.push(job);
    }
  }

  // Plan before writing anything so that a bad plan rejects the batch with nothing written.
  const missing = await unknownSitesOf(
    tx,
    fresh.flatMap((job) => job.tasks.filter((task) => task.site && task.site !== job.site)),
    '',
  );
  if (missing.size > 0) {
    const site = [...missing][0];
    throw new SwitchyardError('SWY_ERR_SITE_UNKNOWN', `The plan puts a task at site "${site}", which does not exist`, [
      { path: 'site', message: `unknown site "${site}" in the plan` },
    ]);
  }
  const plans = fresh.map((job) =>
    planTasks(
      job.tasks,
      { jobId: 0, site: job.site, workflow: job.workflow, priority: job.priority, retry: job.retry, availableAt: job.runAt ?? now },
      new Map(),
      now,
    ),
  );
  const jobRows: NewJobRow[] = fresh.map((job, i) =>
    initialJobRow(
      job,
      plans[i].rows.map((row) => row.state),
      now,
    ),
  );
  // A job that may have to wait (for a lock or a concurrency slot) has its tasks written held,
  // and let go below if it need not wait: a backlog costs no second write of every task.
  const gated = fresh.map((job, i) => !isTerminalJobState(jobRows[i].state) && ((job.locks?.length ?? 0) > 0 || (job.concurrency ?? null) !== null));
  plans.forEach((plan, i) => {
    if (gated[i]) for (const row of plan.rows) row.held = true;
  });
  // Jobs that take locks get their ids under the admission lock, so that id order is the
  // order of admission across hubs: a job waits only on earlier jobs (admitLocks), and one
  // whose id was drawn before a later job was admitted on another hub must not be admitted
  // after it unseen.
  if (fresh.some((job, i) => (job.locks?.length ?? 0) > 0 && !isTerminalJobState(jobRows[i].state))) await tx.lockResourceAdmission();
  const ids = fresh.length > 0 ? await tx.insertJobs(jobRows) : [];

  plans.forEach((plan, i) => {
    for (const row of plan.rows) row.jobId = ids[i];
  });
  await insertPlannedBatches(tx, plans);
  await tx.addJobSites(plans.flatMap((plan, i) => sitesBeyond(plan.rows, fresh[i].site).map((site) => ({ jobId: ids[i], site }))));
  // A job that ended at submission (nothing to do) holds nothing.
  const lockWaits = await admitLocks(
    tx,
    fresh.map((job, i) => ({ id: ids[i], locks: isTerminalJobState(jobRows[i].state) ? [] : (job.locks ?? []) })),
  );
  // Locks first: a job waiting for a lock does not take a concurrency slot meanwhile.
  const line = await admitConcurrency(
    tx,
    fresh.map((job, i) => ({ id: ids[i], workflow: job.workflow, concurrency: isTerminalJobState(jobRows[i].state) ? null : (job.concurrency ?? null) })),
  );
  // Jobs the line admitted were let go by it; those with locks only, free of them, go here.
  await tx.holdTasks(
    ids.filter((id, i) => gated[i] && !lockWaits.has(id) && (fresh[i].concurrency ?? null) === null),
    false,
  );
  const events: NewEvent[] = [];
  const sites = new Set<string>(line.wake);
  for (let i = 0; i < fresh.length; i++) {
    const plan = plans[i];
    const row = jobRows[i];
    events.push({
      at: now,
      type: 'job:created',
      jobId: ids[i],
      taskId: null,
      site: row.site,
      data: { workflow: row.workflow, state: row.state, queue: row.queue, creator: row.creator, tasks: plan.rows.length },
    });
    // Wake the workers of every site a ready task waits at, not only the job's own.
    if (row.state === 'queued' || row.state === 'running') for (const task of plan.rows) if (task.state === 'queued') sites.add(task.site);
  }
  if (events.length > 0) await tx.insertEvents(events);
  const audited = fresh.flatMap((job, i): JobAudit[] =>
    job.audit ? [{ jobId: ids[i], actor: job.audit.actor, action: job.audit.action, site: job.site, data: job.audit.data ?? {} }] : [],
  );
  if (audited.length > 0) await tx.insertJobAudit(audited, now);
  tx.wakeAfterCommit([...sites], events.length > 0);

  const answered = new Set<number>();
  return answers.map((answer) => {
    if (!('pendingIndex' in answer)) return answer;
    const index = answer.pendingIndex;
    const created = !answered.has(index);
    answered.add(index);
    const row = jobRows[index];
    // The row as written, with its id: no copy of it (a bulk submit answers thousands).
    const record = jobRecordOf(Object.assign(row, { id: ids[index], envelopeId: null }), row, sitesBeyond(plans[index].rows, row.site));
    const concurrency = fresh[index].concurrency ?? null;
    const inLine = concurrency !== null && !isTerminalJobState(row.state);
    record.lockWaitOn = lockWaits.get(ids[index]) ?? null;
    record.concurrencyKey = inLine ? concurrency.key : null;
    record.concurrencySlot = inLine ? (line.waiting.has(ids[index]) ? 'waiting' : 'held') : null;
    return { id: ids[index], created, record };
  });
}

function initialJobRow(job: NewJob, taskStates: TaskState[], now: number): NewJobRow {
  const counts = emptyTaskCounts();
  for (const state of taskStates) counts[state] += 1;
  const state = rollupJobState(counts, 'run', false);
  const terminal = isTerminalJobState(state);
  // New tasks have reported nothing yet (their own progress starts at 0 of 1, see new-tasks.ts).
  const progress = jobProgress(taskStates.map((taskState) => ({ state: taskState, progress: { done: 0, total: 1 } })));
  return {
    site: job.site,
    queue: job.queue,
    workflow: job.workflow,
    creator: job.creator,
    state,
    intent: 'run',
    outcome: classifyJobOutcome(state, false),
    reason: state === 'skipped' ? 'the plan had no tasks' : null,
    taskCounts: counts,
    itemCounts: { queued: 0, completed: 0, failed: 0, skipped: 0 },
    progressDone: progress.done,
    progressTotal: progress.total,
    changed: false,
    timeoutMs: job.timeoutMs,
    deadlineAt: null,
    startedAt: null,
    endedAt: terminal ? now : null,
    updatedAt: now,
    priority: job.priority,
    fields: job.fields,
    searchText: job.searchText ?? '',
    idempotencyKey: job.idempotencyKey,
    parentJobId: job.parentJobId,
    runAt: job.runAt,
    createdAt: now,
  };
}

/** Writes submissions' audit entries through the store's SQL (both stores' insertJobAudit). */
export async function writeJobAudit(x: SqlExecutor, entries: JobAudit[], at: number): Promise<void> {
  if (entries.length === 0) return;
  await x.run(
    `INSERT INTO audit (at, actor, action, target, site, data) VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
    entries.flatMap((entry) => [at, entry.actor, entry.action, `job:${entry.jobId}`, entry.site, x.json(entry.data)]),
  );
}
