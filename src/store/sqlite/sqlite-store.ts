import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { type EnvelopeRecord, type PruneCutoffs, SwitchyardError } from '../../model/index.js';
import { DashboardSql } from '../dashboard-sql.js';
import * as changes from '../ledger/change-rows.js';
import { completeTasks, heartbeat, recordActivity } from '../ledger/complete.js';
import { controlJob, deleteJob, retryJob } from '../ledger/control.js';
import * as env from '../ledger/envelope-rows.js';
import { cancelEnvelope, deleteEnvelope, retryEnvelope, rollbackEnvelope, rollbackJob, submitEnvelope } from '../ledger/envelopes.js';
import { fireSchedule } from '../ledger/fire-schedule.js';
import { leaseTasks } from '../ledger/lease.js';
import { pruneEvents, pruneJobs } from '../ledger/prune.js';
import { ScheduleSql } from '../ledger/schedule-tx.js';
import { submitJobs, submitOutcomes } from '../ledger/submit.js';
import { expireLeases, releaseLeasesOf, timeoutJobs } from '../ledger/watchdog.js';
import { searchNeedle } from '../list-queries.js';
import { applyOperationBatch, OperationSql, questionDialect } from '../operation-sql.js';
import { createRowMapper, type RowMapper } from '../rows.js';
import { refuseNewerSchema } from '../schema-version.js';
import { SerialLock } from '../serial-lock.js';
import type * as S from '../store.js';
import { SqliteAuth } from './sqlite-auth.js';
import { SqliteCatalog } from './sqlite-catalog.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { type LedgerStatements, prepareLedgerStatements, SqliteLedgerTx } from './sqlite-ledger-tx.js';
import { sqliteMigrations } from './sqlite-migrations.js';
import { SqliteNotify } from './sqlite-notify.js';
import { SqliteReads } from './sqlite-reads.js';
import { sqliteScheduleExecutor } from './sqlite-schedules.js';
import { SqliteSearchIndexer } from './sqlite-search-indexer.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  path: string;
  /**
   * `normal` (default) survives a process crash, kill -9 included, and may lose the last
   * commits on a power cut; `full` survives a power cut at the cost of an fsync per commit.
   */
  synchronous?: 'normal' | 'full';
  /** Jitter source for retry backoff; tests pass a fixed one. */
  random?: () => number;
}

/**
 * The embedded store: one SQLite file in WAL mode, one connection, used by one hub process.
 * Calls are serialised through one lock so that a transaction spanning awaits never sees
 * another caller's statements; every verb is one `BEGIN IMMEDIATE … COMMIT`.
 */
