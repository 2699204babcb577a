import { z } from 'zod';
import {
  type ChangeKind,
  checkConcurrencyConfig,
  compensatedType,
  type HandlerReturn,
  type ItemOutcome,
  type Json,
  type LockSpec,
  type RetryPolicy,
} from '../model/index.js';
import type { SiteInfo } from './site-paths.js';
import type { SiteTransfer } from './transfer.js';

/**
 * A task a plan or a running task asks for. `after` names tasks (by key) that must finish
 * first. `site` names the site whose workers run it — how one job acts at a source and a
 * destination site; without it a planned task runs at the job's site and a spawned task at
 * the site of the task that spawned it.
 */
export interface TaskSpec {
  type: string;
  input?: Json;
  key?: string;
  after?: string[];
  site?: string;
}

export interface ItemReport {
  operation: string;
  outcome: ItemOutcome;
  bytes?: number;
  error?: string;
}

/**
 * One entry of a job's change set (R27), see `TaskContext.change`. Sizes are in bytes. Give
 * `textBefore`/`textAfter` only for small text files: each is kept when it is at most 64 KiB of
 * UTF-8; a longer one is dropped (both texts are, so the diff is never half a file) and the
 * change is marked `textOmitted`.
 */
export interface ChangeReport {
  change: ChangeKind;
  sizeBefore?: number;
  sizeAfter?: number;
  textBefore?: string;
  textAfter?: string;
}

/**
 * What a task handler is given. Items, log lines and spawned tasks are buffered and sent in
 * bulk. Nothing is refused for its size: a log line over 64 KiB, an item path over 4 KiB, a
 * result over 1 MiB of JSON, and a thrown error's message over 8 KiB or stack over 16 KiB are
 * cut, ending with "…[truncated N chars]". Anything thrown — a string, null, a BigInt, a
 * circular object, a Proxy — is reported readably. In a handler thread (the default), `ctx`
 * forwards its calls to the worker by message, and a result must survive structured clone.
 */
export interface TaskContext<Fields = Record<string, unknown>, Input = Json> {
  job: { id: number; workflow: string; site: string; queue: string; creator: string; fields: Fields };
  /** `site` is where this task runs: the job's site unless the plan or spawn named another. */
  task: {
    id: number;
    type: string;
    key: string | null;
    site: string;
    input: Input;
    attempt: number;
    maxAttempts: number;
    /**
     * When the job was retried for its failed items only (`POST /jobs/:id/retry` with
     * `{ items: 'failed' }`, `switchyard jobs retry ID --failed-items`): the paths whose last
     * item recorded by this task was `failed`, so the handler can act on those alone. Null for
     * a normal run. At most 100,000 paths.
     */
    retryPaths: string[] | null;
  };
  /**
   * The site this worker serves and its root directory (`switchyard worker --root DIR`,
   * `switchyard start --site-root NAME=DIR`; null when it was given none). Resolve every path
   * a task touches with `resolveInSite(ctx.site.root, path)`: it refuses absolute paths, `..`
   * and symlinks that lead outside the root.
   */
  site: SiteInfo;
  /** Appends a line to the task's output. */
  log(line: string): void;
  /** Reports `done` of `total` units of this task's work. */
  progress(done: number, total: number): void;
  /** Records an item the task acted on. A failed item makes the task end `error`. */
  item(path: string, report: ItemReport): void;
  /**
   * Attaches a change to the job's change set (R27): `path` was added, changed or removed.
   * Served by `GET /jobs/:id/changes` and the console's "View details". Buffered and sent
   * with the task's items; a path over 2 KiB of UTF-8 is cut like an item's.
   */
  change(path: string, report: ChangeReport): void;
  /** Adds tasks to the job (dynamic fan-out). */
  spawn(tasks: TaskSpec | TaskSpec[]): void;
  /**
   * Aborted when the task must stop: the job was cancelled, paused or timed out, the lease was
   * lost, or the worker is shutting down. A handler still running `stopGraceMs` (default 10 s)
   * later is stopped for it — its thread terminated, or in-process its promise abandoned — and
   * the task is reported stopped.
   */
  signal: AbortSignal;
  /** Extends the lease now (the worker also does it on its own while the handler runs). */
  heartbeat(): Promise<void>;
  /**
   * Moves files to a task at another site through the hub: `put` a file here, hand its
   * `{ sha256, size }` to a task there, which `get`s it (see SiteTransfer). Blobs belong to
   * this job and go when it ends.
   */
  transfer: SiteTransfer;
}

