import type { Database, Statement } from 'better-sqlite3';
import {
  type ConcurrencyLimits,
  type ConcurrencySlot,
  type EventRecord,
  type Json,
  lockKeyAncestors,
  lockKeyDescendantRange,
  type ResourceLock,
  SLOT_HOLDING_JOB_STATES,
  sparseTaskCounts,
  type TaskState,
  TIMEABLE_JOB_STATES,
} from '../../model/index.js';
import { QUEUE_COUNTS_TABLE, ROLLUP_TABLE, RollupBook, rollupJobOf } from '../dashboard-rollup.js';
import { itemSummaries, SUMMARY_ITEMS } from '../item-grams.js';
import type { SqlExecutor } from '../ledger/envelope-rows.js';
import { currentItemsFrom } from '../ledger/item-records.js';
import type {
  ClaimedTask,
  ClaimRequest,
  ConcurrencyCandidate,
  ConcurrencyStanding,
  CurrentItem,
  DependencyEdge,
  JobAudit,
  JobRow,
  KeyedTask,
  LedgerTx,
  NewEvent,
  NewJobRow,
  NewTaskRow,
  QueueState,
  TaskRow,
} from '../ledger/ledger-tx.js';
import { writeJobAudit } from '../ledger/submit.js';
import { OTHER_SITES_SQL } from '../list-queries.js';
import { type DbRow, groupLocks, JOB_ROW_COLUMNS, jobSitesOf, type RowMapper, TASK_ROW_COLUMNS } from '../rows.js';
import { sqlList } from '../sql-builder.js';
import type { NewItem } from '../store.js';

/** Columns of the task row the ledger changes and writes back (not the possibly large input). */
const TASK_ROW = TASK_ROW_COLUMNS.join(', ');
const TASK_ROW_T = TASK_ROW_COLUMNS.map((column) => `t.${column}`).join(', ');
const JOB_ROW = JOB_ROW_COLUMNS.join(', ');
const SLOT_STATES = sqlList(SLOT_HOLDING_JOB_STATES);
const ACTIVE_JOBS = `(SELECT count(*) FROM jobs j WHERE j.queue = q.name AND j.state IN ${SLOT_STATES} AND j.started_at IS NOT NULL)`;

/**
 * Items and events are the two tables written most: they go in CHUNK rows per statement, which
 * saves a call into the driver per row (a third of the cost of an insert that small).
 */
const CHUNK = 64;
const rowsOf = (columns: number, rows: number) => Array.from({ length: rows }, () => `(${Array(columns).fill('?').join(', ')})`).join(', ');

/**
 * Inserts rows CHUNK at a time, the rest one by one; answers each row's rowid. `bind` writes
 * one row's values into `into` from `offset`; the parameter array is reused, so a large batch
 * allocates nothing per row. Rows of one statement get consecutive rowids (SQLite gives a new
 * row the largest rowid plus one, and one writer inserts at a time), so the last rowid of a
 * statement says them all.
 */
function insertChunked<R>(
  single: Statement,
  chunked: Statement,
  columns: number,
  rows: readonly R[],
  bind: (row: R, into: unknown[], offset: number, index: number) => void,
): number[] {
  const ids: number[] = new Array(rows.length);
  const params: unknown[] = new Array(columns * CHUNK);
  let at = 0;
  for (; at + CHUNK <= rows.length; at += CHUNK) {
    for (let i = 0; i < CHUNK; i++) bind(rows[at + i], params, i * columns, at + i);
    const last = Number(chunked.run(params).lastInsertRowid);
    for (let i = 0; i < CHUNK; i++) ids[at + i] = last - CHUNK + 1 + i;
  }
  const one: unknown[] = new Array(columns);
  for (; at < rows.length; at++) {
    bind(rows[at], one, 0, at);
    ids[at] = Number(single.run(one).lastInsertRowid);
  }
  return ids;
}

/** A new job row's columns, in the order bindJobInsert writes them. */
const JOB_INSERT_COLUMNS = `workflow, site, queue, creator, state, intent, outcome, reason, priority, fields, search_text,
  idempotency_key, parent_job_id, task_counts, item_counts, progress_done, progress_total, changed, timeout_ms, deadline_at,
  run_at, created_at, started_at, ended_at, updated_at`;
const JOB_INSERT_WIDTH = JOB_INSERT_COLUMNS.split(',').length;

function bindJobInsert(j: NewJobRow, p: unknown[], o: number): void {
  p[o] = j.workflow;
  p[o + 1] = j.site;
  p[o + 2] = j.queue;
  p[o + 3] = j.creator;
  p[o + 4] = j.state;
  p[o + 5] = j.intent;
  p[o + 6] = j.outcome;
  p[o + 7] = j.reason;
  p[o + 8] = j.priority;
  p[o + 9] = JSON.stringify(j.fields);
  p[o + 10] = j.searchText;
  p[o + 11] = j.idempotencyKey;
  p[o + 12] = j.parentJobId;
  p[o + 13] = JSON.stringify(sparseTaskCounts(j.taskCounts));
  p[o + 14] = JSON.stringify(j.itemCounts);
  p[o + 15] = j.progressDone;
  p[o + 16] = j.progressTotal;
  p[o + 17] = j.changed ? 1 : 0;
  p[o + 18] = j.timeoutMs;
  p[o + 19] = j.deadlineAt;
  p[o + 20] = j.runAt;
  p[o + 21] = j.createdAt;
  p[o + 22] = j.startedAt;
  p[o + 23] = j.endedAt;
  p[o + 24] = j.updatedAt;
}