export class SqliteStore implements S.Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database;
  private readonly lock = new SerialLock();
  private readonly wake = new EventEmitter();
  /** Queues the last lease found at their concurrency limit (LedgerTx.fullQueues). */
  private readonly fullQueues = new Set<string>();
  private readonly map: RowMapper = createRowMapper({ jsonAsText: true });
  private readonly random: () => number;
  private ledger!: LedgerStatements;
  /** appendAudit's statement, prepared on first use. */
  private auditInsert: Statement | null = null;
  private control!: { begin: Statement; commit: Statement; rollback: Statement };
  private reads!: SqliteReads;
  private readonly auth: SqliteAuth;
  private readonly notify: SqliteNotify;
  private catalog!: SqliteCatalog;
  private schedules!: ScheduleSql;
  private sql!: env.SqlExecutor;
  private readonly checkpointer: SqliteCheckpointer | null;
  private searchIndexer: SqliteSearchIndexer | null = null;

  constructor(options: SqliteStoreOptions) {
    const onDisk = options.path !== ':memory:' && options.path !== '';
    // The database holds password hashes, token hashes and every job's fields: owner-only.
    if (onDisk) mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    const restoreUmask = onDisk ? ownerOnlyUmask() : () => {};
    try {
      this.db = new BetterSqlite3(options.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('cache_size = -65536');
      this.db.pragma('temp_store = MEMORY');
      // Checkpoints run on a background thread (SqliteCheckpointer); this one only bounds the
      // WAL (about 80 MB) should that thread ever fall behind.
      if (options.path !== ':memory:') this.db.pragma('wal_autocheckpoint = 20000');
      // Files from before (or made where the umask could not be set) are narrowed too; SQLite
      // creates a later -wal or -shm file with the database file's mode.
      if (onDisk) for (const suffix of ['', '-wal', '-shm']) if (existsSync(options.path + suffix)) chmodSync(options.path + suffix, 0o600);
    } catch (error) {
      throw new SwitchyardError('SWY_ERR_STORE_UNAVAILABLE', `Cannot open the SQLite store at ${options.path}: ${(error as Error).message}`);
    } finally {
      restoreUmask();
    }
    this.random = options.random ?? Math.random;
    this.checkpointer = options.path === ':memory:' ? null : new SqliteCheckpointer(options.path);
    this.wake.setMaxListeners(0);
    this.auth = new SqliteAuth(this.db);
    this.notify = new SqliteNotify(this.db);
  }

  async migrate(): Promise<void> {
    await this.lock.run(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      const applied = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
      refuseNewerSchema(applied, sqliteMigrations);
      for (const migration of sqliteMigrations) {
        if (applied.has(migration.version)) continue;
        this.db
          .transaction(() => {
            this.db.exec(migration.sql);
            this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
          })
          .immediate();
      }
      this.ledger = prepareLedgerStatements(this.db);
      this.control = { begin: this.db.prepare('BEGIN IMMEDIATE'), commit: this.db.prepare('COMMIT'), rollback: this.db.prepare('ROLLBACK') };
      this.reads = new SqliteReads(this.db, this.map);
      this.catalog = new SqliteCatalog(this.db);
      this.schedules = new ScheduleSql(sqliteScheduleExecutor(this.db));
      this.sql = sqliteScheduleExecutor(this.db);
      this.searchIndexer ??= new SqliteSearchIndexer(this.db, this.lock);
    });
    this.searchIndexer?.start();
  }

  /** Adds every job written so far to the text index now, rather than within the next 200 ms (a text search does it first; tests and the scale bench call it). */
  async indexSearch(): Promise<void> {
    await this.searchIndexer?.catchUp();
  }

  async close(): Promise<void> {
    await this.searchIndexer?.stop();
    await this.checkpointer?.stop();
    await this.lock.run(() => {
      if (!this.db.open) return;
      // Leave a compact database file behind: fold the WAL in and truncate it.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    });
  }

  onWake(listener: (signal: S.WakeSignal) => void): () => void {
    this.wake.on('wake', listener);
    return () => this.wake.off('wake', listener);
  }

  /** One verb, one transaction; wake-ups go out only after the commit. */
  private transact<T>(now: number, body: (tx: SqliteLedgerTx) => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      const tx = new SqliteLedgerTx(this.ledger, this.map, now, this.sql, this.fullQueues);
      this.control.begin.run();
      let result: T;
      try {
        result = await body(tx);
        tx.flushRollup();
        this.control.commit.run();
      } catch (error) {
        if (this.db.inTransaction) this.control.rollback.run();
        throw error;
      }
      for (const site of tx.wakeSites) this.wake.emit('wake', { kind: 'tasks', site });
      if (tx.wakeEvents) this.wake.emit('wake', { kind: 'events', committed: tx.appended });
      return result;
    });
  }

  private read<T>(body: () => T | Promise<T>): Promise<T> {
    return this.lock.run(body);
  }

  // ─── Jobs ──────────────────────────────────────────────────────────────────────────────

  async submitJobs(jobs: S.NewJob[], now: number): Promise<S.SubmitOutcome[]> {
    if (jobs.length === 0) return [];
    return this.transact(now, async (tx) => {
      this.catalog.ensureSites([...new Set(jobs.map((job) => job.site))], now);
      this.catalog.ensureQueues([...new Set(jobs.map((job) => job.queue))], now);
      const ids = await submitJobs(tx, jobs, now);
      // New jobs come back as the ledger wrote them; only earlier jobs (idempotency) are read.
      const earlier = new Map(this.reads.getJobs([...new Set(ids.filter((a) => !a.record).map(({ id }) => id))]).map((job) => [job.id, job]));
      return submitOutcomes(jobs, ids, earlier);
    });
  }

  getJob(id: number) {
    return this.read(() => this.reads.getJob(id));
  }

  async jobTotal(query: S.JobQuery, cap: number) {
    await this.searchable(query);
    return this.read(() => this.reads.jobTotal(query, cap));
  }

  /**
   * Before a text search, the jobs written since the text index's last batch join it (a
   * batch is small: the index catches up every 200 ms), so the index answers for them as
   * for the rest — its case folding covers every letter, the tail's LIKE only ASCII.
   */
  private async searchable(query: S.JobQuery): Promise<void> {
    if (searchNeedle(query.q) !== null) await this.searchIndexer?.catchUp();
  }

  async listJobs(query: S.JobQuery) {
    await this.searchable(query);
    return this.read(() => this.reads.listJobs(query));
  }

  countOpenJobs() {
    return this.read(() => this.reads.countOpenJobs());
  }

  async controlJob(id: number, action: S.JobAction, now: number, options?: S.ControlOptions) {
    return this.transact(now, async (tx) => {
      await controlJob(tx, id, action, now, options);
      return this.reads.getJob(id) as NonNullable<ReturnType<SqliteReads['getJob']>>;
    });
  }

  async retryJob(id: number, now: number, options: { force?: boolean; items?: 'failed' } = {}) {
    return this.transact(now, async (tx) => {
      await retryJob(tx, id, now, options.force === true, options.items ?? null);
      return this.reads.getJob(id) as NonNullable<ReturnType<SqliteReads['getJob']>>;
    });
  }

  deleteJob(id: number, now: number): Promise<void> {
    return this.transact(now, (tx) => deleteJob(tx, id, now));
  }

  listTasks(jobId: number, query: S.TaskQuery) {
    return this.read(() => this.reads.listTasks(jobId, query));
  }

  taskTypes(jobId: number) {
    return this.read(() => this.reads.taskTypes(jobId));
  }

  taskPlacement(jobId: number) {
    return this.read(() => this.reads.taskPlacement(jobId));
  }

  getTask(id: number) {
    return this.read(() => this.reads.getTask(id));
  }

  taskOutput(taskId: number, afterSeq: number, limit: number) {
    return this.read(() => this.reads.taskOutput(taskId, afterSeq, limit));
  }

  searchTaskOutput(taskId: number, needle: string, afterSeq: number, throughSeq: number, limit: number) {
    return this.read(() => this.reads.searchTaskOutput(taskId, needle, afterSeq, throughSeq, limit));
  }

  listItems(jobId: number, query: S.ItemQuery) {
    return this.read(() => this.reads.listItems(jobId, query));
  }

  concurrencyUse(workflows: string[]) {
    return this.read(() => this.reads.concurrencyUse(workflows));
  }

  jobLocks(jobIds: number[]) {
    return this.read(() => this.reads.jobLocks(jobIds));
  }

  itemHistory(jobId: number, path: string) {
    return this.read(() => this.reads.itemHistory(jobId, path));
  }

  // ─── Change sets and comparisons ───────────────────────────────────────────────────────

  listChanges(jobId: number, query: S.ChangeQuery) {
    return this.read(() => changes.listChanges(this.sql, questionDialect('LIKE'), jobId, query));
  }

  changeCounts(jobId: number, path?: string) {
    return this.read(() => changes.changeCounts(this.sql, questionDialect('LIKE'), jobId, path));
  }

  getChange(jobId: number, changeId: number) {
    return this.read(() => changes.getChange(this.sql, jobId, changeId));
  }

  previousRun(job: { id: number; workflow: string; site: string; scheduleId: number | null }) {
    return this.read(() => changes.previousRun(this.sql, job));
  }

  latestItems(jobId: number, limit: number) {
    return this.read(() => changes.latestItems(this.sql, jobId, limit));
  }

  itemStats(jobId: number) {
    return this.read(() => changes.itemStats(this.sql, jobId));
  }

  // ─── Envelopes ─────────────────────────────────────────────────────────────────────────

  submitEnvelope(envelope: S.NewEnvelope, members: S.EnvelopeMemberSpec[], now: number) {
    return this.transact(now, async (tx) => {
      this.catalog.ensureSites([...new Set([envelope.site, ...members.map((m) => m.job.site)])], now);
      this.catalog.ensureQueues([...new Set([envelope.queue, ...members.map((m) => m.job.queue)])], now);
      const { id, created } = await submitEnvelope(tx, envelope, members, now);
      return { envelope: (await env.readEnvelope(this.sql, id)) as EnvelopeRecord, created };
    });
  }

  getEnvelope(id: number) {
    return this.read(() => env.readEnvelope(this.sql, id));
  }

  listEnvelopes(query: S.EnvelopeQuery) {
    return this.read(() => env.listEnvelopes(this.sql, query));
  }

  envelopeMembers(id: number) {
    return this.read(() => env.envelopeMembers(this.sql, this.map, id));
  }

  envelopeEvents(id: number, limit: number) {
    return this.read(() => env.envelopeEvents(this.sql, this.map, id, limit));
  }

  cancelEnvelope(id: number, now: number) {
    return this.transact(now, async (tx) => {
      await cancelEnvelope(tx, id, now);
      return (await env.readEnvelope(this.sql, id)) as EnvelopeRecord;
    });
  }

  retryEnvelope(id: number, now: number) {
    return this.transact(now, async (tx) => {
      await retryEnvelope(tx, id, now);
      return (await env.readEnvelope(this.sql, id)) as EnvelopeRecord;
    });
  }

  rollbackSources(jobIds: number[], itemLimit: number) {
    return this.read(() => env.rollbackSources(this.sql, jobIds, itemLimit));
  }

  deleteEnvelope(id: number, now: number) {
    return this.transact(now, (tx) => deleteEnvelope(tx, id, now));
  }

  rollbackEnvelope(id: number, job: S.NewJob | null, now: number) {
    return this.transact(now, async (tx) => {
      await rollbackEnvelope(tx, id, job, now);
      return (await env.readEnvelope(this.sql, id)) as EnvelopeRecord;
    });
  }

  rollbackJob(jobId: number, job: S.NewJob, now: number) {
    return this.transact(now, async (tx) => {
      const id = await rollbackJob(tx, jobId, job, now);
      return this.reads.getJob(id) as NonNullable<ReturnType<SqliteReads['getJob']>>;
    });
  }

  // ─── Workers ───────────────────────────────────────────────────────────────────────────

  registerWorker(info: S.WorkerInfo, now: number): Promise<boolean> {
    return this.read(() =>
      this.db
        .transaction(() => {
          if (!this.catalog.registerWorker(info, now)) return false;
          this.catalog.ensureSites([info.site], now);
          return true;
        })
        .immediate(),
    );
  }

  listWorkers() {
    return this.read(() => this.catalog.listWorkers());
  }

  leaseTasks(request: S.LeaseRequest): Promise<S.LeasedTask[]> {
    return this.transact(request.now, (tx) => leaseTasks(tx, request, randomUUID));
  }

  heartbeat(request: S.HeartbeatRequest): Promise<S.HeartbeatResult> {
    return this.transact(request.now, async (tx) => {
      this.catalog.touchWorker(request.workerId, request.now);
      return heartbeat(tx, request);
    });
  }

  recordActivity(batch: S.TaskActivity[], now: number, sites: string[] | null = null): Promise<S.ActivityResult[]> {
    return this.transact(now, (tx) => recordActivity(tx, batch, now, sites));
  }

  completeTasks(batch: S.TaskCompletion[], now: number, sites: string[] | null = null): Promise<S.CompletionResult[]> {
    return this.transact(now, (tx) => completeTasks(tx, batch, now, this.random, sites));
  }

  expireLeases(now: number, limit: number): Promise<number> {
    return this.transact(now, (tx) => expireLeases(tx, now, limit, this.random));
  }

  timeoutJobs(now: number, limit: number): Promise<number> {
    return this.transact(now, (tx) => timeoutJobs(tx, now, limit));
  }

  releaseLeasesOf(workerId: string, now: number): Promise<number> {
    return this.transact(now, (tx) => releaseLeasesOf(tx, workerId, now, this.random));
  }

  tryHoldDuty(duty: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.read(() => this.catalog.tryHoldDuty(duty, holder, ttlMs, now));
  }

  // ─── Sites and queues ──────────────────────────────────────────────────────────────────

  ensureSites(names: string[], now: number) {
    return this.read(() => this.catalog.ensureSites(names, now));
  }

  listSites() {
    return this.read(() => this.catalog.listSites());
  }

  ensureQueues(names: string[], now: number) {
    return this.read(() => this.catalog.ensureQueues(names, now));
  }

  listQueues(sites: string[] | null) {
    return this.read(() => this.catalog.listQueues(sites));
  }

  getQueue(name: string, sites: string[] | null) {
    return this.read(() => this.catalog.getQueue(name, sites));
  }

  async updateQueue(name: string, patch: S.QueuePatch, now: number) {
    const queue = await this.read(() => this.catalog.updateQueue(name, patch, now));
    // Resuming a queue or raising its limit may let jobs start.
    this.wake.emit('wake', { kind: 'tasks', site: '*' });
    return queue;
  }

  // ─── Events and audit ──────────────────────────────────────────────────────────────────

  listEvents(afterId: number, limit: number, sites: string[] | null) {
    return this.read(() => this.reads.listEvents(afterId, limit, sites));
  }

  lastEventId() {
    return this.read(() => this.reads.lastEventId());
  }

  appendAudit(entry: S.NewAudit): Promise<void> {
    return this.read(() => {
      this.auditInsert ??= this.db.prepare('INSERT INTO audit (at, actor, action, target, site, data) VALUES (?, ?, ?, ?, ?, ?)');
      this.auditInsert.run(entry.at, entry.actor, entry.action, entry.target ?? null, entry.site ?? null, JSON.stringify(entry.data ?? {}));
    });
  }

  listAudit(query: S.AuditQuery) {
    return this.read(() => this.reads.listAudit(query));
  }

  // ─── Schedules ─────────────────────────────────────────────────────────────────────────

  createSchedule(schedule: S.NewSchedule, now: number) {
    return this.read(() => this.schedules.insert(schedule, now));
  }

  getSchedule(id: number) {
    return this.read(() => this.schedules.get(id));
  }

  listSchedules(sites: string[] | null) {
    return this.read(() => this.schedules.list(sites));
  }

  updateSchedule(id: number, patch: S.SchedulePatch, now: number) {
    return this.read(() => this.schedules.update(id, patch, now));
  }

  deleteSchedule(id: number) {
    return this.transact(0, () => this.schedules.delete(id));
  }

  dueSchedules(now: number, limit: number) {
    return this.read(() => this.schedules.due(now, limit));
  }

  advanceSchedule(id: number, from: number | null, nextRunAt: number | null, now: number) {
    return this.read(() => this.schedules.advance(id, from, nextRunAt, now));
  }

  fireSchedule(firing: S.ScheduleFiring, now: number): Promise<S.FireResult> {
    return this.transact(now, async (tx) => {
      this.catalog.ensureSites([firing.job.site], now);
      this.catalog.ensureQueues([firing.job.queue], now);
      return fireSchedule(tx, this.schedules, firing, now);
    });
  }

  pruneJobs(cutoffs: PruneCutoffs, limit: number, now: number): Promise<number> {
    return this.transact(now, (tx) => pruneJobs(tx, sqliteScheduleExecutor(this.db), cutoffs, limit, now));
  }

  pruneEvents(before: number, limit: number): Promise<number> {
    return this.read(() => pruneEvents(sqliteScheduleExecutor(this.db), before, limit));
  }

  // ─── Bulk operations and the dashboard ─────────────────────────────────────────────────

  private get operations(): OperationSql {
    return new OperationSql(sqliteScheduleExecutor(this.db), questionDialect('LIKE'));
  }

  createOperation(operation: S.NewOperation, now: number) {
    return this.transact(now, () => this.operations.insert(operation, now));
  }

  getOperation(id: number) {
    return this.read(() => this.operations.get(id));
  }

  listOperations(query: { actor?: string; limit: number }) {
    return this.read(() => this.operations.list(query.actor, query.limit));
  }

  runningOperations(limit: number) {
    return this.read(() => this.operations.running(limit));
  }

  applyOperationBatch(batch: S.OperationBatch, now: number) {
    return this.transact(now, (tx) => applyOperationBatch(tx, this.operations, batch, now));
  }

  endOperation(id: number, state: 'cancelled' | 'failed', error: string | null, now: number) {
    return this.read(() => this.operations.end(id, state, error, now));
  }

  countJobs(filter: Parameters<S.Store['countJobs']>[0]) {
    return this.read(() => this.operations.countJobs(filter));
  }

  dashboardAggregates(query: S.DashboardQuery) {
    return this.read(() => new DashboardSql(sqliteScheduleExecutor(this.db)).aggregates(query));
  }

  // ─── Users, sessions and tokens ────────────────────────────────────────────────────────

  countUsers() {
    return this.read(() => this.auth.countUsers());
  }

  createUser(user: S.NewUser) {
    return this.read(() => {
      if (this.auth.findUser(user.username)) throw new SwitchyardError('SWY_ERR_USER_EXISTS', `A user named "${user.username}" exists`);
      return this.auth.createUser(user);
    });
  }

  findUser(username: string) {
    return this.read(() => this.auth.findUser(username));
  }

  getUser(id: number) {
    return this.read(() => this.auth.getUser(id));
  }

  listUsers() {
    return this.read(() => this.auth.listUsers());
  }

  updateUser(id: number, patch: S.UserPatch, now: number) {
    return this.read(() => this.auth.updateUser(id, patch, now));
  }

  setUserPassword(id: number, passwordHash: string) {
    return this.read(() => this.auth.setUserPassword(id, passwordHash));
  }

  createSession(session: S.SessionRecord) {
    return this.read(() => this.auth.createSession(session));
  }

  findSession(idHash: string, now: number) {
    return this.read(() => this.auth.findSession(idHash, now));
  }

  deleteSession(idHash: string) {
    return this.read(() => this.auth.deleteSession(idHash));
  }

  deleteSessionsOf(userId: number) {
    return this.read(() => this.auth.deleteSessionsOf(userId));
  }

  createToken(token: S.NewToken) {
    return this.read(() => this.auth.createToken(token));
  }

  getToken(id: number) {
    return this.read(() => this.auth.getToken(id));
  }

  revokeToken(id: number, now: number) {
    return this.read(() => this.auth.revokeToken(id, now));
  }

  findToken(tokenHash: string) {
    return this.read(() => this.auth.findToken(tokenHash));
  }

  listTokens() {
    return this.read(() => this.auth.listTokens());
  }

  touchToken(id: number, now: number) {
    return this.read(() => this.auth.touchToken(id, now));
  }

  // ─── Notifications ─────────────────────────────────────────────────────────────────────

  createSubscription(s: S.NewSubscription) {
    return this.read(() => this.notify.createSubscription(s));
  }

  getSubscription(id: number) {
    return this.read(() => this.notify.getSubscription(id));
  }

  listSubscriptions(username: string | null) {
    return this.read(() => this.notify.listSubscriptions(username));
  }

  subscriptionsFor(jobIds: number[], envelopeIds: number[] = []) {
    return this.read(() => this.notify.subscriptionsFor(jobIds, envelopeIds));
  }

  deleteSubscription(id: number) {
    return this.read(() => this.notify.deleteSubscription(id));
  }

  hasSubscriptions() {
    return this.read(() => this.notify.hasSubscriptions());
  }

  notifyCursor() {
    return this.read(() => this.notify.notifyCursor());
  }

  enqueueDeliveries(deliveries: S.NewDelivery[], from: number, to: number, now: number) {
    return this.read(() => this.notify.enqueueDeliveries(deliveries, from, to, now));
  }

  dueDeliveries(now: number, limit: number) {
    return this.read(() => this.notify.dueDeliveries(now, limit));
  }

  settleDelivery(id: number, result: Parameters<S.NotifyStore['settleDelivery']>[1]) {
    return this.read(() => this.notify.settleDelivery(id, result));
  }

  listDeliveries(query: S.DeliveryQuery) {
    return this.read(() => this.notify.listDeliveries(query));
  }

  markDeliveriesRead(username: string, ids: number[] | null, now: number) {
    return this.read(() => this.notify.markDeliveriesRead(username, ids, now));
  }
}

/**
 * Sets the process umask to owner-only while the database files are created, so that they
 * are never readable by others, not even for a moment; returns how to restore it. The store
 * opens synchronously, so no other code runs under this umask. Worker threads may not set
 * the umask: there the chmod after opening has to do.
 */
function ownerOnlyUmask(): () => void {
  if (!isMainThread) return () => {};
  const previous = process.umask(0o077);
  return () => process.umask(previous);
}
