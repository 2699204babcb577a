import {
  canControlJob,
  canPauseNow,
  isTerminalJobState,
  isTerminalTaskState,
  type JobControl,
  type JobIntent,
  SwitchyardError,
  type TaskEvent,
  type TaskState,
  transitionTask,
  UNFINISHED_TASK_STATES,
} from '../../model/index.js';
import type { ControlOptions, JobAction } from '../store.js';
import { clearItemRetry, markItemRetry } from './change-rows.js';
import { reenterConcurrency } from './concurrency.js';
import { forgetEnvelopeMembers } from './envelopes.js';
import { supersedeTaskItems } from './item-records.js';
import { JobBook } from './job-book.js';
import type { JobRow, LedgerTx, TaskRow } from './ledger-tx.js';
import { isDependencySatisfied } from './new-tasks.js';
import { relockForRetry } from './resource-locks.js';

const ACTION_INTENT: Record<JobAction, JobIntent> = { pause: 'pause', resume: 'run', cancel: 'cancel' };

/**
 * Jobs a batch verb refused, each with the error its single-job verb throws (not found, a state
 * that refuses the control, a retry superseded). A refused job is left as it was.
 */
export type Refusals = Map<number, SwitchyardError>;

/**
 * The control verbs come in two sizes: one job (a route, the CLI), and a batch of jobs (a
 * bulk operation's batch, operation-sql.ts). Both run the same code: the single-job verb is
 * the batch verb over one job, throwing its refusal. A batch costs a fixed number of
 * statements whatever its size (its tasks and jobs are locked in one statement each, its
 * task, job and event rows written in one each by the JobBook); only jobs that hold resource
 * locks, wait in a concurrency line or belong to an envelope cost statements of their own.
 */

/**
 * Pause, resume or cancel jobs. Pause holds tasks not yet running (running ones finish; with
 * `immediate`, they are told to stop at their next heartbeat and go back to `paused`); cancel
 * stops every task that has not finished (running ones are told to stop at their next
 * heartbeat); resume releases held tasks. Jobs whose state refuses the control are answered.
 */
export async function controlJobs(tx: LedgerTx, jobIds: number[], action: JobAction, now: number, options: ControlOptions = {}): Promise<Refusals> {
  const ids = ascending(jobIds);
  const tasks = await tx.lockTasksOfJobs(ids, UNFINISHED_TASK_STATES);
  const pauseNow = action === 'pause' && options.immediate === true;
  const { jobs, refused } = await lockControllable(tx, ids, action, pauseNow);
  const book = new JobBook(now);
  const changes: { row: TaskRow; fromState: TaskState }[] = [];
  for (const row of tasks) {
    if (!jobs.has(row.jobId)) continue;
    const event: TaskEvent = action === 'resume' ? { type: 'resume', waiting: row.pendingDeps > 0 } : { type: action };
    const next = transitionTask(row.state, event);
    if (next === null) continue;
    const from = row.state;
    row.state = next;
    row.updatedAt = now;
    if (isTerminalTaskState(next)) {
      row.endedAt = now;
      row.reason = 'cancelled on request';
    }
    changes.push({ row, fromState: from });
    book.moveTask(row, from, next, row.reason);
  }
  await tx.updateTasks(changes);
  for (const job of jobs.values()) {
    book.setIntent(job.id, pauseNow ? 'pause-now' : ACTION_INTENT[action], action === 'cancel' ? 'cancelled on request' : undefined);
  }
  await book.settle(tx);
  return refused;
}

/** controlJobs for one job; throws its refusal (SWY_ERR_JOB_NOT_FOUND, SWY_ERR_JOB_STATE). */
export async function controlJob(tx: LedgerTx, jobId: number, action: JobAction, now: number, options: ControlOptions = {}): Promise<void> {
  throwRefusal(await controlJobs(tx, [jobId], action, now, options));
}

