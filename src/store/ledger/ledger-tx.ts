import type {
  ConcurrencyLimits,
  ConcurrencySlot,
  ItemCounts,
  ItemOutcome,
  JobIntent,
  JobOutcome,
  JobState,
  Json,
  ResourceLock,
  TaskCounts,
  TaskErrorInfo,
  TaskState,
} from '../../model/index.js';
import type { NewItem } from '../store.js';
import type { SqlExecutor } from './envelope-rows.js';

/**
 * The primitive reads and writes the ledger's verbs are written against. Each backend
 * implements it on one open transaction; the ledger never sees SQL.
 *
 * Locking order, to keep PostgreSQL free of deadlocks: tasks, then queue admission, then
 * jobs; rows of one kind are always locked in ascending id order.
 */
export interface LedgerTx {
  readonly now: number;
  /** Plain SQL on the same transaction, for verbs written once for both stores (envelopes). */
  readonly sql: SqlExecutor;
  /** Locks and reads tasks by id, ascending; missing ids are left out. */
  lockTasks(ids: number[]): Promise<TaskRow[]>;
  /** Locks and reads the tasks of a job, optionally only those in `states`. */
  lockJobTasks(jobId: number, states: readonly TaskState[] | null): Promise<TaskRow[]>;
  /** lockJobTasks for many jobs in one statement (a bulk operation's batch): their tasks, ascending by task id. */
  lockTasksOfJobs(jobIds: number[], states: readonly TaskState[] | null): Promise<TaskRow[]>;
  /** Locks and reads jobs by id, ascending. */
  lockJobs(ids: number[]): Promise<JobRow[]>;
  /**
   * As lockTasks, and then the tasks' jobs: a store may lock both at once and answer the next
   * lockJobs of those jobs from the rows it read (once each, and only while the transaction
   * has written no job). For verbs that settle every task's job: completions.
   */
  lockTasksAndJobs(ids: number[]): Promise<TaskRow[]>;
  /**
   * The queues' states (flags and, for queues with a concurrency limit, how many jobs hold a
   * slot), and ready tasks picked and locked for a worker (skipping rows other transactions
   * hold), none of them of an unstarted job in a queue that `blocked` names among those states.
   * A store may send both reads at once, claiming outside the queues the previous claim found
   * blocked, and then claims again only if the queues blocked now differ.
   */
  claimTasks(claim: ClaimRequest, blocked: (queues: QueueState[]) => string[]): Promise<{ queues: QueueState[]; claimed: ClaimedTask[] }>;
  /** Serialises admissions into these queues until commit (PostgreSQL: advisory locks), then re-reads their slot counts. */
  lockQueueAdmission(queues: string[]): Promise<Map<string, number>>;
  /** Tasks whose lease ran out, locked, at most `limit`. */
  lockExpiredLeases(now: number, limit: number): Promise<TaskRow[]>;
  /** Tasks leased by one worker, locked, whatever their expiry. */
  lockLeasesOf(workerId: string, limit: number): Promise<TaskRow[]>;
  /** Ids of unfinished jobs past their deadline. */
  timedOutJobIds(now: number, limit: number): Promise<number[]>;
  /** The edges from tasks that wait on any of `dependsOn`. */
  dependencyEdges(dependsOn: number[]): Promise<DependencyEdge[]>;
  /** A job's tasks by key. */
  tasksByKey(jobId: number, keys: string[]): Promise<Map<string, KeyedTask>>;
  /** Existing jobs by idempotency key. */
  jobIdsByIdempotencyKey(keys: string[]): Promise<Map<string, number>>;

