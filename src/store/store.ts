import type {
  AuditRecord,
  BulkAction,
  CatchUpRule,
  ChangeCounts,
  ChangeDetail,
  ChangeKind,
  ChangeRecord,
  DigestCadence,
  EnvelopeOnError,
  EnvelopeProblem,
  EnvelopeRecord,
  EnvelopeStatus,
  EventRecord,
  ItemOutcome,
  ItemRecord,
  ItemStat,
  ItemState,
  JobConcurrency,
  JobRecord,
  JobState,
  Json,
  NamedEvent,
  OperationFilter,
  OperationRecord,
  OperationState,
  OverlapRule,
  PruneCutoffs,
  ResourceLock,
  RetryPolicy,
  Role,
  TaskLogLine,
  TaskRecord,
  TaskState,
} from '../model/index.js';
import type {
  ActivityResult,
  CompletionResult,
  HeartbeatResult,
  LeasedTask,
  LeaseRef,
  NewTaskSpec,
  TaskActivity,
  TaskCompletion,
  WorkerInfo,
} from '../model/worker-protocol.js';

export type {
  ActivityResult,
  CompletionResult,
  HeartbeatResult,
  LeasedTask,
  LeaseRef,
  NewItem,
  NewTaskSpec,
  TaskActivity,
  TaskCompletion,
  WorkerInfo,
} from '../model/worker-protocol.js';

/**
 * The store contract, in job verbs. Two implementations keep it: SQLite (embedded default)
 * and PostgreSQL (many hubs on one database); test/conformance runs one suite against both.
 *
 * Guarantees every implementation gives:
 * - Each verb is one transaction: its state changes, the counters on the job row and the
 *   events it appends commit together or not at all.
 * - A verb that finds a row no longer in the state its caller saw (a lost race, a superseded
 *   lease) changes nothing and says so in its answer; it does not throw.
 * - Instants are epoch milliseconds and are always passed in (`now`): the store reads no clock.
 */
export interface Store
  extends JobStore,
    EnvelopeStore,
    WorkerStore,
    CatalogStore,
    EventStore,
    AuthStore,
    NotifyStore,
    ScheduleStore,
    OperationStore,
    DashboardStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations; safe when several processes start at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * Background duties (watchdog, schedules, retention) run on one hub at a time: a hub that
   * gets true holds the duty for `ttlMs` and must renew it before then.
   */
  tryHoldDuty(duty: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Called after a commit that made tasks ready at `site` or appended events; across processes on PostgreSQL. */
  onWake(listener: (signal: WakeSignal) => void): () => void;
}

/**
 * A wake-up after a commit. `events`: new events were committed; `committed`, when the store
 * knows them, are the ones this process just appended, in id order and with their ids (SQLite;
 * PostgreSQL when its statements answered the ids): a reader that has read every event before
 * the first may take them as read instead of reading them back. Events appended otherwise
 * (another process, or SQL of their own) leave a gap in the ids, which the reader notices and
 * reads. `named`, when the store knows it, is every named event the commit's events stand for
 * (see namedEventOf): a reader with no prompt listener for any of them need not read now; it
 * reads them in order later.
 */
export type WakeSignal = { kind: 'tasks'; site: string } | { kind: 'events'; committed?: readonly EventRecord[]; named?: ReadonlySet<NamedEvent> };

// ─── Jobs ────────────────────────────────────────────────────────────────────────────────

export interface NewJob {
  workflow: string;
  site: string;
  queue: string;
  creator: string;
  priority: number;
  fields: Record<string, Json>;
  /**
   * What free-text search (`JobQuery.q`) matches besides the job's columns: the engine builds
   * it from the values of the non-secret fields. The raw fields are never searched. Default ''.
   */
  searchText?: string;
  runAt: number | null;
  idempotencyKey: string | null;
  timeoutMs: number | null;
  retry: RetryPolicy;
  parentJobId: number | null;
  tasks: NewTaskSpec[];
  /** Resources the job acts on (model/resource-locks.ts), normalized; held until it ends. */
  locks?: ResourceLock[];
  /** Its workflow's concurrency limits and the job's key (model/concurrency.ts); null: none. */
  concurrency?: JobConcurrency | null;
  /**
   * The audit entry of its submission, written in the transaction that creates the job (none
   * for a repeated idempotency key): no second commit per submit, and no job without its entry.
   * Target and site are the job's.
   */
  audit?: { actor: string; action: string; data?: Record<string, Json> };
}

/** A workflow's concurrency limits and how many of its jobs are admitted and not ended, in all and per key. */
export interface ConcurrencyUse {
  limit: number | null;
  perKey: number | null;
  held: number;
  heldByKey: Map<string, number>;
}

