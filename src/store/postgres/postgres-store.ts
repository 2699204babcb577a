import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { type EnvelopeRecord, type EventRecord, type NamedEvent, type PruneCutoffs, SwitchyardError } from '../../model/index.js';
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
import { applyOperationBatch, OperationSql, questionDialect } from '../operation-sql.js';
import { createRowMapper, type RowMapper } from '../rows.js';
import type * as S from '../store.js';
import { PostgresAuth } from './postgres-auth.js';
import { PostgresCatalog } from './postgres-catalog.js';
import { type LastClaim, PLAN_ONCE, PostgresLedgerTx } from './postgres-ledger-tx.js';
import { WakeListener, wakePayload } from './postgres-listener.js';
import { migrateSchema } from './postgres-migrations.js';
import { PostgresNotify } from './postgres-notify.js';
import {
  beginningWith,
  channelFor,
  connectionConfig,
  createPool,
  describeLocation,
  isConnectionError,
  isRetryable,
  nulSafe,
  pgJson,
  preparedClient,
  type Queryable,
  statementName,
  toStoreError,
  validSchema,
} from './postgres-pool.js';
import { PostgresReads } from './postgres-reads.js';
import { postgresScheduleExecutor } from './postgres-schedules.js';
import { NotInOneStatement, recordSubmission, SUBMIT_STATEMENT, submitsInOneStatement } from './postgres-submit.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema to use (created if missing); tests use one per test. Default `public`. */
  schema?: string;
  /** Most connections this store opens at once, besides its one listening connection. Default 10. */
  poolSize?: number;
  /** Jitter source for retry backoff; tests pass a fixed one. */
  random?: () => number;
}

/**
 * How a verb's commit waits. `flush` (submissions, operator controls): COMMIT returns once the
 * WAL is on disk. `worker` (leases, heartbeats, activity, completions, lease expiry): COMMIT
 * does not wait for the flush (synchronous_commit off for that transaction). A crash of the
 * database server can then roll back the last moments of task results; the tasks' leases
 * come back with them, expire, and the tasks run again — no job and no submission is lost,
 * and a crash of a hub or a worker loses nothing either way. It spares each worker round
 * trip an fsync, which is most of its latency under light load.
 *
 * Worker transactions also plan the ledger's statements once (PLAN_ONCE).
 */
type Durability = 'flush' | 'worker';
const WORKER_SETTINGS = `SET LOCAL synchronous_commit = off; ${PLAN_ONCE}`;
const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';

/** Tries of a verb that lost to a deadlock, or to another hub inserting the same idempotency key. */
const MAX_ATTEMPTS = 3;

/** Wake-ups a transaction collected, sent once it commits. */
interface WakeUps {
  sites: Set<string>;
  events: boolean;
  /** The named events of the events committed, when every one was appended through the ledger (see WakeSignal.named). */
  named?: Set<NamedEvent> | null;
  /** The events committed, with their ids, when all are known (see WakeSignal.committed). */
  committed?: EventRecord[] | null;
  /** The NOTIFY went out already, with the transaction's last writes (see PostgresLedgerTx.flushAndCommit). */
  notified?: boolean;
  /** A last write sent with the COMMIT, in its round trip: the dashboard roll-up (see PostgresLedgerTx.rollupSql). */
  beforeCommit?: string | null;
  /** Sends the COMMIT text right behind the transaction's held writes (see PostgresLedgerTx.flushAndCommit); else it goes alone. */
  commitWith?: (commit: string) => Promise<void>;
}

/**
 * The store for installations with several hub processes on one database. Every verb is one
 * READ COMMITTED transaction on one pooled connection; rows are locked in the order
 * ledger-tx.ts fixes, and a verb that loses a deadlock or an idempotency-key race to another
 * hub is run again from the start (its ledger code is written to be re-runnable: it only
 * reads and writes through its transaction).
 *
 * Wake-ups reach this process's listeners right after COMMIT, and other processes through
 * NOTIFY on a channel named after the schema (postgres-listener.ts).
 */