  insertJobs(rows: NewJobRow[]): Promise<number[]>;
  insertTasks(rows: NewTaskRow[]): Promise<number[]>;
  insertDependencies(edges: DependencyEdge[]): Promise<void>;
  /** Writes back changed tasks; each applies only if the row is still in `fromState`. Returns how many applied. */
  updateTasks(changes: { row: TaskRow; fromState: TaskState }[]): Promise<number>;
  updateJobs(rows: JobRow[]): Promise<void>;
  /** Pauses those of `queues` whose pause-on-failure setting is on. */
  pauseQueuesOnFailure(queues: string[]): Promise<void>;
  insertEvents(events: NewEvent[]): Promise<void>;
  /** Audit entries about new jobs (target `job:<id>`), in the transaction that creates them (see writeJobAudit). */
  insertJobAudit(entries: JobAudit[], at: number): Promise<void>;
  /** A job's current (not superseded) item records of any of `paths`, each by a probe of (job_id, path). */
  currentItemsOf(jobId: number, paths: readonly string[]): Promise<CurrentItem[]>;
  /** Items one task recorded at `at`; those at the indexes `superseded` are written superseded (item-records.ts). */
  insertItems(jobId: number, taskId: number, at: number, items: readonly NewItem[], superseded: ReadonlySet<number>): Promise<void>;
  /** Appends log lines after the task's last line: `firstSeq` is the number of the first. */
  insertLogs(taskId: number, firstSeq: number, lines: string[], at: number): Promise<void>;
  /** Deletes jobs with their tasks, items, output, changes, edges, locks and rows. */
  deleteJobs(jobIds: number[]): Promise<void>;
  // ─── Jobs that span sites ───
  /** Which of `names` are sites the store knows (the sites table). */
  knownSites(names: string[]): Promise<Set<string>>;
  /** Records that jobs have tasks at these sites (other than their own); pairs already recorded are left alone. */
  addJobSites(pairs: { jobId: number; site: string }[]): Promise<void>;
  // ─── Resource locks (model/resource-locks.ts) ───
  /** Serialises lock admission and release until commit (PostgreSQL: one advisory lock per schema). */
  lockResourceAdmission(): Promise<void>;
  /**
   * Records a job's locks as held (again, after a retry), with the next admission number:
   * the job is now last in line on its resources.
   */
  holdLocks(jobId: number, locks: ResourceLock[]): Promise<void>;
  /**
   * For each of `locks`, the latest other job admitted before this one (its admission
   * number, not its id: a retried job is admitted again, behind later jobs) that holds an
   * unreleased conflicting lock; at most one id per lock, in admission order. Empty when
   * nothing conflicts. A job waits only on jobs admitted before it, so waits never form a cycle.
   */
  lockHolders(jobId: number, locks: ResourceLock[]): Promise<number[]>;
  /** For each of `locks`, the latest other job that started after `startedAfter` and held (or holds) a conflicting lock; ascending. */
  laterLockHolders(jobId: number, locks: ResourceLock[], startedAfter: number): Promise<number[]>;
  /** The locks jobs declared, released or not. */
  locksOf(jobIds: number[]): Promise<Map<number, ResourceLock[]>>;
  /** Releases the unreleased locks of ended jobs; answers how many were released. */
  releaseLocks(jobIds: number[], now: number): Promise<number>;
  /** The jobs waiting on any of these for a lock, ascending, with every site each has tasks at. */
  lockWaiters(jobIds: number[]): Promise<{ id: number; sites: string[] }[]>;
  /** Sets (or clears, with null) the job a job waits on for a lock. */
  setLockWait(jobId: number, waitOn: number | null): Promise<void>;
  /** Holds the tasks of jobs out of leasing (a job not admitted yet), or lets them be leased again. */
  holdTasks(jobIds: number[], held: boolean): Promise<void>;
  // ─── Concurrency per workflow and per key (model/concurrency.ts), under lockResourceAdmission ───
  /** Records the limits a workflow declares, as of this submission. */
  setConcurrencyLimits(workflow: string, limits: ConcurrencyLimits): Promise<void>;
  /** The limits a workflow last declared; null when it never did. */
  concurrencyLimits(workflow: string): Promise<ConcurrencyLimits | null>;
  /** Puts jobs at the end of their workflow's line (slot `waiting`) with their key. */
  enterConcurrencyLine(jobs: { id: number; key: string | null }[]): Promise<void>;
  /** Jobs of a workflow admitted and not ended, counted by key (null: no key); only those of `keys` when given. */
  heldConcurrency(workflow: string, keys: string[] | null): Promise<Map<string | null, number>>;
  /**
   * Jobs of a workflow waiting in its line and for no lock, in submission order after
   * `afterId`, at most `limit`, none with a key in `skipKeys`.
   */
  concurrencyCandidates(query: { workflow: string; skipKeys: string[]; afterId: number; limit: number }): Promise<ConcurrencyCandidate[]>;
  /** For each key, its first `limit` jobs waiting in the workflow's line and for no lock, in submission order. */
  concurrencyCandidatesOfKeys(workflow: string, wants: { key: string; limit: number }[]): Promise<ConcurrencyCandidate[]>;
  setConcurrencySlot(jobIds: number[], slot: ConcurrencySlot): Promise<void>;
  /** Where jobs stand in their workflows' lines: those waiting or admitted, and with `released` those that ended too. */
  concurrencyOf(jobIds: number[], released?: boolean): Promise<Map<number, ConcurrencyStanding>>;
  /** Once the transaction commits, wakes idle workers of `sites` and, if `events`, the live feed. */
  wakeAfterCommit(sites: string[], events: boolean): void;
  /**
   * The queues the store's last lease found at their concurrency limit, shared by its
   * transactions (a hint, never read from the database): the end of a started job of one frees
   * a slot, which no task becoming ready announces (see JobBook.settle).
   */
  readonly fullQueues: Set<string>;
}