/** A new task row's columns, in the order bindTaskInsert writes them. */
const TASK_INSERT_COLUMNS = `job_id, site, workflow, type, key, priority, input, state, attempts, max_attempts, backoff_ms,
  max_backoff_ms, available_at, progress_done, progress_total, reason, pending_deps, dependents, created_at, ended_at,
  updated_at, held`;
const TASK_INSERT_WIDTH = TASK_INSERT_COLUMNS.split(',').length;

function bindTaskInsert(t: NewTaskRow, p: unknown[], o: number): void {
  p[o] = t.jobId;
  p[o + 1] = t.site;
  p[o + 2] = t.workflow;
  p[o + 3] = t.type;
  p[o + 4] = t.key;
  p[o + 5] = t.priority;
  p[o + 6] = jsonText(t.input);
  p[o + 7] = t.state;
  p[o + 8] = t.attempts;
  p[o + 9] = t.maxAttempts;
  p[o + 10] = t.backoffMs;
  p[o + 11] = t.maxBackoffMs;
  p[o + 12] = t.availableAt;
  p[o + 13] = t.progressDone;
  p[o + 14] = t.progressTotal;
  p[o + 15] = t.reason;
  p[o + 16] = t.pendingDeps;
  p[o + 17] = t.dependents;
  p[o + 18] = t.createdAt;
  p[o + 19] = t.endedAt;
  p[o + 20] = t.updatedAt;
  p[o + 21] = t.held ? 1 : 0;
}

/**
 * Prepared statements for the ledger, made once per database. `json_each(?)` takes a JSON
 * array so that one prepared statement serves any number of ids.
 */