export interface SubmitOutcome {
  job: JobRecord;
  /** False when an idempotency key matched a job submitted before: `job` is that job. */
  created: boolean;
}

/** A job's tasks at one site and worker (see Store.taskPlacement). */
export interface TaskPlacement {
  site: string;
  workerId: string | null;
  taskCounts: Partial<Record<TaskState, number>>;
}

export type JobSortKey = 'id' | 'createdAt' | 'startedAt' | 'endedAt' | 'updatedAt' | 'state' | 'workflow' | 'creator' | 'queue' | 'site';

/** A count of jobs; `exact: false` when it is an estimate. */
export interface JobCount {
  count: number;
  exact: boolean;
}

export interface JobQuery {
  /** Jobs at these sites only; null means every site (Global). */
  sites: string[] | null;
  ids?: number[];
  states?: JobState[];
  queues?: string[];
  workflows?: string[];
  creators?: string[];
  /** Jobs a schedule fired (by schedule id). */
  schedules?: number[];
  createdFrom?: number;
  createdTo?: number;
  /** Leave out jobs that had nothing to do (state skipped). */
  hideNoop?: boolean;
  /** Free text matched against id, workflow, state, creator, site, queue, reason and the job's searchText (never the raw fields). */
  q?: string;
  /**
   * Absent: newest first, by id; or, with a creation range (createdFrom, createdTo), by
   * creation time then id (see listJobsSql).
   */
  sort?: { key: JobSortKey; desc: boolean };
  cursor?: string | null;
  limit: number;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export type JobAction = 'pause' | 'resume' | 'cancel';

export interface ControlOptions {
  /** With pause: running tasks are told to stop at once rather than finish; they go back to `paused`, the attempt not counted. */
  immediate?: boolean;
}

export interface TaskQuery {
  states?: TaskState[];
  types?: string[];
  cursor?: string | null;
  limit: number;
}

export interface ChangeQuery {
  change?: ChangeKind;
  /** Case-insensitive substring of the path. */
  path?: string;
  cursor: string | null;
  limit: number;
}

export interface ItemQuery {
  outcome?: ItemOutcome;
  /** Substring of the path. */
  path?: string;
  cursor?: string | null;
  limit: number;
}

export interface JobStore {
  /** Creates jobs with their first tasks, in one transaction for the whole batch. */
  submitJobs(jobs: NewJob[], now: number): Promise<SubmitOutcome[]>;
  getJob(id: number): Promise<JobRecord | null>;
  listJobs(query: JobQuery): Promise<Page<JobRecord>>;
  /**
   * How many jobs match `query` (its cursor, sort and limit ignored): exact when fewer than
   * `cap`, else an estimate (`exact: false`, at least `cap`). Costs about a list page of `cap` rows.
   */
  jobTotal(query: JobQuery, cap: number): Promise<JobCount>;
  /** Pause, resume or cancel. Throws SWY_ERR_JOB_NOT_FOUND, or SWY_ERR_JOB_STATE when the job's state does not allow it. */
  controlJob(id: number, action: JobAction, now: number, options?: ControlOptions): Promise<JobRecord>;
  /**
   * Re-runs the tasks of a finished job that did not succeed. Throws as controlJob, and
   * SWY_ERR_RETRY_SUPERSEDED when a later job acted on a conflicting resource (unless forced).
   */
  retryJob(id: number, now: number, options?: { force?: boolean; items?: 'failed' }): Promise<JobRecord>;
  /** Removes a finished job with its tasks, items, output and events. Throws as controlJob. */
  deleteJob(id: number, now: number): Promise<void>;
  listTasks(jobId: number, query: TaskQuery): Promise<Page<TaskRecord>>;
  /** The task types present in a job, for the tasks view's filter. */
  taskTypes(jobId: number): Promise<string[]>;
  /**
   * Where a job's tasks ran: how many tasks in each state per site and worker (null: not
   * leased yet), by site then worker. One grouped read of the job's tasks.
   */
  taskPlacement(jobId: number): Promise<TaskPlacement[]>;
  getTask(id: number): Promise<TaskRecord | null>;
  /** Log lines in order, after `afterSeq`. */
  taskOutput(taskId: number, afterSeq: number, limit: number): Promise<TaskLogLine[]>;
  /**
   * The seqs of a task's log lines in (afterSeq, throughSeq] whose visible text (model
   * visibleText: without ANSI escape sequences) contains `needle`, in order, at most `limit`.
   * ASCII letters match either case (both stores alike); anything else exactly. Reads only that
   * seq range of the task's lines (its primary key), so a caller bounds the work; lines with
   * escape codes are matched in JavaScript, a bounded batch of them at a time.
   */
  searchTaskOutput(taskId: number, needle: string, afterSeq: number, throughSeq: number, limit: number): Promise<number[]>;
  listItems(jobId: number, query: ItemQuery): Promise<Page<ItemRecord>>;
  /** Every record of one path in a job, oldest first: the item's history across tasks. */
  itemHistory(jobId: number, path: string): Promise<ItemRecord[]>;
  // ─── Change sets and comparisons (ledger/change-rows.ts) ───
  /** A job's changes in the order recorded, without their texts. */
  listChanges(jobId: number, query: ChangeQuery): Promise<Page<ChangeRecord>>;
  /** How many changes of each kind a job has (those whose path contains `path`, when given). */
  changeCounts(jobId: number, path?: string): Promise<ChangeCounts>;
  /** One change of a job with its texts; null when the job has none of that id. */
  getChange(jobId: number, changeId: number): Promise<ChangeDetail | null>;
  /** The newest earlier job of the same workflow and site, or of the same schedule when the job came from one. */
  previousRun(job: { id: number; workflow: string; site: string; scheduleId: number | null }): Promise<number | null>;
  /** Each path of a job by its last record (at most `limit` paths). */
  latestItems(jobId: number, limit: number): Promise<ItemState[]>;
  /** A job's item records counted per operation and outcome. */
  itemStats(jobId: number): Promise<ItemStat[]>;
  /** The resource locks jobs declared (held or released), by job. */
  jobLocks(jobIds: number[]): Promise<Map<number, ResourceLock[]>>;
  /** The concurrency limits these workflows last declared and the jobs admitted under them now (workflows without limits are left out). */
  concurrencyUse(workflows: string[]): Promise<Map<string, ConcurrencyUse>>;
  /**
   * Jobs not yet finished, counted by state, site and queue (for metrics and embedding
   * programs). Reads the jobs-by-state index over unfinished states only: its cost follows
   * the open jobs, never the finished history.
   */
  countOpenJobs(): Promise<OpenJobCount[]>;
}

/** How many unfinished jobs are in one state at one site and queue. */
export interface OpenJobCount {
  state: JobState;
  site: string;
  queue: string;
  count: number;
}

// ─── Envelopes ───────────────────────────────────────────────────────────────────────────

/** An envelope to record; with `corrupt`, it is recorded as such and no job is created. */
export interface NewEnvelope {
  type: string;
  site: string;
  queue: string;
  creator: string;
  idempotencyKey: string | null;
  fileName: string | null;
  onError: EnvelopeOnError;
  corrupt?: EnvelopeProblem;
}

/** One member to create: its job, and the members (by index in the submission) it runs after. */
export interface EnvelopeMemberSpec {
  job: NewJob;
  after: number[];
}

export interface EnvelopeQuery {
  /** Envelopes at these sites only; null means every site. */
  sites: string[] | null;
  statuses?: EnvelopeStatus[];
  types?: string[];
  creators?: string[];
  createdFrom?: number;
  createdTo?: number;
  cursor?: string | null;
  limit: number;
}

/** A member job of an envelope with the members it runs after. */
export interface EnvelopeMember {
  job: JobRecord;
  after: number[];
}

/** A task that changed something, with what its compensation receives. */
export interface RollbackSource {
  taskId: number;
  jobId: number;
  workflow: string;
  type: string;
  input: Json;
  result: Json | null;
  fields: Record<string, Json>;
  endedAt: number | null;
  items: { path: string; operation: string; outcome: ItemOutcome; bytes: number | null }[];
  /** More items were recorded than were read (the compensation gets the first ones). */
  itemsTruncated: boolean;
}

/**
 * Envelopes: jobs of one submission, chained (model/envelope-chain.ts). Every member change
 * updates the envelope's counts and status in the same transaction.
 */
export interface EnvelopeStore {
  /**
   * Records the envelope and creates every member with its chain, in one transaction (all or
   * nothing). An idempotency key seen before answers that envelope with created = false.
   */
  submitEnvelope(envelope: NewEnvelope, members: EnvelopeMemberSpec[], now: number): Promise<{ envelope: EnvelopeRecord; created: boolean }>;
  getEnvelope(id: number): Promise<EnvelopeRecord | null>;
  /** Newest first, keyset-paginated. */
  listEnvelopes(query: EnvelopeQuery): Promise<Page<EnvelopeRecord>>;
  /** The members by id, with their chain. */
  envelopeMembers(id: number): Promise<EnvelopeMember[]>;
  /** Its history, oldest first: its own events and its jobs' (created, state changed); the newest `limit` when there are more. */
  envelopeEvents(id: number, limit: number): Promise<EventRecord[]>;
  /** No further member starts; running ones are told to stop. Throws SWY_ERR_ENVELOPE_NOT_FOUND, or SWY_ERR_ENVELOPE_STATE once it ended. */
  cancelEnvelope(id: number, now: number): Promise<EnvelopeRecord>;
  /** Runs its members that did not succeed again, chained as before. Throws SWY_ERR_ENVELOPE_STATE unless it ended with errors or was cancelled. */
  retryEnvelope(id: number, now: number): Promise<EnvelopeRecord>;
  /**
   * Deletes an envelope with its member jobs, its rollback job and its chain. Throws
   * SWY_ERR_ENVELOPE_NOT_FOUND, or SWY_ERR_ENVELOPE_STATE while it runs or rolls back or any of its jobs has not ended.
   */
  deleteEnvelope(id: number, now: number): Promise<{ jobs: number }>;
  /** The tasks of these jobs that changed something (success or error, `changed`), with up to `itemLimit` items each. */
  rollbackSources(jobIds: number[], itemLimit: number): Promise<RollbackSource[]>;
  /**
   * Starts the envelope's rollback job (`job`), or with null runs its failed rollback job
   * again. Refused (SWY_ERR_ENVELOPE_STATE) while a member runs or waits, or once rolled back;
   * SWY_ERR_RETRY_SUPERSEDED when a later job outside the envelope acted on a conflicting resource.
   */
  rollbackEnvelope(id: number, job: NewJob | null, now: number): Promise<EnvelopeRecord>;
  /** Starts the rollback job of one finished job; refused (SWY_ERR_ROLLBACK_REFUSED) while it runs or another rollback of it does, or superseded as above. */
  rollbackJob(jobId: number, job: NewJob, now: number): Promise<JobRecord>;
}

// ─── Workers ─────────────────────────────────────────────────────────────────────────────

export interface LeaseRequest {
  workerId: string;
  site: string;
  /** Workflows whose handlers the worker has. */
  workflows: string[];
  limit: number;
  leaseMs: number;
  now: number;
}

export interface HeartbeatRequest {
  workerId: string;
  leases: LeaseRef[];
  /** Of `leases`, tasks the worker holds but has not started: told to stop on any pause, not only "pause now". */
  unstarted?: number[];
  leaseMs: number;
  now: number;
  /** The sites the calling worker may act at; a lease on a task elsewhere is reported lost. Null or absent: all. */
  sites?: string[] | null;
}

export interface WorkerRecord extends Omit<WorkerInfo, 'version'> {
  /** The token that registered it; '' for none. */
  owner: string;
  /** The version it reported at its last registration; null if it did not say. */
  version: string | null;
  startedAt: number;
  lastSeenAt: number;
  /** Tasks it holds a lease on now (running, or stopping after a cancel or pause). */
  runningTasks: number;
}

export interface WorkerStore {
  /**
   * Records a worker (again, on restart). False, with nothing written, when a worker with this
   * id exists and belongs to another non-empty owner: one token cannot take over another's worker.
   */
  registerWorker(info: WorkerInfo, now: number): Promise<boolean>;
  listWorkers(): Promise<WorkerRecord[]>;
  /** Leases up to `limit` ready tasks of the worker's site and workflows, highest priority first. */
  leaseTasks(request: LeaseRequest): Promise<LeasedTask[]>;
  /** Extends the leases still held. */
  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResult>;
  /**
   * Records items, log lines, progress and spawned tasks, accepted only with the current lease
   * token and, when `sites` is non-null, only for tasks at those sites (others: as a lost lease).
   */
  recordActivity(batch: TaskActivity[], now: number, sites?: string[] | null): Promise<ActivityResult[]>;
  /** Settles finished tasks (with their last activity), accepted as recordActivity accepts. */
  completeTasks(batch: TaskCompletion[], now: number, sites?: string[] | null): Promise<CompletionResult[]>;
  /** Settles tasks whose lease ran out: retried, or failed once out of attempts. Returns how many. */
  expireLeases(now: number, limit: number): Promise<number>;
  /** Settles every lease one worker holds as expired, now: for a worker known to be gone. Returns how many. */
  releaseLeasesOf(workerId: string, now: number): Promise<number>;
  /** Fails jobs with no activity for longer than their timeout; running tasks are aborted. Returns how many. */
  timeoutJobs(now: number, limit: number): Promise<number>;
}

// ─── Sites and queues ────────────────────────────────────────────────────────────────────

export interface SiteRecord {
  name: string;
  createdAt: number;
}

export interface QueueRecord {
  name: string;
  /** Most jobs running at once; null for no limit, 1 for strictly sequential. */
  concurrency: number | null;
  paused: boolean;
  pauseOnFailure: boolean;
  /** Days its finished jobs are kept before retention prunes them; null: the workflow's setting, else the hub's default. */
  retainDays: number | null;
  /** Jobs started and not yet finished, at the sites asked for. */
  activeJobs: number;
  /** Jobs waiting to start (created or queued, delayed ones included), at the sites asked for. */
  queuedJobs: number;
  /** Creation instant of the oldest of those waiting jobs; null when none waits. */
  oldestQueuedAt: number | null;
  createdAt: number;
}

export interface QueuePatch {
  concurrency?: number | null;
  paused?: boolean;
  pauseOnFailure?: boolean;
  retainDays?: number | null;
}

export interface CatalogStore {
  ensureSites(names: string[], now: number): Promise<void>;
  listSites(): Promise<SiteRecord[]>;
  ensureQueues(names: string[], now: number): Promise<void>;
  /** Every queue (queues are shared by all sites), with job counts of `sites` only; null counts every site. */
  listQueues(sites: string[] | null): Promise<QueueRecord[]>;
  /** One queue, counted as listQueues counts. */
  getQueue(name: string, sites: string[] | null): Promise<QueueRecord | null>;
  /** Answers the queue counted at every site. Throws SWY_ERR_QUEUE_NOT_FOUND. */
  updateQueue(name: string, patch: QueuePatch, now: number): Promise<QueueRecord>;
}

// ─── Events and audit ────────────────────────────────────────────────────────────────────

export interface NewAudit {
  at: number;
  actor: string;
  action: string;
  target?: string | null;
  site?: string | null;
  data?: Record<string, Json>;
}

export interface AuditQuery {
  /**
   * Entries at these sites only; null for every entry. Entries with no site (users, tokens,
   * sign-ins, queue settings) are listed only for null: they are for all-site actors.
   */
  sites: string[] | null;
  target?: string;
  actor?: string;
  /** Prefix of the action, e.g. `job.` for every job action. */
  action?: string;
  /** One site (within `sites`). */
  site?: string;
  /** Entries at or after this instant. */
  from?: number;
  /** Entries at or before this instant. */
  to?: number;
  cursor?: string | null;
  limit: number;
}

export interface EventStore {
  /**
   * Events after `afterId`, oldest first; at sites in `sites` only (null: all). Never one past
   * an id that may still commit, so a reader may move its cursor to the last event it got and
   * miss nothing (an answer may be short, or empty, while such an id is pending).
   */
  listEvents(afterId: number, limit: number, sites: string[] | null): Promise<EventRecord[]>;
  /** Where a feed that starts now begins: reading after it misses no event that commits later (it may repeat a few just before). */
  lastEventId(): Promise<number>;
  appendAudit(entry: NewAudit): Promise<void>;
  /** Audit entries newest first, keyset-paginated. */
  listAudit(query: AuditQuery): Promise<Page<AuditRecord>>;
}

// ─── Users, sessions and tokens ──────────────────────────────────────────────────────────

export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string;
  role: Role;
  /** Sites the user may see; null for every site. */
  sites: string[] | null;
  /** A disabled user keeps its record and audit trail but may not sign in. */
  disabled: boolean;
  /** When the password was last changed through `updateUser`; null if never since creation. */
  passwordChangedAt: number | null;
  /** Where e-mail notifications go by default; null for none. */
  email: string | null;
  createdAt: number;
}