// biome-ignore lint/suspicious/noExplicitAny: a handler declares the input type it expects; the worker cannot check it
export type TaskHandler<Fields = Record<string, unknown>> = (ctx: TaskContext<Fields, any>) => Promise<HandlerReturn> | HandlerReturn;

/** What a compensation is given about the task it undoes. */
export interface CompensationSource {
  /** The original task and its job. */
  taskId: number;
  jobId: number;
  type: string;
  input: Json;
  result: Json | null;
  /** The original job's fields. */
  fields: Record<string, Json>;
  /** The items the original task recorded (the first 10,000; `itemsTruncated` says when there were more). */
  items: { path: string; operation: string; outcome: ItemOutcome; bytes: number | null }[];
  itemsTruncated: boolean;
}

/**
 * Undoes what one task of the workflow did. Runs as a task of a rollback job (so it records
 * its own items, logs and progress through `ctx`); `ctx.job` is the rollback job.
 */
export type CompensationHandler<Fields = Record<string, unknown>> = (
  // biome-ignore lint/suspicious/noExplicitAny: as TaskHandler
  ctx: TaskContext<Fields, any>,
  original: CompensationSource,
) => Promise<HandlerReturn> | HandlerReturn;

export interface PlanContext {
  site: string;
  creator: string;
}

export interface WorkflowConfig<Schema extends z.ZodObject> {
  /** Unique id used in the API and CLI: lowercase letters, digits, `-` and `.`. */
  name: string;
  /** What the console shows. */
  label?: string;
  description?: string;
  /** The job's typed fields; the console renders this schema as a form. */
  fields: Schema;
  /** Field names whose values are never shown in the console, the API, exports or logs. */
  secretFields?: (keyof z.infer<Schema> & string)[];
  /** Returns the job's first tasks from its fields. Runs on the hub at submission. */
  plan(fields: z.infer<Schema>, ctx: PlanContext): TaskSpec[] | Promise<TaskSpec[]>;
  /** Handlers by task type. */
  tasks: Record<string, TaskHandler<z.infer<Schema>>>;
  retry?: Partial<RetryPolicy>;
  /** A running job with no activity for this long fails as timed out. */
  timeoutMs?: number;
  /** The queue jobs go to when the submitter names none. */
  queue?: string;
  /**
   * The resources a job acts on, from its fields: keys with path semantics (`projects/a`),
   * exclusive unless `{ key, mode: 'shared' }`. A job whose locks conflict with an earlier
   * unfinished job's waits for it; a retry is refused once a later job acted on them.
   */
  locks?: (fields: z.infer<Schema>) => LockSpec[];
  /**
   * At most `limit` jobs of the workflow, and at most `perKey` jobs per key (from the job's
   * fields: a tenant, a device), run at once — across every hub on the same database. A job
   * over a limit waits in `queued` and starts, first come first served, when one ends.
   */
  concurrency?: WorkflowConcurrency<z.infer<Schema>>;
  /**
   * Compensations by task type: rolling back a job (or its envelope) runs, newest first, the
   * compensation of every task of that type that changed something.
   */
  rollback?: Record<string, CompensationHandler>;
  /** Controls the workflow does not support (`false`): refused by the API, hidden in the console. */
  controls?: { pause?: boolean; cancel?: boolean; retry?: boolean };
  /**
   * Schedules declared in code: synced when the hub starts (created, updated, and removed
   * when no longer declared) and marked code-owned, so they are changed only here (the
   * console and API may still enable, disable and run them). Names are unique across workflows.
   */
  schedules?: WorkflowSchedule<z.infer<Schema>>[];
  /**
   * How long the hub keeps this workflow's finished jobs (with their tasks, items, output and
   * events) before retention prunes them. Wins over the queue's `retainDays` and the hub's
   * `--retain-days`; without any of the three, jobs are kept.
   */
  retention?: { days: number };
  /**
   * How long a handler may keep running after its signal aborted (cancel, pause, timeout, a
   * lost lease, worker shutdown) before the worker stops it — terminating its thread, or
   * abandoning its promise in-process — and reports the task stopped. Default 10 s.
   */
  stopGraceMs?: number;
  /**
   * The URL of the module that exports this workflow, so that a worker can load it in a
   * handler thread: pass `import.meta.url`. Workflows loaded with `--workflows` (or
   * `loadWorkflows`) know their module already; without one, handlers run in-process.
   */
  module?: string;
}