/**
 * Re-runs finished jobs' tasks that did not succeed, with fresh attempts. Tasks that wait on a
 * re-run task wait again. Each job takes its locks again and re-enters its workflow's
 * concurrency line, so it may wait before it runs.
 *
 * With `items: 'failed'`, only the tasks that recorded failed items run again, each marked so
 * that its worker is told the paths that failed (ctx.task.retryPaths); a job with no failed
 * item is refused (SWY_ERR_JOB_STATE).
 *
 * In a batch, jobs are relocked in ascending id order, each against the jobs as they stood
 * before the batch: a job superseded by a later run of another job in the batch is refused
 * even though that job runs again too (retrying both would undo the later job's work). The
 * jobs re-enter their lines together, so the lines admit them in submission order.
 */
export async function retryJobs(tx: LedgerTx, jobIds: number[], now: number, force = false, items: 'failed' | null = null): Promise<Refusals> {
  const ids = ascending(jobIds);
  const tasks = await tx.lockTasksOfJobs(ids, null);
  const { jobs, refused } = await lockControllable(tx, ids, 'retry');
  const tasksOf = new Map<number, TaskRow[]>();
  for (const row of tasks) {
    if (!jobs.has(row.jobId)) continue;
    const own = tasksOf.get(row.jobId);
    if (own) own.push(row);
    else tasksOf.set(row.jobId, [row]);
  }
  const canRerun = (row: TaskRow) => transitionTask(row.state, { type: 'rerun', waiting: false }) !== null;
  // The tasks each job runs again.
  const rerun = new Map<number, TaskRow[]>();
  for (const job of jobs.values()) {
    const own = tasksOf.get(job.id) ?? [];
    const picked = items === 'failed' ? own.filter((row) => row.itemsFailed > 0 && canRerun(row)) : own.filter(canRerun);
    if (items === 'failed' && picked.length === 0)
      refused.set(job.id, new SwitchyardError('SWY_ERR_JOB_STATE', `Job ${job.id} has no task with failed items to retry`));
    else rerun.set(job.id, picked);
  }
  const locks = await relockForRetry(
    tx,
    [...rerun.keys()].map((id) => ({ id, endedAt: (jobs.get(id) as JobRow).endedAt })),
    force,
  );
  for (const [id, error] of locks.refused) {
    refused.set(id, error);
    rerun.delete(id);
  }
  const retried = [...rerun.keys()];
  if (items === 'failed') {
    for (const [id, picked] of rerun) {
      await markItemRetry(
        tx.sql,
        id,
        picked.map((row) => row.id),
      );
    }
  } else {
    await clearItemRetry(tx.sql, retried);
  }
  // A job waiting for a lock joins the concurrency line but is not admitted before the lock is free.
  const line = await reenterConcurrency(tx, retried);
  const held = new Set(retried.filter((id) => locks.waiting.has(id) || line.waiting.has(id)));
  await tx.holdTasks([...held], true);
  await tx.holdTasks(
    retried.filter((id) => !held.has(id)),
    false,
  );
  if (line.wake.length > 0) tx.wakeAfterCommit(line.wake, false);
  // Edges join tasks of one job: those from the tasks of jobs that have any are all their edges.
  const withEdges = retried.filter((id) => (tasksOf.get(id) ?? []).some((row) => row.dependents > 0));
  const waitsOn = new Map<number, number[]>();
  if (withEdges.length > 0) {
    for (const edge of await tx.dependencyEdges(withEdges.flatMap((id) => (tasksOf.get(id) ?? []).map((row) => row.id)))) {
      const list = waitsOn.get(edge.taskId) ?? [];
      list.push(edge.dependsOn);
      waitsOn.set(edge.taskId, list);
    }
  }
  const book = new JobBook(now);
  const changes: { row: TaskRow; fromState: TaskState }[] = [];
  for (const [jobId, picked] of rerun) {
    const again = new Set(picked.map((row) => row.id));
    const states = new Map((tasksOf.get(jobId) ?? []).map((row) => [row.id, row.state]));
    for (const row of picked) {
      const deps = waitsOn.get(row.id) ?? [];
      row.pendingDeps = deps.filter((dep) => again.has(dep) || !isDependencySatisfied(states.get(dep) as TaskState)).length;
      const from = row.state;
      row.state = transitionTask(from, { type: 'rerun', waiting: row.pendingDeps > 0 }) as TaskState;
      Object.assign(row, {
        attempts: 0,
        availableAt: now,
        leaseToken: null,
        leaseExpiresAt: null,
        workerId: null,
        changed: false,
        result: null,
        error: null,
        reason: null,
        itemsFailed: 0,
        startedAt: null,
        endedAt: null,
        updatedAt: now,
      });
      changes.push({ row, fromState: from });
      book.moveTask(row, from, row.state);
    }
    book.resetForRetry(jobId);
    if (items !== 'failed') {
      book.items(
        jobId,
        await supersedeTaskItems(
          tx.sql,
          jobId,
          picked.map((row) => row.id),
        ),
      );
    }
  }
  await tx.updateTasks(changes);
  await book.settle(tx);
  return refused;
}

