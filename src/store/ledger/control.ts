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
import { markItemRetry } from './change-rows.js';
import { reenterConcurrency } from './concurrency.js';
import { forgetEnvelopeMembers } from './envelopes.js';
import { JobBook } from './job-book.js';
import type { JobRow, LedgerTx, TaskRow } from './ledger-tx.js';
import { isDependencySatisfied } from './new-tasks.js';
import { relockForRetry } from './resource-locks.js';

const ACTION_INTENT: Record<JobAction, JobIntent> = { pause: 'pause', resume: 'run', cancel: 'cancel' };

/**
 * Pause, resume or cancel a job. Pause holds tasks not yet running (running ones finish;
 * with `immediate`, they are told to stop at their next heartbeat and go back to `paused`);
 * cancel stops every task that has not finished (running ones are told to stop at their next
 * heartbeat); resume releases held tasks.
 */
export async function controlJob(tx: LedgerTx, jobId: number, action: JobAction, now: number, options: ControlOptions = {}): Promise<void> {
  const tasks = await tx.lockJobTasks(jobId, UNFINISHED_TASK_STATES);
  const pauseNow = action === 'pause' && options.immediate === true;
  const job = await lockJob(tx, jobId, action, pauseNow);
  const book = new JobBook(now);
  const changes: { row: TaskRow; fromState: TaskState }[] = [];
  for (const row of tasks) {
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
  book.setIntent(job.id, pauseNow ? 'pause-now' : ACTION_INTENT[action], action === 'cancel' ? 'cancelled on request' : undefined);
  await book.settle(tx);
}

/**
 * Re-runs a finished job's tasks that did not succeed, with fresh attempts. Tasks that wait on
 * a re-run task wait again. The job takes its locks again and re-enters its workflow's
 * concurrency line, so it may wait before it runs.
 *
 * With `items: 'failed'`, only the tasks that recorded failed items run again, each marked so
 * that its worker is told the paths that failed (ctx.task.retryPaths); a job with no failed
 * item is refused (SWY_ERR_JOB_STATE).
 */
export async function retryJob(tx: LedgerTx, jobId: number, now: number, force = false, items: 'failed' | null = null): Promise<void> {
  const tasks = await tx.lockJobTasks(jobId, null);
  const job = await lockJob(tx, jobId, 'retry');
  const canRerun = (row: TaskRow) => transitionTask(row.state, { type: 'rerun', waiting: false }) !== null;
  const picked = items === 'failed' ? tasks.filter((row) => row.itemsFailed > 0 && canRerun(row)) : null;
  if (picked !== null && picked.length === 0) {
    throw new SwitchyardError('SWY_ERR_JOB_STATE', `Job ${jobId} has no task with failed items to retry`);
  }
  await markItemRetry(
    tx.sql,
    jobId,
    (picked ?? []).map((row) => row.id),
  );
  const lockWaiting = await relockForRetry(tx, jobId, job.endedAt, force);
  // A job waiting for a lock joins the concurrency line but is not admitted before the lock is free.
  const line = await reenterConcurrency(tx, jobId);
  await tx.holdTasks([jobId], lockWaiting || line.waiting);
  if (line.wake.length > 0) tx.wakeAfterCommit(line.wake, false);
  const rerun = new Set((picked ?? tasks.filter(canRerun)).map((row) => row.id));
  const states = new Map(tasks.map((row) => [row.id, row.state]));
  const hasEdges = tasks.some((row) => row.dependents > 0);
  const waitsOn = new Map<number, number[]>();
  if (hasEdges) {
    for (const edge of await tx.jobDependencies(jobId)) {
      const list = waitsOn.get(edge.taskId) ?? [];
      list.push(edge.dependsOn);
      waitsOn.set(edge.taskId, list);
    }
  }
  const book = new JobBook(now);
  const changes: { row: TaskRow; fromState: TaskState }[] = [];
  for (const row of tasks) {
    if (!rerun.has(row.id)) continue;
    const deps = waitsOn.get(row.id) ?? [];
    row.pendingDeps = deps.filter((dep) => rerun.has(dep) || !isDependencySatisfied(states.get(dep) as TaskState)).length;
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
  await tx.updateTasks(changes);
  book.resetForRetry(job.id);
  await book.settle(tx);
}

/** Removes a finished job and everything recorded under it; appends a `job:deleted` event. */
export async function deleteJob(tx: LedgerTx, jobId: number, now: number): Promise<void> {
  // Tasks before the job, as everywhere (see ledger-tx.ts): the delete takes both.
  await tx.lockJobTasks(jobId, null);
  const job = await lockJob(tx, jobId, 'delete');
  await tx.deleteJob(job.id);
  await forgetEnvelopeMembers(tx, [{ jobId: job.id, envelopeId: job.envelopeId, state: job.state }], now);
  await tx.insertEvents([{ at: now, type: 'job:deleted', jobId: job.id, taskId: null, site: job.site, data: { workflow: job.workflow, state: job.state } }]);
  tx.wakeAfterCommit([], true);
}

async function lockJob(tx: LedgerTx, jobId: number, control: JobControl, pauseNow = false): Promise<JobRow> {
  const [job] = await tx.lockJobs([jobId]);
  if (!job) throw new SwitchyardError('SWY_ERR_JOB_NOT_FOUND', `No job with id ${jobId}`);
  if (!(pauseNow ? canPauseNow(job.state) : canControlJob(job.state, control))) {
    const hint = control === 'delete' && !isTerminalJobState(job.state) ? '; cancel it first' : '';
    throw new SwitchyardError('SWY_ERR_JOB_STATE', `Job ${jobId} is ${job.state}: it cannot be ${pastTense(control)}${hint}`);
  }
  return job;
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