/** A user to create: enabled unless said otherwise, with its password as set at creation. */
export type NewUser = Omit<UserRecord, 'id' | 'disabled' | 'passwordChangedAt' | 'email'> & { disabled?: boolean; email?: string | null };

/** The user settings an admin may change; absent keys stay as they are. */
export interface UserPatch {
  role?: Role;
  sites?: string[] | null;
  disabled?: boolean;
  /** Also sets `passwordChangedAt` to the `now` of the update. */
  passwordHash?: string;
  email?: string | null;
}

export interface SessionRecord {
  idHash: string;
  userId: number;
  csrfToken: string;
  expiresAt: number;
}

export interface TokenRecord {
  id: number;
  name: string;
  tokenHash: string;
  role: Role;
  sites: string[] | null;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** After this instant the token no longer authenticates; null for never. */
  expiresAt: number | null;
  /** When it was revoked; a revoked token no longer authenticates. Null while in force. */
  revokedAt: number | null;
}

/** A token to create: in force, never used, and without expiry unless `expiresAt` is given. */
export type NewToken = Omit<TokenRecord, 'id' | 'lastUsedAt' | 'expiresAt' | 'revokedAt'> & { expiresAt?: number | null };

export interface AuthStore {
  countUsers(): Promise<number>;
  /** Throws SWY_ERR_USER_EXISTS when the name is taken. */
  createUser(user: NewUser): Promise<UserRecord>;
  findUser(username: string): Promise<UserRecord | null>;
  getUser(id: number): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  /** Applies the patch and answers the user as it now reads; null if there is no such user. Sessions are left alone: see deleteSessionsOf. */
  updateUser(id: number, patch: UserPatch, now: number): Promise<UserRecord | null>;
  /** Sets the password hash without recording when; prefer `updateUser`, which also sets passwordChangedAt. */
  setUserPassword(id: number, passwordHash: string): Promise<void>;
  createSession(session: SessionRecord): Promise<void>;
  findSession(idHash: string, now: number): Promise<SessionRecord | null>;
  deleteSession(idHash: string): Promise<void>;
  /** Signs a user out everywhere (on disable, password change or reset, role change). Returns how many sessions ended. */
  deleteSessionsOf(userId: number): Promise<number>;
  createToken(token: NewToken): Promise<TokenRecord>;
  getToken(id: number): Promise<TokenRecord | null>;
  /**
   * The token with this hash whatever its state (revoked, expired): the engine decides what
   * those mean.
   */
  findToken(tokenHash: string): Promise<TokenRecord | null>;
  /** Every token, revoked and expired ones included, oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** Revokes a token; revoking it again keeps the first instant. Null if there is no such token. */
  revokeToken(id: number, now: number): Promise<TokenRecord | null>;
  touchToken(id: number, now: number): Promise<void>;
}