export class PostgresStore implements S.Store {
  readonly kind = 'postgres' as const;
  /** The schema holding this store's tables; another store given the same schema shares them, as a second hub on the database does. */
  readonly schema: string;
  private readonly location: string;
  private readonly channel: string;
  private readonly origin = randomUUID();
  private readonly pool: pg.Pool;
  private readonly db: Queryable;
  private readonly wake = new EventEmitter();
  /** Queues the last lease found at their concurrency limit (LedgerTx.fullQueues). */
  private readonly fullQueues = new Set<string>();
  /** What the last lease found of the queues: the next lease's claim goes by it while it reads them anew. */
  private readonly lastClaim: LastClaim = { blocked: [], limits: null, claimed: 0 };
  private readonly listener: WakeListener;
  private readonly map: RowMapper = createRowMapper({ jsonAsText: false });
  private readonly random: () => number;
  private readonly reads: PostgresReads;
  private readonly auth: PostgresAuth;
  private readonly catalog: PostgresCatalog;
  private readonly notify: PostgresNotify;
  private closing: Promise<void> | null = null;
  private readonly known = { sites: new Set<string>(), queues: new Set<string>() };

  constructor(options: PostgresStoreOptions) {
    this.schema = validSchema(options.schema ?? 'public');
    this.location = describeLocation(options.connectionString);
    this.channel = channelFor(this.schema);
    const settings = { connectionString: options.connectionString, schema: this.schema, poolSize: options.poolSize ?? 10 };
    this.pool = createPool(settings);
    this.db = nulSafe({
      // A named statement is prepared on each pooled connection the first time it runs there.
      query: (text, values, name) =>
        this.pool.query(name === undefined ? text : { name, text }, values).catch((error: unknown) => Promise.reject(toStoreError(error, this.location))),
    });
    this.random = options.random ?? Math.random;
    this.wake.setMaxListeners(0);
    this.listener = new WakeListener(connectionConfig(settings), this.channel, this.origin, (signal) => this.wake.emit('wake', signal));
    this.reads = new PostgresReads(this.db, this.map);
    this.auth = new PostgresAuth(this.db);
    this.catalog = new PostgresCatalog(this.db);
    this.notify = new PostgresNotify(this.db, (body) => this.transaction((client) => body(nulSafe(client))));
  }