/** A workflow's concurrency limits (see WorkflowConfig.concurrency); at least one of `limit` and `perKey`. */
export interface WorkflowConcurrency<Fields = Record<string, unknown>> {
  limit?: number;
  /** The job's key, computed once at submission; required with `perKey`. */
  key?: (fields: Fields) => string;
  perKey?: number;
}

const BRAND = Symbol.for('switchyard.workflow');

/** A schedule a workflow declares (see ScheduleInput in src/engine/schedule-verbs.ts). */
export interface WorkflowSchedule<Fields = Record<string, unknown>> {
  name: string;
  fields: Fields;
  cron?: string;
  everyMs?: number;
  timezone?: string;
  site?: string;
  queue?: string;
  overlap?: 'skip' | 'queue' | 'cancel-previous' | 'allow';
  catchUp?: 'none' | 'latest' | 'all';
  catchUpLimit?: number;
}

// `any` by default so that a list of workflows with different field types is a Workflow[].
// biome-ignore lint/suspicious/noExplicitAny: see above
export interface Workflow<Schema extends z.ZodObject = any> extends WorkflowConfig<Schema> {
  readonly [BRAND]: true;
}

const NAME = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/**
 * Declares a workflow. The result is what a workflows module exports; `switchyard start
 * --workflows FILE` and `switchyard worker --workflows FILE` load every such export.
 */
export function defineWorkflow<Schema extends z.ZodObject>(config: WorkflowConfig<Schema>): Workflow<Schema> {
  if (!NAME.test(config.name)) {
    throw new Error(`workflow name "${config.name}" must be lowercase letters, digits, '-' or '.', at most 64 characters`);
  }
  if (!(config.fields instanceof z.ZodType) && typeof (config.fields as { safeParse?: unknown })?.safeParse !== 'function') {
    throw new Error(`workflow "${config.name}": fields must be a zod object schema`);
  }
  if (Object.keys(config.tasks).length === 0) throw new Error(`workflow "${config.name}" has no task handlers`);
  if (config.concurrency !== undefined) checkConcurrencyConfig(config.name, config.concurrency);
  const days = config.retention?.days;
  if (config.retention !== undefined && !(typeof days === 'number' && Number.isFinite(days) && days > 0)) {
    throw new Error(`workflow "${config.name}": retention.days must be a number of days above 0`);
  }
  for (const type of Object.keys(config.rollback ?? {})) {
    if (!(type in config.tasks)) throw new Error(`workflow "${config.name}": rollback names task type "${type}", which has no handler`);
  }
  return Object.freeze({ ...config, [BRAND]: true as const });
}

const loadedFrom = new WeakMap<Workflow, string>();

/** Records the module a workflow was loaded from (see `loadWorkflows`); `module` in the config wins. */
export function rememberWorkflowModule(workflow: Workflow, moduleUrl: string): void {
  if (!loadedFrom.has(workflow)) loadedFrom.set(workflow, moduleUrl);
}

/** The URL of the module exporting `workflow`, or null when it was defined where no thread can import it. */
export function workflowModule(workflow: Workflow): string | null {
  return workflow.module ?? loadedFrom.get(workflow) ?? null;
}

export function isWorkflow(value: unknown): value is Workflow {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * The handler of a task type: a task handler, or for `rollback:<type>` the compensation of
 * `<type>`, handed the original task's input, result and items from the rollback task's input.
 */
export function taskHandler(workflow: Workflow, type: string): TaskHandler | undefined {
  const undone = compensatedType(type);
  if (undone === null) return workflow.tasks[type];
  const compensate = workflow.rollback?.[undone];
  if (!compensate) return undefined;
  return (ctx) => compensate(ctx, ctx.task.input as CompensationSource);
}