// ─── Notifications ───────────────────────────────────────────────────────────────────────

export type NotifyChannel = 'email' | 'webhook' | 'console';
/** Which job endings a subscription wants: every end, or failures only (failure, error). */
export type NotifyOn = 'end' | 'failure';

/**
 * A user's request to be told when a job ends: one job (`jobId`), an envelope (`envelopeId`,
 * told when the envelope ends), a schedule (`scheduleId`, each job it fired), or every job at a
 * site (`site`) or at all the user's sites (`allSites`) — a site rule (none of the three ids).
 */
export interface SubscriptionRecord {
  id: number;
  username: string;
  jobId: number | null;
  /** An envelope subscription: told when the envelope ends. */
  envelopeId: number | null;
  /** A schedule subscription: told when each job the schedule fired ends. */
  scheduleId: number | null;
  site: string | null;
  allSites: boolean;
  channel: NotifyChannel;
  /** E-mail address (email channel). */
  address: string | null;
  /** Webhook URL (webhook channel); a secret the API never returns whole. */
  url: string | null;
  /** HMAC key that signs webhook bodies; shown once, at creation. */
  secret: string | null;
  on: NotifyOn;
  /** For site rules: the job end states that notify (e.g. failure, error, success). Empty: all. */
  events: string[];
  delivery: DigestCadence;
  timezone: string;
  createdAt: number;
}