  /** Creates the schema if missing and applies pending migrations (see migrateSchema). */
  async migrate(): Promise<void> {
    const client = await this.checkout();
    try {
      await migrateSchema(client, this.schema);
    } catch (error) {
      throw toStoreError(error, this.location);
    } finally {
      // Closing the connection also drops the migration lock, whatever happened.
      client.release(true);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.listener.close();
      await this.pool.end();
    })();
    return this.closing;
  }

  onWake(listener: (signal: S.WakeSignal) => void): () => void {
    this.wake.on('wake', listener);
    this.listener.start();
    return () => this.wake.off('wake', listener);
  }

  /** Resolves once wake-ups from other processes are being received; for tests and start-up checks. */
  whenListening(): Promise<void> {
    return this.listener.listening();
  }

  private async checkout(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw toStoreError(error, this.location);
    }
  }

  /**
   * Runs `body` in one transaction, again from the start if it lost a deadlock or a race on
   * a unique key (see isRetryable). Wake-ups go out with the commit: NOTIFY is queued just
   * before COMMIT (PostgreSQL delivers it only if the commit happens), and local listeners
   * are called after it.
   */
  private async transaction<T>(
    body: (client: pg.PoolClient, wake: WakeUps, begin: string | null) => Promise<T>,
    durability: Durability = 'flush',
    lazyBegin = false,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const client = await this.checkout();
      const wake: WakeUps = { sites: new Set(), events: false };
      let healthy = true;
      let result: T;
      try {
        // Statements without parameters travel together (simple query protocol): one round trip, not two.
        const begin = durability === 'worker' ? `${BEGIN}; ${WORKER_SETTINGS}` : BEGIN;
        // With lazyBegin the body sends it, with its first statement (see beginningWith).
        if (!lazyBegin) await client.query(begin);
        result = await body(client, wake, lazyBegin ? begin : null);
        const last = wake.beforeCommit ? `${wake.beforeCommit}; ` : '';
        let commit = `${last}COMMIT`;
        if (!wake.notified && (wake.sites.size > 0 || wake.events)) {
          const payload = wakePayload(this.origin, [...wake.sites], wake.events);
          commit = `${last}SELECT pg_notify(${client.escapeLiteral(this.channel)}, ${client.escapeLiteral(payload)}); COMMIT`;
        }
        if (wake.commitWith) await wake.commitWith(commit);
        else await client.query(commit);
      } catch (error) {
        healthy = await client.query('ROLLBACK').then(
          () => true,
          () => false,
        );
        if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
        throw toStoreError(error, this.location);
      } finally {
        client.release(healthy ? undefined : true);
      }
      this.emitLocal(wake);
      return result;
    }
  }

  /**
   * One ledger verb, one transaction. `deferWrites` (worker verbs and bulk operation batches,
   * whose bodies use only `tx`): the batch's task, job and event writes travel with the next
   * statement and the NOTIFY (see PostgresLedgerTx), a few round trips fewer per transaction.
   */
  private transact<T>(
    now: number,
    body: (tx: PostgresLedgerTx, client: pg.PoolClient) => Promise<T>,
    durability: Durability = 'flush',
    deferWrites = false,
  ): Promise<T> {
    // A body with deferred writes sends everything through `tx`: its first statement carries the BEGIN.
    return this.transaction(
      async (client, wake, begin) => {
        const lazy = begin === null ? null : beginningWith(preparedClient(client), begin);
        const tx = new PostgresLedgerTx(lazy ?? preparedClient(client), this.map, now, deferWrites, this.fullQueues, this.lastClaim, durability === 'worker');
        const result = await body(tx, client);
        await lazy?.begin();
        for (const site of tx.wakeSites) wake.sites.add(site);
        wake.events ||= tx.wakeEvents;
        wake.named = tx.namedEvents;
        wake.beforeCommit = tx.rollupSql((text) => client.escapeLiteral(text));
        wake.committed = tx.committedEvents();
        if (tx.hasPending) {
          // The held writes (with the NOTIFY) and the COMMIT in one round trip; the ids their
          // events drew are known once they answer.
          const notify = wake.sites.size > 0 || wake.events;
          wake.notified = notify;
          const payload = notify ? { channel: this.channel, payload: wakePayload(this.origin, [...wake.sites], wake.events) } : undefined;
          wake.commitWith = async (commit) => {
            await tx.flushAndCommit(payload, commit);
            wake.committed = tx.committedEvents();
          };
        }
        return result;
      },
      durability,
      deferWrites,
    );
  }

  private emitLocal(wake: WakeUps): void {
    for (const site of wake.sites) this.wake.emit('wake', { kind: 'tasks', site } satisfies S.WakeSignal);
    if (!wake.events) return;
    const signal: S.WakeSignal = { kind: 'events' };
    if (wake.named) signal.named = wake.named;
    if (wake.committed) signal.committed = wake.committed;
    this.wake.emit('wake', signal);
  }

  // ─── Jobs ──────────────────────────────────────────────────────────────────────────────

  async submitJobs(jobs: S.NewJob[], now: number): Promise<S.SubmitOutcome[]> {
    if (jobs.length === 0) return [];
    // Sites and queues are never deleted: once one is known to exist, it need not be ensured again.
    const sites = [...new Set(jobs.map((job) => job.site))].filter((site) => !this.known.sites.has(site)).sort();
    const queues = [...new Set(jobs.map((job) => job.queue))].filter((queue) => !this.known.queues.has(queue)).sort();
    if (sites.length === 0 && queues.length === 0 && submitsInOneStatement(jobs)) {
      const written = await this.submitInOneStatement(jobs, now);
      if (written) return written;
    }
    const outcomes = await this.transact(now, async (tx, client) => {
      const catalog = new PostgresCatalog(client);
      if (sites.length > 0) await catalog.ensureSites(sites, now);
      if (queues.length > 0) await catalog.ensureQueues(queues, now);
      const ids = await submitJobs(tx, jobs, now);
      // New jobs come back as the ledger wrote them; only earlier jobs (idempotency) are read.
      const earlierIds = [...new Set(ids.filter((a) => !a.record).map(({ id }) => id))];
      const earlier = new Map((await new PostgresReads(preparedClient(client), this.map).getJobs(earlierIds)).map((job) => [job.id, job]));
      return submitOutcomes(jobs, ids, earlier);
    });
    for (const site of sites) this.known.sites.add(site);
    for (const queue of queues) this.known.queues.add(queue);
    return outcomes;
  }

  /**
   * A plain submission in one statement (see postgres-submit.ts): one round trip instead of a
   * transaction's six. Answers null when the ledger needs a transaction after all.
   */
  private async submitInOneStatement(jobs: S.NewJob[], now: number): Promise<S.SubmitOutcome[] | null> {
    let recorded: Awaited<ReturnType<typeof recordSubmission>>;
    try {
      recorded = await recordSubmission(jobs, now);
    } catch (error) {
      if (error instanceof NotInOneStatement) return null;
      throw error;
    }
    const params = [...recorded.params, this.channel, wakePayload(this.origin, recorded.sites, recorded.events)];
    let ids: number[];
    let eventIds: number[];
    for (let attempt = 1; ; attempt += 1) {
      const client = await this.checkout();
      let broken = false;
      try {
        // Autocommit, at the pool's durability (the commit is flushed): one statement, one transaction.
        const { rows } = await preparedClient(client).query(SUBMIT_STATEMENT, params, statementName(SUBMIT_STATEMENT));
        ids = ((rows[0]?.ids as (string | number)[] | null) ?? []).map(Number);
        eventIds = ((rows[0]?.event_ids as (string | number)[] | null) ?? []).map(Number);
        break;
      } catch (error) {
        broken = isConnectionError(error);
        if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
        throw toStoreError(error, this.location);
      } finally {
        client.release(broken ? true : undefined);
      }
    }
    this.emitLocal({ sites: new Set(recorded.sites), events: recorded.events, named: recorded.named, committed: recorded.committed(ids, eventIds) });
    return recorded.resolve(ids).map(({ record, created }) => ({ job: record as S.SubmitOutcome['job'], created }));
  }

  getJob(id: number) {
    return this.reads.getJob(id);
  }

  jobTotal(query: S.JobQuery, cap: number) {
    return this.reads.jobTotal(query, cap);
  }

  listJobs(query: S.JobQuery) {
    return this.reads.listJobs(query);
  }

  countOpenJobs() {
    return this.reads.countOpenJobs();
  }

  controlJob(id: number, action: S.JobAction, now: number, options?: S.ControlOptions) {
    return this.transact(now, async (tx, client) => {
      await controlJob(tx, id, action, now, options);
      return (await new PostgresReads(preparedClient(client), this.map).getJob(id)) as NonNullable<Awaited<ReturnType<PostgresReads['getJob']>>>;
    });
  }

  retryJob(id: number, now: number, options: { force?: boolean; items?: 'failed' } = {}) {
    return this.transact(now, async (tx, client) => {
      await retryJob(tx, id, now, options.force === true, options.items ?? null);
      return (await new PostgresReads(preparedClient(client), this.map).getJob(id)) as NonNullable<Awaited<ReturnType<PostgresReads['getJob']>>>;
    });
  }

  deleteJob(id: number, now: number): Promise<void> {
    return this.transact(now, (tx) => deleteJob(tx, id, now));
  }

  listTasks(jobId: number, query: S.TaskQuery) {
    return this.reads.listTasks(jobId, query);
  }

  taskTypes(jobId: number) {
    return this.reads.taskTypes(jobId);
  }

  taskPlacement(jobId: number) {
    return this.reads.taskPlacement(jobId);
  }

  getTask(id: number) {
    return this.reads.getTask(id);
  }

  taskOutput(taskId: number, afterSeq: number, limit: number) {
    return this.reads.taskOutput(taskId, afterSeq, limit);
  }

  searchTaskOutput(taskId: number, needle: string, afterSeq: number, throughSeq: number, limit: number) {
    return this.reads.searchTaskOutput(taskId, needle, afterSeq, throughSeq, limit);
  }

  listItems(jobId: number, query: S.ItemQuery) {
    return this.reads.listItems(jobId, query);
  }

  concurrencyUse(workflows: string[]) {
    return this.reads.concurrencyUse(workflows);
  }

  jobLocks(jobIds: number[]) {
    return this.reads.jobLocks(jobIds);
  }

  itemHistory(jobId: number, path: string) {
    return this.reads.itemHistory(jobId, path);
  }

  // ─── Change sets and comparisons ───────────────────────────────────────────────────────

  listChanges(jobId: number, query: S.ChangeQuery) {
    return changes.listChanges(this.sql, questionDialect('ILIKE'), jobId, query);
  }

  changeCounts(jobId: number, path?: string) {
    return changes.changeCounts(this.sql, questionDialect('ILIKE'), jobId, path);
  }

  getChange(jobId: number, changeId: number) {
    return changes.getChange(this.sql, jobId, changeId);
  }

  previousRun(job: { id: number; workflow: string; site: string; scheduleId: number | null }) {
    return changes.previousRun(this.sql, job);
  }

  latestItems(jobId: number, limit: number) {
    return changes.latestItems(this.sql, jobId, limit);
  }

  itemStats(jobId: number) {
    return changes.itemStats(this.sql, jobId);
  }

  // ─── Envelopes ─────────────────────────────────────────────────────────────────────────

  private get sql(): env.SqlExecutor {
    return postgresScheduleExecutor(this.db);
  }

  submitEnvelope(envelope: S.NewEnvelope, members: S.EnvelopeMemberSpec[], now: number) {
    const sites = [...new Set([envelope.site, ...members.map((m) => m.job.site)])].sort();
    const queues = [...new Set([envelope.queue, ...members.map((m) => m.job.queue)])].sort();
    return this.transact(now, async (tx, client) => {
      const catalog = new PostgresCatalog(client);
      await catalog.ensureSites(sites, now);
      await catalog.ensureQueues(queues, now);
      const { id, created } = await submitEnvelope(tx, envelope, members, now);
      return { envelope: (await env.readEnvelope(tx.sql, id)) as EnvelopeRecord, created };
    });
  }

  getEnvelope(id: number) {
    return env.readEnvelope(this.sql, id);
  }

  listEnvelopes(query: S.EnvelopeQuery) {
    return env.listEnvelopes(this.sql, query);
  }

  envelopeMembers(id: number) {
    return env.envelopeMembers(this.sql, this.map, id);
  }

  envelopeEvents(id: number, limit: number) {
    return env.envelopeEvents(this.sql, this.map, id, limit);
  }

  cancelEnvelope(id: number, now: number) {
    return this.transact(now, async (tx) => {
      await cancelEnvelope(tx, id, now);
      return (await env.readEnvelope(tx.sql, id)) as EnvelopeRecord;
    });
  }

  retryEnvelope(id: number, now: number) {
    return this.transact(now, async (tx) => {
      await retryEnvelope(tx, id, now);
      return (await env.readEnvelope(tx.sql, id)) as EnvelopeRecord;
    });
  }

  rollbackSources(jobIds: number[], itemLimit: number) {
    return env.rollbackSources(this.sql, jobIds, itemLimit);
  }

  deleteEnvelope(id: number, now: number) {
    return this.transact(now, (tx) => deleteEnvelope(tx, id, now));
  }

  rollbackEnvelope(id: number, job: S.NewJob | null, now: number) {
    return this.transact(now, async (tx) => {
      await rollbackEnvelope(tx, id, job, now);
      return (await env.readEnvelope(tx.sql, id)) as EnvelopeRecord;
    });
  }

  rollbackJob(jobId: number, job: S.NewJob, now: number) {
    return this.transact(now, async (tx, client) => {
      const id = await rollbackJob(tx, jobId, job, now);
      return (await new PostgresReads(preparedClient(client), this.map).getJobs([id]))[0];
    });
  }

  // ─── Workers ───────────────────────────────────────────────────────────────────────────

  registerWorker(info: S.WorkerInfo, now: number): Promise<boolean> {
    return this.transaction(async (client) => {
      const catalog = new PostgresCatalog(client);
      if (!(await catalog.registerWorker(info, now))) return false;
      await catalog.ensureSites([info.site], now);
      return true;
    });
  }

  listWorkers() {
    return this.catalog.listWorkers();
  }

  leaseTasks(request: S.LeaseRequest): Promise<S.LeasedTask[]> {
    return this.transact(request.now, (tx) => leaseTasks(tx, request, randomUUID), 'worker', true);
  }

  heartbeat(request: S.HeartbeatRequest): Promise<S.HeartbeatResult> {
    return this.transact(
      request.now,
      async (tx, client) => {
        const result = await heartbeat(tx, request);
        // After the task locks, to keep their order first.
        await new PostgresCatalog(client).touchWorker(request.workerId, request.now);
        return result;
      },
      'worker',
    );
  }

  recordActivity(batch: S.TaskActivity[], now: number, sites: string[] | null = null): Promise<S.ActivityResult[]> {
    return this.transact(now, (tx) => recordActivity(tx, batch, now, sites), 'worker', true);
  }

  completeTasks(batch: S.TaskCompletion[], now: number, sites: string[] | null = null): Promise<S.CompletionResult[]> {
    return this.transact(now, (tx) => completeTasks(tx, batch, now, this.random, sites), 'worker', true);
  }

  expireLeases(now: number, limit: number): Promise<number> {
    return this.transact(now, (tx) => expireLeases(tx, now, limit, this.random), 'worker');
  }

  timeoutJobs(now: number, limit: number): Promise<number> {
    return this.transact(now, (tx) => timeoutJobs(tx, now, limit));
  }

  releaseLeasesOf(workerId: string, now: number): Promise<number> {
    return this.transact(now, (tx) => releaseLeasesOf(tx, workerId, now, this.random), 'worker');
  }

  tryHoldDuty(duty: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.catalog.tryHoldDuty(duty, holder, ttlMs, now);
  }

  // ─── Sites and queues ──────────────────────────────────────────────────────────────────

  ensureSites(names: string[], now: number) {
    return this.catalog.ensureSites([...names].sort(), now);
  }

  listSites() {
    return this.catalog.listSites();
  }

  ensureQueues(names: string[], now: number) {
    return this.catalog.ensureQueues([...names].sort(), now);
  }

  listQueues(sites: string[] | null) {
    return this.catalog.listQueues(sites);
  }

  getQueue(name: string, sites: string[] | null) {
    return this.catalog.getQueue(name, sites);
  }

  async updateQueue(name: string, patch: S.QueuePatch, now: number): Promise<S.QueueRecord> {
    const found = await this.transaction(async (client, wake) => {
      const patched = await new PostgresCatalog(client).patchQueue(name, patch, now);
      // Resuming a queue or raising its limit may let jobs start, at any site.
      if (patched) wake.sites.add('*');
      return patched;
    });
    if (!found) throw new SwitchyardError('SWY_ERR_QUEUE_NOT_FOUND', `No queue named "${name}"`);
    return (await this.catalog.getQueue(name, null)) as S.QueueRecord;
  }

  // ─── Events and audit ──────────────────────────────────────────────────────────────────

  listEvents(afterId: number, limit: number, sites: string[] | null) {
    return this.reads.listEvents(afterId, limit, sites);
  }

  lastEventId() {
    return this.reads.lastEventId();
  }

  async appendAudit(entry: S.NewAudit): Promise<void> {
    await this.db.query('INSERT INTO audit (at, actor, action, target, site, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)', [
      entry.at,
      entry.actor,
      entry.action,
      entry.target ?? null,
      entry.site ?? null,
      pgJson(entry.data ?? {}),
    ]);
  }

  listAudit(query: S.AuditQuery) {
    return this.reads.listAudit(query);
  }

  // ─── Schedules ─────────────────────────────────────────────────────────────────────────

  private get schedules(): ScheduleSql {
    return new ScheduleSql(postgresScheduleExecutor(this.db));
  }

  createSchedule(schedule: S.NewSchedule, now: number) {
    return this.schedules.insert(schedule, now);
  }

  getSchedule(id: number) {
    return this.schedules.get(id);
  }

  listSchedules(sites: string[] | null) {
    return this.schedules.list(sites);
  }

  updateSchedule(id: number, patch: S.SchedulePatch, now: number) {
    return this.schedules.update(id, patch, now);
  }

  deleteSchedule(id: number) {
    return this.transaction((client) => new ScheduleSql(postgresScheduleExecutor(nulSafe(client))).delete(id));
  }

  dueSchedules(now: number, limit: number) {
    return this.schedules.due(now, limit);
  }

  advanceSchedule(id: number, from: number | null, nextRunAt: number | null, now: number) {
    return this.schedules.advance(id, from, nextRunAt, now);
  }

  fireSchedule(firing: S.ScheduleFiring, now: number): Promise<S.FireResult> {
    return this.transact(now, async (tx, client) => {
      const catalog = new PostgresCatalog(client);
      await catalog.ensureSites([firing.job.site], now);
      await catalog.ensureQueues([firing.job.queue], now);
      return fireSchedule(tx, new ScheduleSql(postgresScheduleExecutor(nulSafe(client))), firing, now);
    });
  }

  pruneJobs(cutoffs: PruneCutoffs, limit: number, now: number): Promise<number> {
    return this.transact(now, (tx, client) => pruneJobs(tx, postgresScheduleExecutor(nulSafe(client)), cutoffs, limit, now));
  }

  pruneEvents(before: number, limit: number): Promise<number> {
    return pruneEvents(postgresScheduleExecutor(this.db), before, limit);
  }

  // ─── Bulk operations and the dashboard ─────────────────────────────────────────────────

  private operationsOn(db: Queryable): OperationSql {
    return new OperationSql(postgresScheduleExecutor(db), questionDialect('ILIKE'));
  }

  createOperation(operation: S.NewOperation, now: number) {
    // REPEATABLE READ is not needed: the newest id and the count are read in one transaction, and jobs newer than max_job_id are never touched.
    return this.transaction((client) => this.operationsOn(nulSafe(client)).insert(operation, now));
  }

  getOperation(id: number) {
    return this.operationsOn(this.db).get(id);
  }

  listOperations(query: { actor?: string; limit: number }) {
    return this.operationsOn(this.db).list(query.actor, query.limit);
  }

  runningOperations(limit: number) {
    return this.operationsOn(this.db).running(limit);
  }

  applyOperationBatch(batch: S.OperationBatch, now: number) {
    // Its body reads and writes through `tx` alone (the operation row too, through tx.sql), so its
    // task, job and event writes may be held back and sent with the next statement, as the
    // worker verbs' are: a batch of any size is a fixed dozen round trips.
    return this.transact(now, (tx) => applyOperationBatch(tx, new OperationSql(tx.sql, questionDialect('ILIKE')), batch, now), 'flush', true);
  }

  endOperation(id: number, state: 'cancelled' | 'failed', error: string | null, now: number) {
    return this.operationsOn(this.db).end(id, state, error, now);
  }

  countJobs(filter: Parameters<S.Store['countJobs']>[0]) {
    return this.operationsOn(this.db).countJobs(filter);
  }

  dashboardAggregates(query: S.DashboardQuery) {
    return new DashboardSql(postgresScheduleExecutor(this.db)).aggregates(query);
  }

  // ─── Users, sessions and tokens ────────────────────────────────────────────────────────

  countUsers() {
    return this.auth.countUsers();
  }

  createUser(user: S.NewUser) {
    return this.auth.createUser(user);
  }

  findUser(username: string) {
    return this.auth.findUser(username);
  }

  getUser(id: number) {
    return this.auth.getUser(id);
  }

  listUsers() {
    return this.auth.listUsers();
  }

  updateUser(id: number, patch: S.UserPatch, now: number) {
    return this.auth.updateUser(id, patch, now);
  }

  setUserPassword(id: number, passwordHash: string) {
    return this.auth.setUserPassword(id, passwordHash);
  }

  createSession(session: S.SessionRecord) {
    return this.auth.createSession(session);
  }

  findSession(idHash: string, now: number) {
    return this.auth.findSession(idHash, now);
  }

  deleteSession(idHash: string) {
    return this.auth.deleteSession(idHash);
  }

  deleteSessionsOf(userId: number) {
    return this.auth.deleteSessionsOf(userId);
  }

  createToken(token: S.NewToken) {
    return this.auth.createToken(token);
  }

  getToken(id: number) {
    return this.auth.getToken(id);
  }

  revokeToken(id: number, now: number) {
    return this.auth.revokeToken(id, now);
  }

  findToken(tokenHash: string) {
    return this.auth.findToken(tokenHash);
  }

  listTokens() {
    return this.auth.listTokens();
  }

  touchToken(id: number, now: number) {
    return this.auth.touchToken(id, now);
  }

  // ─── Notifications ─────────────────────────────────────────────────────────────────────

  createSubscription(s: S.NewSubscription) {
    return this.notify.createSubscription(s);
  }

  getSubscription(id: number) {
    return this.notify.getSubscription(id);
  }

  listSubscriptions(username: string | null) {
    return this.notify.listSubscriptions(username);
  }

  subscriptionsFor(jobIds: number[], envelopeIds: number[] = []) {
    return this.notify.subscriptionsFor(jobIds, envelopeIds);
  }

  deleteSubscription(id: number) {
    return this.notify.deleteSubscription(id);
  }

  hasSubscriptions() {
    return this.notify.hasSubscriptions();
  }

  notifyCursor() {
    return this.notify.notifyCursor();
  }

  enqueueDeliveries(deliveries: S.NewDelivery[], from: number, to: number, now: number) {
    return this.notify.enqueueDeliveries(deliveries, from, to, now);
  }

  dueDeliveries(now: number, limit: number) {
    return this.notify.dueDeliveries(now, limit);
  }

  settleDelivery(id: number, result: Parameters<S.NotifyStore['settleDelivery']>[1]) {
    return this.notify.settleDelivery(id, result);
  }

  listDeliveries(query: S.DeliveryQuery) {
    return this.notify.listDeliveries(query);
  }

  markDeliveriesRead(username: string, ids: number[] | null, now: number) {
    return this.notify.markDeliveriesRead(username, ids, now);
  }
}