export function prepareLedgerStatements(db: Database): LedgerStatements {
  const p = (sql: string) => db.prepare(sql);
  // Hot reads of the wide task and job rows come back as arrays (see TASK_ROW_COLUMNS).
  const raw = (sql: string) => db.prepare(sql).raw(true);
  return {
    lockTasks: raw(`SELECT ${TASK_ROW} FROM tasks WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`),
    lockJobTasksIn: raw(`SELECT ${TASK_ROW} FROM tasks WHERE job_id = ? AND state IN (SELECT value FROM json_each(?)) ORDER BY id`),
    lockJobTasksAll: raw(`SELECT ${TASK_ROW} FROM tasks WHERE job_id = ? ORDER BY id`),
    lockTasksOfJobsIn: raw(
      `SELECT ${TASK_ROW} FROM tasks WHERE job_id IN (SELECT value FROM json_each(?)) AND state IN (SELECT value FROM json_each(?)) ORDER BY id`,
    ),
    lockTasksOfJobsAll: raw(`SELECT ${TASK_ROW} FROM tasks WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY id`),
    // After the row's columns: created_at (the dashboard roll-up's key, see RollupBook), then
    // what settle needs to know of the job's locks and concurrency line.
    lockJobs: raw(`SELECT ${JOB_ROW}, created_at, concurrency_slot,
        EXISTS (SELECT 1 FROM job_locks l WHERE l.job_id = jobs.id AND l.released_at IS NULL) AS holds_locks
      FROM jobs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`),
    claim: raw(`SELECT ${TASK_ROW_T}, t.key AS t_key, t.input AS t_input, t.created_at AS t_created_at,
        j.queue AS j_queue, j.creator AS j_creator, j.fields AS j_fields, j.started_at IS NULL AS j_unstarted, t.retry_items AS t_retry_items
      FROM tasks t JOIN jobs j ON j.id = t.job_id
      WHERE t.state = 'queued' AND t.site = ? AND t.available_at <= ?
        AND t.workflow IN (SELECT value FROM json_each(?))
        AND (j.started_at IS NOT NULL OR j.queue NOT IN (SELECT value FROM json_each(?)))
        AND t.held = 0 AND j.envelope_wait_on IS NULL
      ORDER BY t.priority DESC, t.id LIMIT ?`),
    queueStates: p(`SELECT q.name, q.paused, q.concurrency,
        CASE WHEN q.concurrency IS NULL THEN 0 ELSE ${ACTIVE_JOBS} END AS active FROM queues q`),
    slotsTaken: p(`SELECT q.name, ${ACTIVE_JOBS} AS active FROM queues q WHERE q.name IN (SELECT value FROM json_each(?))`),
    expired: raw(`SELECT ${TASK_ROW} FROM tasks WHERE lease_expires_at IS NOT NULL AND lease_expires_at < ? ORDER BY id LIMIT ?`),
    leasesOf: raw(`SELECT ${TASK_ROW} FROM tasks WHERE lease_expires_at IS NOT NULL AND worker_id = ? ORDER BY id LIMIT ?`),
    timedOut: p(`SELECT id FROM jobs WHERE state IN ${sqlList(TIMEABLE_JOB_STATES)} AND deadline_at < ? ORDER BY id LIMIT ?`),
    edgesFrom: p(`SELECT job_id, task_id, depends_on FROM task_deps WHERE depends_on IN (SELECT value FROM json_each(?))`),
    tasksByKey: p(`SELECT id, state, key FROM tasks WHERE job_id = ? AND key IN (SELECT value FROM json_each(?))`),
    itemsOfPaths: p(`SELECT id, path, operation, outcome, task_id, at, superseded FROM items WHERE job_id = ? AND path IN (SELECT value FROM json_each(?))`),
    jobsByKey: p(`SELECT id, idempotency_key FROM jobs WHERE idempotency_key IN (SELECT value FROM json_each(?))`),
    insertJob: p(`INSERT INTO jobs (${JOB_INSERT_COLUMNS}) VALUES ${rowsOf(JOB_INSERT_WIDTH, 1)}`),
    insertJobs: p(`INSERT INTO jobs (${JOB_INSERT_COLUMNS}) VALUES ${rowsOf(JOB_INSERT_WIDTH, CHUNK)}`),
    insertTask: p(`INSERT INTO tasks (${TASK_INSERT_COLUMNS}) VALUES ${rowsOf(TASK_INSERT_WIDTH, 1)}`),
    insertTasks: p(`INSERT INTO tasks (${TASK_INSERT_COLUMNS}) VALUES ${rowsOf(TASK_INSERT_WIDTH, CHUNK)}`),
    insertEdge: p(`INSERT OR IGNORE INTO task_deps (depends_on, task_id, job_id) VALUES (?, ?, ?)`),
    pauseOnFailure: p(`UPDATE queues SET paused = 1, updated_at = ? WHERE pause_on_failure = 1 AND name IN (SELECT value FROM json_each(?))`),
    insertEvent: p(`INSERT INTO events (at, type, job_id, task_id, site, data) VALUES (?, ?, ?, ?, ?, ?)`),
    insertEvents: p(`INSERT INTO events (at, type, job_id, task_id, site, data) VALUES ${rowsOf(6, CHUNK)}`),
    insertItem: p(`INSERT INTO items (job_id, task_id, path, operation, outcome, bytes, error, at, superseded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    insertItems: p(`INSERT INTO items (job_id, task_id, path, operation, outcome, bytes, error, at, superseded) VALUES ${rowsOf(9, CHUNK)}`),
    insertLog: p(`INSERT INTO task_logs (task_id, seq, at, line) VALUES (?, ?, ?, ?)`),
    deleteLogs: p(`DELETE FROM task_logs WHERE task_id IN (SELECT id FROM tasks WHERE job_id = ?)`),
    deleteItems: p(`DELETE FROM items WHERE job_id = ?`),
    insertGrams: p(`INSERT INTO item_grams (job_id, lo_id, hi_id, bloom) VALUES (?, ?, ?, ?)`),
    deleteGrams: p(`DELETE FROM item_grams WHERE job_id = ?`),
    deleteChanges: p(`DELETE FROM changes WHERE job_id = ?`),
    deleteEdges: p(`DELETE FROM task_deps WHERE job_id = ?`),
    deleteTasks: p(`DELETE FROM tasks WHERE job_id = ?`),
    deleteJob: p(`DELETE FROM jobs WHERE id = ? RETURNING site, queue, workflow, created_at, state, started_at, ended_at`),
    // Every lock of the job takes one admission number, the next (see migration 22).
    nextLockSeq: p(`UPDATE job_lock_seq SET n = n + 1 RETURNING n`),
    holdLock: p(`INSERT INTO job_locks (job_id, lock_key, mode, released_at, seq) VALUES (?, ?, ?, NULL, ?)
      ON CONFLICT (job_id, lock_key) DO UPDATE SET mode = excluded.mode, released_at = NULL, seq = excluded.seq`),
    // The latest conflicting holder admitted before the job.
    lockHoldersAny: p(`SELECT job_id, seq FROM job_locks WHERE released_at IS NULL AND job_id <> @job
      AND seq < (SELECT MAX(seq) FROM job_locks WHERE job_id = @job)
      AND (lock_key = @key OR lock_key IN (SELECT value FROM json_each(@ancestors)) OR (lock_key >= @from AND lock_key < @to))
      ORDER BY seq DESC LIMIT 1`),
    lockHoldersExclusive: p(`SELECT job_id, seq FROM job_locks WHERE released_at IS NULL AND job_id <> @job AND mode = 'exclusive'
      AND seq < (SELECT MAX(seq) FROM job_locks WHERE job_id = @job)
      AND (lock_key = @key OR lock_key IN (SELECT value FROM json_each(@ancestors)) OR (lock_key >= @from AND lock_key < @to))
      ORDER BY seq DESC LIMIT 1`),
    laterHoldersAny: p(`SELECT MAX(l.job_id) AS job_id FROM job_locks l JOIN jobs j ON j.id = l.job_id WHERE l.job_id <> ? AND j.started_at > ?
      AND (l.lock_key = ? OR l.lock_key IN (SELECT value FROM json_each(?)) OR (l.lock_key >= ? AND l.lock_key < ?))`),
    laterHoldersExclusive: p(`SELECT MAX(l.job_id) AS job_id FROM job_locks l JOIN jobs j ON j.id = l.job_id WHERE l.job_id <> ? AND j.started_at > ?
      AND l.mode = 'exclusive'
      AND (l.lock_key = ? OR l.lock_key IN (SELECT value FROM json_each(?)) OR (l.lock_key >= ? AND l.lock_key < ?))`),
    locksOf: p(`SELECT job_id, lock_key, mode FROM job_locks WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY job_id, lock_key`),
    releaseLocks: p(`UPDATE job_locks SET released_at = ? WHERE released_at IS NULL AND job_id IN (SELECT value FROM json_each(?))`),
    lockWaiters: p(`SELECT id, site, ${OTHER_SITES_SQL.sqlite} FROM jobs WHERE lock_wait_on IN (SELECT value FROM json_each(?)) ORDER BY id`),
    setLockWait: p(`UPDATE jobs SET lock_wait_on = ? WHERE id = ?`),
    deleteLocks: p(`DELETE FROM job_locks WHERE job_id = ?`),
    deleteJobSites: p(`DELETE FROM job_sites WHERE job_id = ?`),
    knownSites: p(`SELECT name FROM sites WHERE name IN (SELECT value FROM json_each(?))`),
    addJobSite: p(`INSERT OR IGNORE INTO job_sites (job_id, site) VALUES (?, ?)`),
    holdTasks: p(`UPDATE tasks SET held = ? WHERE job_id IN (SELECT value FROM json_each(?))`),
    setConcurrencyLimits: p(`INSERT INTO workflow_concurrency (workflow, concurrency_limit, per_key, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (workflow) DO UPDATE SET concurrency_limit = excluded.concurrency_limit, per_key = excluded.per_key, updated_at = excluded.updated_at`),
    concurrencyLimits: p(`SELECT concurrency_limit, per_key FROM workflow_concurrency WHERE workflow = ?`),
    enterConcurrencyLine: p(`UPDATE jobs SET concurrency_slot = 'waiting', concurrency_key = ? WHERE id = ?`),
    heldConcurrency: p(`SELECT concurrency_key, count(*) AS n FROM jobs WHERE workflow = ? AND concurrency_slot = 'held' GROUP BY concurrency_key`),
    heldConcurrencyOfKey: p(`SELECT count(*) AS n FROM jobs WHERE workflow = ? AND concurrency_key = ? AND concurrency_slot = 'held'`),
    concurrencyCandidates: p(`SELECT id, site, concurrency_key, ${OTHER_SITES_SQL.sqlite} FROM jobs
      WHERE workflow = ? AND concurrency_slot = 'waiting' AND id > ? AND lock_wait_on IS NULL
        AND (concurrency_key IS NULL OR concurrency_key NOT IN (SELECT value FROM json_each(?)))
      ORDER BY id LIMIT ?`),
    concurrencyCandidatesOfKey: p(`SELECT id, site, concurrency_key, ${OTHER_SITES_SQL.sqlite} FROM jobs
      WHERE workflow = ? AND concurrency_key = ? AND concurrency_slot = 'waiting' AND id > ? AND lock_wait_on IS NULL
      ORDER BY id LIMIT ?`),
    setConcurrencySlot: p(`UPDATE jobs SET concurrency_slot = ? WHERE id IN (SELECT value FROM json_each(?))`),
    concurrencyInLine: p(`SELECT id, workflow, concurrency_key, concurrency_slot FROM jobs
      WHERE id IN (SELECT value FROM json_each(?)) AND concurrency_slot IN ('waiting', 'held')`),
    concurrencyAny: p(`SELECT id, workflow, concurrency_key, concurrency_slot FROM jobs
      WHERE id IN (SELECT value FROM json_each(?)) AND concurrency_slot IS NOT NULL`),
    // A transaction's roll-up changes, [kind, minute, site, workflow, state, bin, n] each. The
    // WHERE keeps SQLite from reading ON CONFLICT as a join constraint.
    upsertRollup: p(`INSERT INTO ${ROLLUP_TABLE} (kind, minute, site, workflow, state, bin, n)
      SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
        json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]') FROM json_each(?) WHERE true
      ON CONFLICT (kind, minute, site, workflow, state, bin) DO UPDATE SET n = n + excluded.n`),
    // And its queue count changes, [queue, site, state, started, n] each.
    upsertQueueCounts: p(`INSERT INTO ${QUEUE_COUNTS_TABLE} (queue, site, state, started, n)
      SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
        json_extract(value, '$[4]') FROM json_each(?) WHERE true
      ON CONFLICT (queue, site, state, started) DO UPDATE SET n = n + excluded.n`),
    jobUpdate: new ChangedColumns(db, 'jobs', JOB_SETS, JOB_ROW_COLUMNS, 'id = ?'),
    taskUpdate: new ChangedColumns(db, 'tasks', TASK_SETS, TASK_ROW_COLUMNS, 'id = ? AND state = ?'),
  };
}

type LedgerStatementName =
  | 'lockTasks'
  | 'lockJobTasksIn'
  | 'lockJobTasksAll'
  | 'lockTasksOfJobsIn'
  | 'lockTasksOfJobsAll'
  | 'lockJobs'
  | 'claim'
  | 'queueStates'
  | 'slotsTaken'
  | 'expired'
  | 'timedOut'
  | 'leasesOf'
  | 'edgesFrom'
  | 'tasksByKey'
  | 'itemsOfPaths'
  | 'jobsByKey'
  | 'insertJob'
  | 'insertTask'
  | 'insertEdge'
  | 'pauseOnFailure'
  | 'insertEvent'
  | 'insertEvents'
  | 'insertJobs'
  | 'insertTasks'
  | 'insertItems'
  | 'insertItem'
  | 'insertLog'
  | 'deleteLogs'
  | 'deleteItems'
  | 'insertGrams'
  | 'deleteGrams'
  | 'deleteEdges'
  | 'deleteTasks'
  | 'deleteJob'
  | 'deleteChanges'
  | 'deleteJobSites'
  | 'knownSites'
  | 'addJobSite'
  | 'holdLock'
  | 'nextLockSeq'
  | 'lockHoldersAny'
  | 'lockHoldersExclusive'
  | 'laterHoldersAny'
  | 'laterHoldersExclusive'
  | 'locksOf'
  | 'releaseLocks'
  | 'lockWaiters'
  | 'setLockWait'
  | 'deleteLocks'
  | 'holdTasks'
  | 'setConcurrencyLimits'
  | 'concurrencyLimits'
  | 'enterConcurrencyLine'
  | 'heldConcurrency'
  | 'heldConcurrencyOfKey'
  | 'concurrencyCandidates'
  | 'concurrencyCandidatesOfKey'
  | 'setConcurrencySlot'
  | 'concurrencyInLine'
  | 'concurrencyAny'
  | 'upsertRollup'
  | 'upsertQueueCounts';

export type LedgerStatements = Record<LedgerStatementName, Statement> & {
  /** updateJobs' UPDATE, by job id. */
  jobUpdate: ChangedColumns<JobRow>;
  /** updateTasks' UPDATE, by task id, guarded by the state the task was read in. */
  taskUpdate: ChangedColumns<TaskRow>;
};

/** A column an update may set, with its stored value in a row. */
type ColumnSet<R> = [column: string, value: (row: R) => unknown];

/**
 * The UPDATE of a hot table's rows that sets only the columns that changed since the row was
 * read (all of them for a row not read in the transaction), and updated_at: less to bind and
 * to write. One prepared statement per set of columns, made on first use.
 */
class ChangedColumns<R> {
  /** Where each column sits in a row read in the table's column order. */
  private readonly at: number[];
  private readonly all: number;
  private readonly statements = new Map<number, Statement>();

  constructor(
    private readonly db: Database,
    private readonly table: string,
    private readonly sets: readonly ColumnSet<R>[],
    readColumns: readonly string[],
    private readonly where: string,
  ) {
    this.at = sets.map(([column]) => readColumns.indexOf(column));
    this.all = (1 << sets.length) - 1;
  }

  /**
   * Writes `row` against `before` (the row as read, kept current here once written), with
   * `updatedAt` and the WHERE's parameters; answers the rows changed.
   */
  run(row: R, before: unknown[] | undefined, updatedAt: number, ...where: unknown[]): number {
    const values = this.sets.map(([, value]) => value(row));
    let mask = before === undefined ? this.all : 0;
    if (before !== undefined) for (let i = 0; i < values.length; i++) if (before[this.at[i]] !== values[i]) mask |= 1 << i;
    const changed = values.filter((_, i) => mask & (1 << i));
    const done = this.statement(mask).run(...changed, updatedAt, ...where).changes;
    if (before !== undefined && done > 0) for (let i = 0; i < values.length; i++) before[this.at[i]] = values[i];
    return done;
  }

  private statement(mask: number): Statement {
    let statement = this.statements.get(mask);
    if (!statement) {
      const sets = this.sets.filter((_, i) => mask & (1 << i)).map(([column]) => `${column} = ?, `);
      statement = this.db.prepare(`UPDATE ${this.table} SET ${sets.join('')}updated_at = ? WHERE ${this.where}`);
      this.statements.set(mask, statement);
    }
    return statement;
  }
}

/** The job columns updateJobs may set, in order, each with its stored value in a JobRow. */
const JOB_SETS: ColumnSet<JobRow>[] = [
  ['state', (j) => j.state],
  ['intent', (j) => j.intent],
  ['outcome', (j) => j.outcome],
  ['reason', (j) => j.reason],
  ['task_counts', (j) => JSON.stringify(sparseTaskCounts(j.taskCounts))],
  ['item_counts', (j) => JSON.stringify(j.itemCounts)],
  ['progress_done', (j) => j.progressDone],
  ['progress_total', (j) => j.progressTotal],
  ['changed', (j) => (j.changed ? 1 : 0)],
  ['deadline_at', (j) => j.deadlineAt],
  ['started_at', (j) => j.startedAt],
  ['ended_at', (j) => j.endedAt],
];

/** The task columns updateTasks may set, in order, each with its stored value in a TaskRow. */
const TASK_SETS: ColumnSet<TaskRow>[] = [
  ['state', (t) => t.state],
  ['attempts', (t) => t.attempts],
  ['available_at', (t) => t.availableAt],
  ['lease_token', (t) => t.leaseToken],
  ['lease_expires_at', (t) => t.leaseExpiresAt],
  ['worker_id', (t) => t.workerId],
  ['progress_done', (t) => t.progressDone],
  ['progress_total', (t) => t.progressTotal],
  ['changed', (t) => (t.changed ? 1 : 0)],
  ['result', (t) => jsonText(t.result)],
  ['error', (t) => (t.error ? JSON.stringify(t.error) : null)],
  ['reason', (t) => t.reason],
  ['items_failed', (t) => t.itemsFailed],
  ['log_lines', (t) => t.logLines],
  ['pending_deps', (t) => t.pendingDeps],
  ['dependents', (t) => t.dependents],
  ['started_at', (t) => t.startedAt],
  ['ended_at', (t) => t.endedAt],
];

const jsonText = (value: Json | undefined): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/**
 * The ledger's primitives on one SQLite transaction. SQLite transactions on one connection
 * are serialised by the store, so "locking" a row is just reading it: no other writer can
 * change it before commit.
 */
export class SqliteLedgerTx implements LedgerTx {
  readonly wakeSites = new Set<string>();
  wakeEvents = false;
  /** The events this transaction appended, as records with their ids (for the wake-up after commit: see WakeSignal). */
  readonly appended: EventRecord[] = [];
  /** Task rows as this transaction read them (TASK_ROW_COLUMNS order), by id: what updateTasks compares with. */
  private readonly tasksRead = new Map<number, unknown[]>();
  /** Job rows as `lockJobs` read them (JOB_ROW_COLUMNS order), by id: what updateJobs compares with. */
  private readonly jobsRead = new Map<number, unknown[]>();
  private readonly rollup = new RollupBook();

  constructor(
    private readonly s: LedgerStatements,
    private readonly map: RowMapper,
    readonly now: number,
    readonly sql: SqlExecutor,
    readonly fullQueues: Set<string>,
  ) {}

  /** A task row read as an array (TASK_ROW_COLUMNS first), kept for updateTasks to compare with. */
  private readonly taskRead = (v: unknown[]): TaskRow => {
    this.tasksRead.set(v[0] as number, v);
    return this.map.taskRowFrom(v);
  };

  async lockTasks(ids: number[]): Promise<TaskRow[]> {
    if (ids.length === 0) return [];
    return (this.s.lockTasks.all(JSON.stringify(ids)) as unknown[][]).map(this.taskRead);
  }

  async lockJobTasks(jobId: number, states: TaskState[] | null): Promise<TaskRow[]> {
    const rows = states === null ? this.s.lockJobTasksAll.all(jobId) : this.s.lockJobTasksIn.all(jobId, JSON.stringify(states));
    return (rows as unknown[][]).map(this.taskRead);
  }

  async lockTasksOfJobs(jobIds: number[], states: readonly TaskState[] | null): Promise<TaskRow[]> {
    if (jobIds.length === 0) return [];
    const ids = JSON.stringify(jobIds);
    const rows = states === null ? this.s.lockTasksOfJobsAll.all(ids) : this.s.lockTasksOfJobsIn.all(ids, JSON.stringify(states));
    return (rows as unknown[][]).map(this.taskRead);
  }

  // Reads here cost no round trip: the jobs are read when locked.
  lockTasksAndJobs(ids: number[]): Promise<TaskRow[]> {
    return this.lockTasks(ids);
  }

  async lockJobs(ids: number[]): Promise<JobRow[]> {
    if (ids.length === 0) return [];
    const rows = this.s.lockJobs.all(JSON.stringify(ids)) as unknown[][];
    return rows.map((row) => {
      this.jobsRead.set(row[0] as number, row);
      const job = this.map.jobRowFrom(row);
      // created_at, concurrency_slot and holds_locks follow the row's columns (see the statement).
      const n = JOB_ROW_COLUMNS.length;
      this.rollup.seen(job.id, job, row[n] as number);
      job.concurrencySlot = (row[n + 1] as ConcurrencySlot | null) ?? null;
      job.holdsLocks = row[n + 2] === 1;
      return job;
    });
  }

  async claimTasks(claim: ClaimRequest, blocked: (queues: QueueState[]) => string[]): Promise<{ queues: QueueState[]; claimed: ClaimedTask[] }> {
    const queues = this.queueStates();
    return { queues, claimed: this.claim(claim, blocked(queues)) };
  }

  private claim(claim: ClaimRequest, blocked: string[]): ClaimedTask[] {
    const rows = this.s.claim.all(claim.site, claim.now, JSON.stringify(claim.workflows), JSON.stringify(blocked), claim.limit) as unknown[][];
    // Positions after the task row's columns: key, input, created_at, queue, creator, fields, unstarted, retry_items.
    const n = TASK_ROW_COLUMNS.length;
    return rows.map((v) => {
      const row = this.taskRead(v);
      return {
        row,
        key: (v[n] as string | null) ?? null,
        input: this.map.json(v[n + 1]),
        createdAt: v[n + 2] as number,
        job: {
          id: row.jobId,
          workflow: row.workflow,
          site: row.site,
          queue: v[n + 3] as string,
          creator: v[n + 4] as string,
          fields: (this.map.json(v[n + 5]) ?? {}) as Record<string, Json>,
        },
        jobUnstarted: v[n + 6] === 1,
        retryItems: v[n + 7] === 1,
      };
    });
  }

  private queueStates(): QueueState[] {
    return (this.s.queueStates.all() as DbRow[]).map((r) => ({
      name: r.name as string,
      paused: r.paused === 1,
      concurrency: r.concurrency === null ? null : Number(r.concurrency),
      activeJobs: Number(r.active),
    }));
  }

  async lockQueueAdmission(queues: string[]): Promise<Map<string, number>> {
    const rows = this.s.slotsTaken.all(JSON.stringify(queues)) as DbRow[];
    return new Map(rows.map((r) => [r.name as string, Number(r.active)]));
  }

  // One writer at a time already: SQLite serialises every write transaction.
  async lockResourceAdmission(): Promise<void> {}

  async holdLocks(jobId: number, locks: ResourceLock[]): Promise<void> {
    if (locks.length === 0) return;
    const seq = Number((this.s.nextLockSeq.get() as DbRow).n);
    for (const lock of locks) this.s.holdLock.run(jobId, lock.key, lock.mode, seq);
  }

  async lockHolders(jobId: number, locks: ResourceLock[]): Promise<number[]> {
    return this.holders(
      locks,
      (lock, ancestors, from, to) =>
        (lock.mode === 'shared' ? this.s.lockHoldersExclusive : this.s.lockHoldersAny).all({ job: jobId, key: lock.key, ancestors, from, to }) as DbRow[],
    );
  }

  async laterLockHolders(jobId: number, locks: ResourceLock[], startedAfter: number): Promise<number[]> {
    return this.holders(
      locks,
      (lock, ancestors, from, to) =>
        (lock.mode === 'shared' ? this.s.laterHoldersExclusive : this.s.laterHoldersAny).all(jobId, startedAfter, lock.key, ancestors, from, to) as DbRow[],
    );
  }

  /**
   * Runs one overlap query per lock (keys, ancestors, descendant range) and merges the job
   * ids, in admission order when the rows say it (`seq`), else in id order.
   */
  private holders(locks: ResourceLock[], query: (lock: ResourceLock, ancestors: string, from: string, to: string) => DbRow[]): number[] {
    const order = new Map<number, number>();
    for (const lock of locks) {
      const [from, to] = lockKeyDescendantRange(lock.key);
      for (const r of query(lock, JSON.stringify(lockKeyAncestors(lock.key)), from, to)) {
        if (r.job_id !== null) order.set(Number(r.job_id), Number(r.seq ?? r.job_id));
      }
    }
    return [...order].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }

  async locksOf(jobIds: number[]): Promise<Map<number, ResourceLock[]>> {
    if (jobIds.length === 0) return new Map();
    return groupLocks(this.s.locksOf.all(JSON.stringify(jobIds)) as DbRow[]);
  }

  async releaseLocks(jobIds: number[], now: number): Promise<number> {
    if (jobIds.length === 0) return 0;
    return this.s.releaseLocks.run(now, JSON.stringify(jobIds)).changes;
  }

  async lockWaiters(jobIds: number[]): Promise<{ id: number; sites: string[] }[]> {
    if (jobIds.length === 0) return [];
    return (this.s.lockWaiters.all(JSON.stringify(jobIds)) as DbRow[]).map((r) => ({ id: Number(r.id), sites: jobSitesOf(r) }));
  }

  async setLockWait(jobId: number, waitOn: number | null): Promise<void> {
    this.s.setLockWait.run(waitOn, jobId);
  }

  async holdTasks(jobIds: number[], held: boolean): Promise<void> {
    if (jobIds.length > 0) this.s.holdTasks.run(held ? 1 : 0, JSON.stringify(jobIds));
  }

  async setConcurrencyLimits(workflow: string, limits: ConcurrencyLimits): Promise<void> {
    this.s.setConcurrencyLimits.run(workflow, limits.limit, limits.perKey, this.now);
  }

  async concurrencyLimits(workflow: string): Promise<ConcurrencyLimits | null> {
    const r = this.s.concurrencyLimits.get(workflow) as DbRow | undefined;
    return r ? { limit: optNumber(r.concurrency_limit), perKey: optNumber(r.per_key) } : null;
  }

  async enterConcurrencyLine(jobs: { id: number; key: string | null }[]): Promise<void> {
    for (const job of jobs) this.s.enterConcurrencyLine.run(job.key, job.id);
  }

  async heldConcurrency(workflow: string, keys: string[] | null): Promise<Map<string | null, number>> {
    if (keys !== null) return new Map(keys.map((key) => [key, Number((this.s.heldConcurrencyOfKey.get(workflow, key) as DbRow).n)]));
    const rows = this.s.heldConcurrency.all(workflow) as DbRow[];
    return new Map(rows.map((r) => [(r.concurrency_key as string | null) ?? null, Number(r.n)]));
  }

  async concurrencyCandidates(query: { workflow: string; skipKeys: string[]; afterId: number; limit: number }): Promise<ConcurrencyCandidate[]> {
    const rows = this.s.concurrencyCandidates.all(query.workflow, query.afterId, JSON.stringify(query.skipKeys), query.limit) as DbRow[];
    return rows.map(toCandidate);
  }

  // One indexed query per key: SQLite statements cost no round trip.
  async concurrencyCandidatesOfKeys(workflow: string, wants: { key: string; limit: number }[]): Promise<ConcurrencyCandidate[]> {
    return wants.flatMap((want) => (this.s.concurrencyCandidatesOfKey.all(workflow, want.key, 0, want.limit) as DbRow[]).map(toCandidate));
  }

  async setConcurrencySlot(jobIds: number[], slot: ConcurrencySlot): Promise<void> {
    if (jobIds.length > 0) this.s.setConcurrencySlot.run(slot, JSON.stringify(jobIds));
  }

  async concurrencyOf(jobIds: number[], released = false): Promise<Map<number, ConcurrencyStanding>> {
    if (jobIds.length === 0) return new Map();
    const rows = (released ? this.s.concurrencyAny : this.s.concurrencyInLine).all(JSON.stringify(jobIds)) as DbRow[];
    return new Map(
      rows.map((r) => [
        Number(r.id),
        { workflow: r.workflow as string, key: (r.concurrency_key as string | null) ?? null, slot: r.concurrency_slot as ConcurrencySlot },
      ]),
    );
  }

  async lockExpiredLeases(now: number, limit: number): Promise<TaskRow[]> {
    return (this.s.expired.all(now, limit) as unknown[][]).map(this.taskRead);
  }

  async lockLeasesOf(workerId: string, limit: number): Promise<TaskRow[]> {
    return (this.s.leasesOf.all(workerId, limit) as unknown[][]).map(this.taskRead);
  }

  async timedOutJobIds(now: number, limit: number): Promise<number[]> {
    return (this.s.timedOut.all(now, limit) as DbRow[]).map((r) => Number(r.id));
  }

  async dependencyEdges(dependsOn: number[]): Promise<DependencyEdge[]> {
    if (dependsOn.length === 0) return [];
    return (this.s.edgesFrom.all(JSON.stringify(dependsOn)) as DbRow[]).map(toEdge);
  }

  async tasksByKey(jobId: number, keys: string[]): Promise<Map<string, KeyedTask>> {
    if (keys.length === 0) return new Map();
    const rows = this.s.tasksByKey.all(jobId, JSON.stringify(keys)) as DbRow[];
    return new Map(rows.map((r) => [r.key as string, { id: Number(r.id), state: r.state as TaskState }]));
  }

  async currentItemsOf(jobId: number, paths: readonly string[]): Promise<CurrentItem[]> {
    if (paths.length === 0) return [];
    return currentItemsFrom(this.s.itemsOfPaths.all(jobId, JSON.stringify(paths)) as DbRow[]);
  }

  async jobIdsByIdempotencyKey(keys: string[]): Promise<Map<string, number>> {
    const rows = this.s.jobsByKey.all(JSON.stringify(keys)) as DbRow[];
    return new Map(rows.map((r) => [r.idempotency_key as string, Number(r.id)]));
  }

  async insertJobs(rows: NewJobRow[]): Promise<number[]> {
    const ids = insertChunked(this.s.insertJob, this.s.insertJobs, JOB_INSERT_WIDTH, rows, bindJobInsert);
    rows.forEach((j, i) => {
      this.rollup.inserted(ids[i], j);
    });
    return ids;
  }

  async insertTasks(rows: NewTaskRow[]): Promise<number[]> {
    return insertChunked(this.s.insertTask, this.s.insertTasks, TASK_INSERT_WIDTH, rows, bindTaskInsert);
  }

  async insertDependencies(edges: DependencyEdge[]): Promise<void> {
    for (const edge of edges) this.s.insertEdge.run(edge.dependsOn, edge.taskId, edge.jobId);
  }

  async updateTasks(changes: { row: TaskRow; fromState: TaskState }[]): Promise<number> {
    let applied = 0;
    for (const { row: t, fromState } of changes) applied += this.s.taskUpdate.run(t, this.tasksRead.get(t.id), t.updatedAt, t.id, fromState);
    return applied;
  }

  /**
   * Writes each job row back, setting only the columns whose value changed since `lockJobs`
   * read it (and updated_at). SQLite rewrites every index holding a column named in SET,
   * equal value or not, and the jobs table carries many: a lease that moves a job to running
   * then touches the indexes on state and started_at only (a fifth of the cost of writing
   * every column, measured).
   */
  async updateJobs(rows: JobRow[]): Promise<void> {
    for (const j of rows) {
      this.s.jobUpdate.run(j, this.jobsRead.get(j.id), j.updatedAt, j.id);
      this.rollup.updated(j.id, j);
    }
  }

  async pauseQueuesOnFailure(queues: string[]): Promise<void> {
    this.s.pauseOnFailure.run(this.now, JSON.stringify(queues));
  }

  async insertEvents(events: NewEvent[]): Promise<void> {
    const ids = insertChunked(this.s.insertEvent, this.s.insertEvents, 6, events, (e, p, o) => {
      p[o] = e.at;
      p[o + 1] = e.type;
      p[o + 2] = e.jobId;
      p[o + 3] = e.taskId;
      p[o + 4] = e.site;
      p[o + 5] = JSON.stringify(e.data);
    });
    events.forEach((e, i) => {
      this.appended.push({ id: ids[i], at: e.at, type: e.type, jobId: e.jobId, taskId: e.taskId, site: e.site, data: e.data });
    });
  }

  insertJobAudit(entries: JobAudit[], at: number): Promise<void> {
    return writeJobAudit(this.sql, entries, at);
  }

  async insertItems(jobId: number, taskId: number, at: number, items: readonly NewItem[], superseded: ReadonlySet<number>): Promise<void> {
    if (items.length === 0) return;
    const ids = insertChunked(this.s.insertItem, this.s.insertItems, 9, items, (i, p, o, index) => {
      p[o] = jobId;
      p[o + 1] = taskId;
      p[o + 2] = i.path;
      p[o + 3] = i.operation;
      p[o + 4] = i.outcome;
      p[o + 5] = i.bytes ?? null;
      p[o + 6] = i.error ?? null;
      p[o + 7] = at;
      p[o + 8] = superseded.has(index) ? 1 : 0;
    });
    // The batch's summaries, one per SUMMARY_ITEMS items, each over the range of their ids (item-grams.ts).
    itemSummaries(items).forEach((grams, slice) => {
      const sliceIds = ids.slice(slice * SUMMARY_ITEMS, (slice + 1) * SUMMARY_ITEMS);
      this.s.insertGrams.run(jobId, Math.min(...sliceIds), Math.max(...sliceIds), grams);
    });
  }

  async insertLogs(taskId: number, firstSeq: number, lines: string[], at: number): Promise<void> {
    lines.forEach((line, i) => {
      this.s.insertLog.run(taskId, firstSeq + i, at, line);
    });
  }

  async deleteJobs(jobIds: number[]): Promise<void> {
    // Prepared statements in process: one job at a time costs no round trips.
    for (const id of jobIds) this.deleteJob(id);
  }

  private deleteJob(jobId: number): void {
    this.s.deleteLogs.run(jobId);
    this.s.deleteItems.run(jobId);
    this.s.deleteGrams.run(jobId);
    this.s.deleteChanges.run(jobId);
    this.s.deleteEdges.run(jobId);
    this.s.deleteTasks.run(jobId);
    this.s.deleteLocks.run(jobId);
    this.s.deleteJobSites.run(jobId);
    const gone = this.s.deleteJob.get(jobId) as DbRow | undefined;
    if (gone) this.rollup.deleted(jobId, rollupJobOf(gone));
  }

  /** Writes the transaction's roll-up and queue count changes (a statement each); the store calls it just before COMMIT. */
  flushRollup(): void {
    const { rollup, queues } = this.rollup.drain();
    if (rollup.length > 0) this.s.upsertRollup.run(JSON.stringify(rollup.map((d) => [d.kind, d.minute, d.site, d.workflow, d.state, d.bin, d.n])));
    if (queues.length > 0) this.s.upsertQueueCounts.run(JSON.stringify(queues.map((d) => [d.queue, d.site, d.state, d.started, d.n])));
  }

  async knownSites(names: string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    return new Set((this.s.knownSites.all(JSON.stringify(names)) as DbRow[]).map((r) => r.name as string));
  }

  async addJobSites(pairs: { jobId: number; site: string }[]): Promise<void> {
    for (const { jobId, site } of pairs) this.s.addJobSite.run(jobId, site);
  }

  wakeAfterCommit(sites: string[], events: boolean): void {
    for (const site of sites) this.wakeSites.add(site);
    if (events) this.wakeEvents = true;
  }
}

const toCandidate = (r: DbRow): ConcurrencyCandidate => ({ id: Number(r.id), sites: jobSitesOf(r), key: (r.concurrency_key as string | null) ?? null });

const optNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toEdge(r: DbRow): DependencyEdge {
  return { jobId: Number(r.job_id), taskId: Number(r.task_id), dependsOn: Number(r.depends_on) };
}