/** A job a concurrency line may admit. */
export interface ConcurrencyCandidate {
  id: number;
  /** Its home site first, then the other sites it has tasks at: the sites to wake when it is admitted. */
  sites: string[];
  key: string | null;
}

/** A job's place in its workflow's concurrency line. */
export interface ConcurrencyStanding {
  workflow: string;
  key: string | null;
  slot: ConcurrencySlot;
}

/** The mutable view of a task the ledger loads, changes and writes back. */
export interface TaskRow {
  id: number;
  jobId: number;
  site: string;
  workflow: string;
  type: string;
  priority: number;
  state: TaskState;
  attempts: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  availableAt: number;
  leaseToken: string | null;
  leaseExpiresAt: number | null;
  workerId: string | null;
  progressDone: number;
  progressTotal: number;
  changed: boolean;
  result: Json | null;
  error: TaskErrorInfo | null;
  reason: string | null;
  itemsFailed: number;
  logLines: number;
  pendingDeps: number;
  dependents: number;
  startedAt: number | null;
  endedAt: number | null;
  updatedAt: number;
}

/** An item record as the bookkeeping of superseded records needs it (item-records.ts). */
export interface CurrentItem {
  id: number;
  path: string;
  operation: string;
  outcome: ItemOutcome;
  taskId: number;
  at: number;
}

/** The mutable view of a job. */
export interface JobRow {
  id: number;
  site: string;
  queue: string;
  workflow: string;
  creator: string;
  state: JobState;
  intent: JobIntent;
  outcome: JobOutcome | null;
  reason: string | null;
  taskCounts: TaskCounts;
  itemCounts: Required<ItemCounts>;
  progressDone: number;
  progressTotal: number;
  changed: boolean;
  timeoutMs: number | null;
  deadlineAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  updatedAt: number;
  /** The envelope the job belongs to (a member or its rollback job); set after insert, never changed. */
  envelopeId: number | null;
  /**
   * As lockJobs read them: whether the job holds unreleased resource locks, and its place in
   * a concurrency line. When it ends, only a job that may hold either costs the statements
   * that release them. Absent: not known (treated as possibly holding).
   */
  holdsLocks?: boolean;
  concurrencySlot?: ConcurrencySlot | null;
}

export type NewJobRow = Omit<JobRow, 'id' | 'envelopeId'> & {
  priority: number;
  fields: Record<string, Json>;
  searchText: string;
  idempotencyKey: string | null;
  parentJobId: number | null;
  runAt: number | null;
  createdAt: number;
};

export type NewTaskRow = Omit<TaskRow, 'id'> & {
  key: string | null;
  input: Json;
  createdAt: number;
  /** Held out of leasing from the start (its job may have to wait for a lock or a concurrency slot). Default false. */
  held?: boolean;
};

export interface ClaimRequest {
  site: string;
  workflows: string[];
  now: number;
  limit: number;
}

export interface ClaimedTask {
  row: TaskRow;
  /** The job has not started yet: leasing this task starts it, if its queue admits it. */
  jobUnstarted: boolean;
  /** What the worker needs besides the row, read in the same query. */
  key: string | null;
  input: Json;
  createdAt: number;
  job: { id: number; workflow: string; site: string; queue: string; creator: string; fields: Record<string, Json> };
  /** The task re-runs for its failed items (a retry with items: 'failed'): its worker gets their paths. */
  retryItems?: boolean;
}

export interface DependencyEdge {
  jobId: number;
  taskId: number;
  dependsOn: number;
}

export interface QueueState {
  name: string;
  paused: boolean;
  concurrency: number | null;
  activeJobs: number;
}

/** The audit entry of a job's submission. */
export interface JobAudit {
  jobId: number;
  actor: string;
  action: string;
  site: string;
  data: Record<string, Json>;
}

export interface NewEvent {
  at: number;
  type: string;
  jobId: number | null;
  taskId: number | null;
  site: string | null;
  data: Record<string, Json>;
}

/** Ids and states of a job's tasks by key, for `after` references in spawned tasks. */
export interface KeyedTask {
  id: number;
  state: TaskState;
}