export type NewSubscription = Omit<SubscriptionRecord, 'id'>;

export type DeliveryStatus = 'pending' | 'sent' | 'failed';

/** One notification to send: one event for one subscription (unique on the pair). */
export interface DeliveryRecord {
  id: number;
  subscriptionId: number;
  eventId: number;
  jobId: number | null;
  username: string;
  channel: NotifyChannel;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  /** What the message says (job summary at the time of the event). */
  payload: Record<string, Json>;
  createdAt: number;
  sentAt: number | null;
  readAt: number | null;
}

export type NewDelivery = Pick<DeliveryRecord, 'subscriptionId' | 'eventId' | 'jobId' | 'username' | 'channel' | 'payload'> & {
  /** When it is first due: `now` unless it waits for its subscription's digest. */
  dueAt?: number;
  /** Delivered by being written (a console notification): stored as sent at `now`. */
  delivered?: boolean;
};

export interface DeliveryQuery {
  username?: string;
  subscriptionId?: number;
  channel?: NotifyChannel;
  limit: number;
}

/**
 * Subscriptions and the delivery outbox. The notifier reads events after its cursor and
 * writes their deliveries in the same transaction as it moves the cursor, so an event is
 * turned into deliveries exactly once even across restarts and hubs.
 */
export interface NotifyStore {
  createSubscription(subscription: NewSubscription): Promise<SubscriptionRecord>;
  getSubscription(id: number): Promise<SubscriptionRecord | null>;
  /** A user's subscriptions (null: everyone's), oldest first. */
  listSubscriptions(username: string | null): Promise<SubscriptionRecord[]>;
  /**
   * What an event batch may match: subscriptions to these jobs, to the schedules that fired
   * them, to these envelopes, and every site rule.
   */
  subscriptionsFor(jobIds: number[], envelopeIds?: number[]): Promise<SubscriptionRecord[]>;
  /** Removes a subscription with its deliveries; false if there was none. */
  deleteSubscription(id: number): Promise<boolean>;
  /** The last event id the notifier has turned into deliveries (0 at first). */
  /** Whether any subscription exists (a job's, an envelope's, a schedule's or a site rule). */
  hasSubscriptions(): Promise<boolean>;
  notifyCursor(): Promise<number>;
  /**
   * Writes deliveries (a pair seen before is skipped) and moves the cursor from `from` to
   * `to`, in one transaction; false, with nothing written, when the cursor is no longer at `from`.
   */
  enqueueDeliveries(deliveries: NewDelivery[], from: number, to: number, now: number): Promise<boolean>;
  /** Pending deliveries due at `now`, oldest first. */
  dueDeliveries(now: number, limit: number): Promise<DeliveryRecord[]>;
  /** Records an attempt's result: sent, failed for good, or pending again at `nextAttemptAt`. */
  settleDelivery(id: number, result: { status: DeliveryStatus; attempts: number; nextAttemptAt: number; lastError: string | null; now: number }): Promise<void>;
  /** Newest first. */
  listDeliveries(query: DeliveryQuery): Promise<DeliveryRecord[]>;
  /** Marks a user's console notifications read; answers how many changed. */
  markDeliveriesRead(username: string, ids: number[] | null, now: number): Promise<number>;
}