/** retryJobs for one job; throws its refusal (SWY_ERR_JOB_NOT_FOUND, SWY_ERR_JOB_STATE, SWY_ERR_RETRY_SUPERSEDED). */
export async function retryJob(tx: LedgerTx, jobId: number, now: number, force = false, items: 'failed' | null = null): Promise<void> {
  throwRefusal(await retryJobs(tx, [jobId], now, force, items));
}

/** Removes finished jobs and everything recorded under them; appends a `job:deleted` event each. */
export async function deleteJobs(tx: LedgerTx, jobIds: number[], now: number): Promise<Refusals> {
  const ids = ascending(jobIds);
  // Tasks before the jobs, as everywhere (see ledger-tx.ts): the delete takes both.
  await tx.lockTasksOfJobs(ids, null);
  const { jobs, refused } = await lockControllable(tx, ids, 'delete');
  const gone = [...jobs.values()];
  if (gone.length === 0) return refused;
  await tx.deleteJobs(gone.map((job) => job.id));
  await forgetEnvelopeMembers(
    tx,
    gone.map((job) => ({ jobId: job.id, envelopeId: job.envelopeId, state: job.state })),
    now,
  );
  await tx.insertEvents(
    gone.map((job) => ({ at: now, type: 'job:deleted', jobId: job.id, taskId: null, site: job.site, data: { workflow: job.workflow, state: job.state } })),
  );
  tx.wakeAfterCommit([], true);
  return refused;
}

/** deleteJobs for one job; throws its refusal. */
export async function deleteJob(tx: LedgerTx, jobId: number, now: number): Promise<void> {
  throwRefusal(await deleteJobs(tx, [jobId], now));
}

/** Locks the jobs (ascending) and splits them into those the control may act on and those it refuses. */
async function lockControllable(tx: LedgerTx, ids: number[], control: JobControl, pauseNow = false): Promise<{ jobs: Map<number, JobRow>; refused: Refusals }> {
  const found = new Map((await tx.lockJobs(ids)).map((job) => [job.id, job]));
  const jobs = new Map<number, JobRow>();
  const refused: Refusals = new Map();
  for (const id of ids) {
    const job = found.get(id);
    if (!job) refused.set(id, new SwitchyardError('SWY_ERR_JOB_NOT_FOUND', `No job with id ${id}`));
    else if (!(pauseNow ? canPauseNow(job.state) : canControlJob(job.state, control))) {
      const hint = control === 'delete' && !isTerminalJobState(job.state) ? '; cancel it first' : '';
      refused.set(id, new SwitchyardError('SWY_ERR_JOB_STATE', `Job ${id} is ${job.state}: it cannot be ${pastTense(control)}${hint}`));
    } else jobs.set(id, job);
  }
  return { jobs, refused };
}

function throwRefusal(refused: Refusals): void {
  for (const error of refused.values()) throw error;
}

/** Unique ids, ascending: the order rows of one kind are locked in (ledger-tx.ts). */
function ascending(ids: number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

function pastTense(control: JobControl): string {
  const words: Record<JobControl, string> = {
    pause: 'paused',
    resume: 'resumed',
    cancel: 'cancelled',
    retry: 'retried',
    resubmit: 'resubmitted',
    delete: 'deleted',
  };
  return words[control];
}
