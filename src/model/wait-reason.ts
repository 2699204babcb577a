import type { JobState } from './job-state.js';
import type { TaskState } from './task-state.js';

/**
 * Why a job or task is not running: one code per cause, a sentence for people, and what it
 * waits for (a job, an instant). Decided here from facts the engine gathers; no I/O.
 */
export const WaitCode = {
  jobPaused: 'job-paused',
  pausing: 'pausing',
  cancelling: 'cancelling',
  lock: 'lock',
  /** A member of an envelope waits for the members it runs after. */
  envelope: 'envelope',
  delayed: 'delayed',
  queuePaused: 'queue-paused',
  queueFull: 'queue-full',
  workflowFull: 'workflow-full',
  keyFull: 'key-full',
  noWorker: 'no-worker',
  dependencies: 'dependencies',
  backoff: 'backoff',
} as const;
export type WaitCode = (typeof WaitCode)[keyof typeof WaitCode];

export interface WaitReason {
  code: WaitCode;
  message: string;
  /** The job it waits for (a lock holder). */
  jobId?: number;
  /** When the wait ends by itself (a delay, a retry backoff), epoch ms. */
  until?: number;
  /** The resource in conflict, for a lock. */
  resource?: string;
  /** The workflow's or the key's concurrency limit, for `workflow-full` and `key-full`. */
  limit?: number;
  /** The concurrency key, for `key-full`. */
  key?: string;
}

/** A job waiting for a concurrency slot: its workflow's limits and how many jobs hold one now. */
export interface ConcurrencyWaitFacts {
  limit: number | null;
  perKey: number | null;
  key: string | null;
  /** Jobs of the workflow admitted and not ended. */
  held: number;
  /** Jobs with the same key admitted and not ended. */
  keyHeld: number;
}

/** What decides a job's wait. */
export interface JobWaitFacts {
  state: JobState;
  startedAt: number | null;
  runAt: number | null;
  queue: string;
  site: string;
  /** Every site the job has tasks at (its own first); absent: its own only. */
  sites?: string[];
  workflow: string;
  runningTasks: number;
  /** The earlier job whose lock it waits for, and the key in conflict when known. */
  lock: { jobId: number; resource: string | null } | null;
  /** Set when the job waits in its workflow's concurrency line. */
  concurrency?: ConcurrencyWaitFacts | null;
  /** The envelope member this job runs after and waits for (model/envelope-chain.ts). */
  envelopeWait?: { envelopeId: number; jobId: number } | null;
  queueState: { paused: boolean; concurrency: number | null; activeJobs: number } | null;
  /** Online workers that run its workflow, at any of the job's sites. */
  workersOnline: number;
  now: number;
}

/** Why a job is not running now, or null when it is running or finished (or about to start). */
export function jobWaitReason(job: JobWaitFacts): WaitReason | null {
  const tasks = (n: number) => `${n} running task${n === 1 ? '' : 's'}`;
  switch (job.state) {
    case 'paused':
      return { code: 'job-paused', message: 'The job is paused; resume it to go on.' };
    case 'pausing':
      return { code: 'pausing', message: `Pausing: waiting for ${tasks(job.runningTasks)} to stop.` };
    case 'cancelling':
      return { code: 'cancelling', message: `Cancelling: waiting for ${tasks(job.runningTasks)} to stop.` };
    case 'created':
    case 'queued':
      break;
    default:
      return null;
  }
  if (job.startedAt !== null) return null;
  if (job.lock) {
    const on = job.lock.resource ? ` on "${job.lock.resource}"` : '';
    return {
      code: 'lock',
      message: `Waiting for job ${job.lock.jobId}, which holds or waits for a conflicting lock${on}.`,
      jobId: job.lock.jobId,
      ...(job.lock.resource ? { resource: job.lock.resource } : {}),
    };
  }
  if (job.concurrency) return concurrencyWait(job.workflow, job.concurrency);
  if (job.envelopeWait) {
    const { envelopeId, jobId } = job.envelopeWait;
    return { code: 'envelope', message: `Waiting for job ${jobId} of envelope ${envelopeId}, which it runs after.`, jobId };
  }
  if (job.runAt !== null && job.runAt > job.now) {
    return { code: 'delayed', message: `Delayed until ${new Date(job.runAt).toISOString()}.`, until: job.runAt };
  }
  if (job.queueState?.paused) return { code: 'queue-paused', message: `Queue "${job.queue}" is paused.` };
  const q = job.queueState;
  if (q && q.concurrency !== null && q.activeJobs >= q.concurrency) {
    return {
      code: 'queue-full',
      message: `Queue "${job.queue}" runs at most ${q.concurrency} job${q.concurrency === 1 ? '' : 's'} at once, and that many are running.`,
    };
  }
  if (job.workersOnline === 0) {
    const sites = job.sites && job.sites.length > 1 ? job.sites : [job.site];
    const at = sites.length === 1 ? `site "${sites[0]}"` : `any of its sites (${sites.map((s) => `"${s}"`).join(', ')})`;
    return { code: 'no-worker', message: `No worker online at ${at} runs workflow "${job.workflow}".` };
  }
  return null;
}