// ─── Schedules ───────────────────────────────────────────────────────────────────────────

/** A recurring job (model/schedule.ts for the timing, overlap and catch-up rules). */
export interface ScheduleRecord {
  id: number;
  /** Unique among all schedules. */
  name: string;
  workflow: string;
  site: string;
  queue: string;
  fields: Record<string, Json>;
  /** A cron expression (seconds allowed) in `timezone`; null for an interval schedule. */
  cron: string | null;
  /** A fixed interval, counted from `createdAt`; null for a cron schedule. */
  everyMs: number | null;
  timezone: string;
  overlap: OverlapRule;
  catchUp: CatchUpRule;
  /** With catch-up `all`: at most this many missed slots fire. */
  catchUpLimit: number;
  enabled: boolean;
  /** Declared in a workflow's code (`defineWorkflow({ schedules })`): changed only there. */
  codeOwned: boolean;
  creator: string;
  /** The next slot the scheduler fires; null when disabled or the rule has no further slot. */
  nextRunAt: number | null;
  /** A slot that waits for the previous run to end (overlap `queue`). */
  pendingSlotAt: number | null;
  lastSlotAt: number | null;
  /** The last job a slot (or run now) submitted. */
  lastJobId: number | null;
  createdAt: number;
  updatedAt: number;
}

