import type { NewChange } from './change-set.js';
import type { Progress, TaskRecord } from './records.js';
import type { ItemOutcome } from './task-counts.js';
import type { Json, TaskReport } from './task-report.js';
import type { TaskState } from './task-state.js';

/**
 * The worker protocol's messages: what a worker leases, reports and settles. The engine's
 * worker port, the HTTP protocol and the store's worker verbs all speak these types, so
 * they live in the model, below every layer that uses them.
 */

export interface NewTaskSpec {
  type: string;
  input: Json;
  /** Names the task within its job so that other tasks can run `after` it. */
  key?: string | null;
  /** Keys of tasks in the same job that must finish first. */
  after?: string[];
  /** The workflow whose handler runs it, when not the job's: a rollback job mixes the workflows it undoes. Ignored in spawns. */
  workflow?: string;
  /**
   * The site whose workers run the task; absent or null: a planned task runs at the job's
   * site, a spawned one at the site of the task that spawned it. Must name a known site.
   */
  site?: string | null;
}

/** What a worker needs to run a task: the task, its lease, and its job's fields. */
export interface LeasedTask {
  task: TaskRecord;
  leaseToken: string;
  job: { id: number; workflow: string; site: string; queue: string; creator: string; fields: Record<string, Json> };
  /**
   * Set when the task runs again for a job retried with `items: 'failed'`: the paths whose last
   * record by this task is `failed` (at most MAX_RETRY_PATHS). Absent or null for a normal run.
   */
  retryPaths?: string[] | null;
}

/** The most paths a task re-run for its failed items is given (ctx.task.retryPaths). */
export const MAX_RETRY_PATHS = 100_000;

export interface LeaseRef {
  taskId: number;
  leaseToken: string;
}

export interface HeartbeatResult {
  /** Leases no longer held: the worker stops these tasks and drops their results. */
  lost: number[];
  /** Tasks the worker should stop at once: cancel or pause was requested. */
  stop: { taskId: number; reason: 'cancel' | 'pause' }[];
}

export interface NewItem {
  path: string;
  operation: string;
  outcome: ItemOutcome;
  bytes?: number | null;
  error?: string | null;
}

/** What a running task produced since its last report. */
export interface TaskActivity extends LeaseRef {
  items?: NewItem[];
  /** Changes found (R27), see change-set.ts. */
  changes?: NewChange[];
  logs?: string[];
  progress?: Progress;
  spawn?: NewTaskSpec[];
}

export interface TaskCompletion extends TaskActivity {
  report: TaskReport;
}

export interface ActivityResult {
  taskId: number;
  /** False when the lease was lost: nothing was written for this task. */
  accepted: boolean;
}

export interface CompletionResult extends ActivityResult {
  /** The state the task ended in, when accepted. */
  state?: TaskState;
}

export interface WorkerInfo {
  id: string;
  name: string;
  site: string;
  workflows: string[];
  /** Where it runs: `in-process` or the remote host name. */
  host: string;
  /** The Switchyard version it runs, as it reports it; absent from workers that do not say. */
  version?: string;
  /**
   * The token that registered the worker (e.g. `token:12`); '' for none (in-process workers).
   * Once set, only that owner may register the same worker id again.
   */
  owner?: string;
}