const jobs = (n: number) => `${n} job${n === 1 ? '' : 's'}`;

/**
 * Which limit holds a job back: its key's when that is reached (or is the only one declared),
 * else its workflow's.
 */
function concurrencyWait(workflow: string, c: ConcurrencyWaitFacts): WaitReason {
  const keyFull = c.perKey !== null && c.key !== null && c.keyHeld >= c.perKey;
  if (c.perKey !== null && c.key !== null && (keyFull || c.limit === null)) {
    return {
      code: 'key-full',
      message: `Workflow "${workflow}" runs at most ${jobs(c.perKey)} per key at once, and ${c.keyHeld} with key "${c.key}" ${c.keyHeld === 1 ? 'is' : 'are'} running.`,
      limit: c.perKey,
      key: c.key,
    };
  }
  const limit = c.limit ?? 0;
  return {
    code: 'workflow-full',
    message: `Workflow "${workflow}" runs at most ${jobs(limit)} at once, and ${c.held} ${c.held === 1 ? 'is' : 'are'} running.`,
    limit,
    ...(c.key !== null ? { key: c.key } : {}),
  };
}

/**
 * Why a task is not running now, given its job's wait and how many online workers at the
 * task's own site run its workflow (absent: not known, not checked); null when it is running,
 * finished or about to be leased. Tasks of one job may run at different sites, so a job whose
 * other sites have workers still has tasks that wait for a worker at theirs.
 */
export function taskWaitReason(
  task: { state: TaskState; availableAt: number; attempts: number; maxAttempts: number; site?: string; type?: string; workflow?: string },
  jobWait: WaitReason | null,
  now: number,
  workersAtSite?: number,
): WaitReason | null {
  switch (task.state) {
    case 'created':
      return { code: 'dependencies', message: 'Waiting for the tasks it runs after.' };
    case 'paused':
      return { code: 'job-paused', message: 'The job is paused.' };
    case 'queued':
      if (task.attempts > 0 && task.availableAt > now) {
        return {
          code: 'backoff',
          message: `Retrying after attempt ${task.attempts} of ${task.maxAttempts}, at ${new Date(task.availableAt).toISOString()}.`,
          until: task.availableAt,
        };
      }
      if (task.availableAt > now) return { code: 'delayed', message: `Delayed until ${new Date(task.availableAt).toISOString()}.`, until: task.availableAt };
      if ((jobWait === null || jobWait.code === 'no-worker') && workersAtSite === 0 && task.site !== undefined) {
        return {
          code: 'no-worker',
          message: `No worker online at site "${task.site}" for task type "${task.type}"${task.workflow ? ` (workflow "${task.workflow}")` : ''}.`,
        };
      }
      return jobWait;
    default:
      return null;
  }
}