export type NewSchedule = Omit<ScheduleRecord, 'id' | 'pendingSlotAt' | 'lastSlotAt' | 'lastJobId' | 'createdAt' | 'updatedAt'>;

/** The settings that may change; absent keys stay as they are. */
export type SchedulePatch = Partial<Omit<NewSchedule, 'creator'>>;

/** One slot to fire: the engine builds the job from the workflow; the store decides by the overlap rule. */
export interface ScheduleFiring {
  scheduleId: number;
  slotAt: number;
  job: NewJob;
  /** Run now, forced: submit whatever the overlap rule says. */
  force?: boolean;
  /** Fire the slot that waits (overlap `queue`) rather than a new one. */
  pending?: boolean;
}

/**
 * What a firing did: `submitted` a job (after cancelling `cancelled`), `skipped` the slot
 * (overlap), left it `waiting` for the previous run, or nothing at all: `duplicate` (the slot
 * fired before, on this hub or another) or `gone` (no such schedule).
 */
export interface FireResult {
  outcome: 'submitted' | 'skipped' | 'waiting' | 'duplicate' | 'gone';
  job: JobRecord | null;
  cancelled: number[];
  reason: string | null;
}

export interface ScheduleStore {
  /** Throws SWY_ERR_SCHEDULE_EXISTS when the name is taken. */
  createSchedule(schedule: NewSchedule, now: number): Promise<ScheduleRecord>;
  getSchedule(id: number): Promise<ScheduleRecord | null>;
  /** Schedules at these sites (null: all), by id. */
  listSchedules(sites: string[] | null): Promise<ScheduleRecord[]>;
  /** Null if there is no such schedule; throws SWY_ERR_SCHEDULE_EXISTS on a name clash. */
  updateSchedule(id: number, patch: SchedulePatch, now: number): Promise<ScheduleRecord | null>;
  /** Removes the schedule and its slot records; its jobs stay. False if there was none. */
  deleteSchedule(id: number): Promise<boolean>;
  /** Enabled schedules whose next slot is due by `now`, or with a waiting slot; at most `limit`. */
  dueSchedules(now: number, limit: number): Promise<ScheduleRecord[]>;
  /** Moves the next slot on, only if it is still `from` (another hub may have moved it). */
  advanceSchedule(id: number, from: number | null, nextRunAt: number | null, now: number): Promise<boolean>;
  /**
   * Fires one slot in one transaction: records the slot (once: a slot recorded before answers
   * `duplicate`, with nothing written), applies the overlap rule against the schedule's active
   * jobs, and submits the job tagged with the schedule and slot.
   */
  fireSchedule(firing: ScheduleFiring, now: number): Promise<FireResult>;
  /**
   * Retention: removes up to `limit` finished jobs that ended before their cutoff (their
   * workflow's, else their queue's, else the default; model/retention.ts) with their tasks,
   * items, output and locks, oldest end first, in one short transaction; answers how many.
   */
  pruneJobs(cutoffs: PruneCutoffs, limit: number, now: number): Promise<number>;
  /** Removes up to `limit` of the oldest events recorded before `before`, in one statement; answers how many. */
  pruneEvents(before: number, limit: number): Promise<number>;
}

