import type { ConcurrencySlot } from './concurrency.js';
import type { EnvelopeIntent, EnvelopeOnError, EnvelopeRollback, EnvelopeStatus } from './envelope-status.js';
import type { JobIntent, JobState } from './job-state.js';
import type { JobOutcome } from './outcome.js';
import type { ItemCounts, ItemOutcome, TaskCounts } from './task-counts.js';
import type { Json, TaskErrorInfo } from './task-report.js';
import type { TaskState } from './task-state.js';

/** Done and total work units; a job's is the sum of its tasks'. */
export interface Progress {
  done: number;
  total: number;
}

/** A job as the store returns it. Instants are epoch milliseconds. */
export interface JobRecord {
  id: number;
  workflow: string;
  state: JobState;
  intent: JobIntent;
  outcome: JobOutcome | null;
  reason: string | null;
  /** The job's own (home) site: where it was submitted, and where its tasks run unless they name another. */
  site: string;
  /**
   * Every site the job has tasks at: its own first, then the others by name. The job is
   * visible to users of any of them and controllable by users of all of them.
   */
  sites: string[];
  queue: string;
  creator: string;
  priority: number;
  fields: Record<string, Json>;
  idempotencyKey: string | null;
  /** Re-submission or retry lineage: the job this one was made from. */
  parentJobId: number | null;
  timeoutMs: number | null;
  runAt: number | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  updatedAt: number;
  progress: Progress;
  taskCounts: TaskCounts;
  itemCounts: Required<ItemCounts>;
  /** The earlier job whose resource lock this one waits for (not started until it ends). */
  lockWaitOn?: number | null;
  /** Its concurrency key (model/concurrency.ts), computed at submission; null without one. */
  concurrencyKey?: string | null;
  /** Its place in its workflow's concurrency line; null when the workflow has no limits. */
  concurrencySlot?: ConcurrencySlot | null;
  /** The schedule that fired this job, and the slot it fired for. */
  scheduleId?: number | null;
  slotAt?: number | null;
  /** The envelope the job belongs to (a member, or the envelope's rollback job). */
  envelopeId?: number | null;
  /** The envelope member this job runs after and still waits for. */
  envelopeWaitOn?: number | null;
  /** For a rollback job: the job it undoes (null for an envelope's rollback, see `envelopeId`). */
  rollbackOf?: number | null;
  /** Whether this job runs compensations (a rollback job). */
  rollback?: boolean;
}

/** A task as the store returns it. */
export interface TaskRecord {
  id: number;
  jobId: number;
  workflow: string;
  type: string;
  key: string | null;
  site: string;
  state: TaskState;
  input: Json;
  attempts: number;
  maxAttempts: number;
  availableAt: number;
  workerId: string | null;
  leaseExpiresAt: number | null;
  progress: Progress;
  changed: boolean;
  result: Json | null;
  error: TaskErrorInfo | null;
  reason: string | null;
  itemsFailed: number;
  dependsOn: number[];
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  updatedAt: number;
}

/** One record of a task acting on an item. */
export interface ItemRecord {
  id: number;
  jobId: number;
  taskId: number;
  path: string;
  operation: string;
  outcome: ItemOutcome;
  bytes: number | null;
  error: string | null;
  at: number;
  /**
   * A later record of the same path and operation in the job replaced this one (its task ran
   * again, or a retry redid the item): it stays in the item's history and leaves the job's
   * counters and the items tabs.
   */
  superseded: boolean;
}

export interface TaskLogLine {
  seq: number;
  at: number;
  line: string;
}

/** An append-only record of a change; feeds the live console, webhooks and notifications. */
export interface EventRecord {
  id: number;
  at: number;
  /** `subsystem:noun:verb`, e.g. `job:state:changed`. */
  type: string;
  jobId: number | null;
  taskId: number | null;
  site: string | null;
  data: Record<string, Json>;
}

export interface AuditRecord {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  site: string | null;
  data: Record<string, Json>;
}

/** Where a corrupt submission went wrong: the entry (0-based), the file's line (1-based) and the field, when known. */
export interface EnvelopeProblem {
  message: string;
  entry?: number;
  line?: number;
  field?: string;
}

/** An envelope as the store returns it (model/envelope-status.ts for its status). */
export interface EnvelopeRecord {
  id: number;
  /** The envelope type that read the submission (`jobs` is built in). */
  type: string;
  site: string;
  queue: string;
  creator: string;
  idempotencyKey: string | null;
  /** The uploaded file's name, when it came as a file. */
  fileName: string | null;
  onError: EnvelopeOnError;
  intent: EnvelopeIntent;
  rollback: EnvelopeRollback;
  /** The job running (or that ran) its compensations. */
  rollbackJobId: number | null;
  status: EnvelopeStatus;
  reason: string | null;
  /** For a corrupt envelope: what was at fault. */
  problem: EnvelopeProblem | null;
  /** Member jobs by state. */
  jobCounts: Partial<Record<JobState, number>>;
  totalJobs: number;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
}