// ─── Bulk operations ─────────────────────────────────────────────────────────────────────

/**
 * An operation to record (model/operation.ts): counters start at zero, the cursor at 0; the
 * store sets `maxJobId` (the newest job now) and `total` (the jobs matching now) in the same
 * transaction.
 */
export type NewOperation = Pick<OperationRecord, 'action' | 'filter' | 'jobIds' | 'options' | 'actor' | 'actorRole' | 'actorSites'>;

/**
 * One batch of an operation, as the engine decided it: `apply` are the jobs the actor may act
 * on (the store applies the action to each, guarded by the job's state), `skip` the jobs the
 * engine refused (site scope, workflow controls) with the reason. `cursor` moves from `from`
 * to `to`; `last` ends the operation.
 */
export interface OperationBatch {
  operationId: number;
  action: BulkAction;
  /** For subscribe: the subscriber and channel. */
  options: Record<string, string>;
  actor: string;
  from: number;
  to: number;
  apply: number[];
  skip: { jobId: number; reason: string }[];
  last: boolean;
}

export interface OperationStore {
  createOperation(operation: NewOperation, now: number): Promise<OperationRecord>;
  getOperation(id: number): Promise<OperationRecord | null>;
  /** Newest first; `actor` narrows to one caller's. */
  listOperations(query: { actor?: string; limit: number }): Promise<OperationRecord[]>;
  /** Operations still running, oldest first: what the runner resumes. */
  runningOperations(limit: number): Promise<OperationRecord[]>;
  /**
   * Applies one batch in one short transaction: claims it (only while the operation is still
   * running with its cursor at `from`; otherwise answers null with nothing written, as a lost
   * race), applies the action to all its jobs at once, as the single-job verbs would one after
   * the other (a job whose state refuses it is counted skipped with the store's reason), and
   * moves the cursor and counters. A crash before the commit leaves the whole batch to be done
   * again; after it, none of it.
   */
  applyOperationBatch(batch: OperationBatch, now: number): Promise<OperationRecord | null>;
  /** Moves a running operation to `state` (cancelled, failed); null when it was not running. */
  endOperation(id: number, state: Extract<OperationState, 'cancelled' | 'failed'>, error: string | null, now: number): Promise<OperationRecord | null>;
  /** How many jobs match (the list's filters; `sites` null: all), counted in the store. */
  countJobs(filter: OperationFilter & { ids?: number[]; maxId?: number }): Promise<number>;
}

// ─── Dashboard ───────────────────────────────────────────────────────────────────────────

export interface DashboardQuery {
  sites: string[] | null;
  from: number;
  to: number;
  bucketMs: number;
}

/** A count of jobs in one time bucket and state (bucket = its start instant). */
export interface BucketCount {
  bucket: number;
  state: JobState;
  count: number;
}

/** Durations of one workflow's jobs that ended in the window, as a histogram of 2-significant-digit values. */
export interface DurationHistogram {
  workflow: string;
  /** [duration floored to 2 significant digits, count] in ascending duration. */
  bins: [number, number][];
}

export interface DashboardStore {
  /**
   * Aggregates for the dashboard, read from the per-minute roll-up the ledger keeps
   * (dashboard-rollup.ts, migration 21): jobs created per bucket by current state, jobs ended
   * per bucket by end state, and the duration histograms of jobs ended in the window, per
   * workflow. A minute counts when it starts in [from, to), in the bucket where it starts:
   * exact for windows and buckets on whole minutes.
   */
  dashboardAggregates(query: DashboardQuery): Promise<{ created: BucketCount[]; ended: BucketCount[]; durations: DurationHistogram[] }>;
}
