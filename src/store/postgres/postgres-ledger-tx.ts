import type pg from 'pg';
import {
  type ConcurrencyLimits,
  type ConcurrencySlot,
  type EventRecord,
  type Json,
  lockKeyAncestors,
  lockKeyDescendantRange,
  type NamedEvent,
  namedEventsOf,
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
import { type DbRow, groupLocks, JOB_ROW_COLUMNS, jobSitesOf, type RowMapper } from '../rows.js';
import { sqlList } from '../sql-builder.js';
import type { NewItem } from '../store.js';
import { pgArrayLiteral, pgJson, pgJsonArrayLiteral, type Queryable, rows, statementName } from './postgres-pool.js';
import { postgresScheduleExecutor } from './postgres-schedules.js';

/** Columns of the task row the ledger changes and writes back (not the possibly large input). */
const TASK_ROW = `id, job_id, site, workflow, type, priority, state, attempts, max_attempts, backoff_ms, max_backoff_ms,
  available_at, lease_token, lease_expires_at, worker_id, progress_done, progress_total, changed, result, error, reason,
  items_failed, log_lines, pending_deps, dependents, started_at, ended_at, updated_at`;
const TASK_ROW_T = TASK_ROW.split(',')
  .map((column) => `t.${column.trim()}`)
  .join(', ');
const JOB_ROW = JOB_ROW_COLUMNS.join(', ');
const CLAIM = `SELECT ${TASK_ROW_T}, t.key AS t_key, t.input AS t_input, t.created_at AS t_created_at,
      j.queue AS j_queue, j.creator AS j_creator, j.fields AS j_fields, j.started_at IS NULL AS j_unstarted, t.retry_items AS t_retry_items
    FROM tasks t JOIN jobs j ON j.id = t.job_id
    WHERE t.state = 'queued' AND t.site = $1 AND t.available_at <= $2 AND t.workflow = ANY($3::text[])
      AND (j.started_at IS NOT NULL OR j.queue <> ALL($4::text[]))
      AND t.held = false AND j.envelope_wait_on IS NULL
    ORDER BY t.priority DESC, t.id LIMIT $5
    FOR UPDATE OF t SKIP LOCKED`;
/** A job as lockJobs reads it: its row, created_at (the dashboard roll-up's key, see RollupBook), then what settle needs of its locks and concurrency line. */
const LOCKED_JOB = `${JOB_ROW}, created_at, concurrency_slot,
      EXISTS (SELECT 1 FROM job_locks k WHERE k.job_id = jobs.id AND k.released_at IS NULL) AS holds_locks`;
const SLOT_STATES = sqlList(SLOT_HOLDING_JOB_STATES);
const ACTIVE_JOBS = `(SELECT count(*) FROM jobs j WHERE j.queue = q.name AND j.state IN ${SLOT_STATES} AND j.started_at IS NOT NULL)`;
/**
 * The same count from the queues' live counts (kept by every transaction that moves a job, in
 * its commit): as exact for what has committed, and far cheaper to plan — the statement that
 * opens a lease travels with its BEGIN as text, so it is planned on every lease, and a plan
 * over jobs weighs all of its indexes. Admission itself counts the jobs (slotsTaken).
 */
const ACTIVE_JOBS_COUNTED = `(SELECT COALESCE(sum(c.n), 0) FROM ${QUEUE_COUNTS_TABLE} c WHERE c.queue = q.name AND c.state IN ${SLOT_STATES} AND c.started = 1)`;

/**
 * Worker transactions plan the ledger's own statements once per connection (see
 * PostgresLedgerTx's `plansOnce`): each finds its rows by id, or through an index of the hot
 * states, so one plan fits every call. PostgreSQL's own choice planned the task writes on
 * every lease and completion (a custom plan for a 1-element array looks cheaper than the
 * generic one: a third of a millisecond each, more than running them). A generic plan lives as
 * long as the connection, so it must not depend on the tables' size: one made while a new
 * store's tables were small read them whole at every lease as they grew (until the next
 * ANALYZE). Hence no sequential scans, hash or merge joins: an index probe per row, whatever
 * the size.
 */
export const PLAN_ONCE = [
  'SET LOCAL plan_cache_mode = force_generic_plan',
  'SET LOCAL enable_seqscan = off',
  'SET LOCAL enable_hashjoin = off',
  'SET LOCAL enable_mergejoin = off',
].join('; ');
/** Back to PostgreSQL's planning, for statements of other shapes (items by path, envelopes, schedules). */
const PLAN_AS_USUAL = [
  'SET LOCAL plan_cache_mode TO DEFAULT',
  'SET LOCAL enable_seqscan TO DEFAULT',
  'SET LOCAL enable_hashjoin TO DEFAULT',
  'SET LOCAL enable_mergejoin TO DEFAULT',
].join('; ');

/**
 * A batch column: its name, its PostgreSQL type, and how to read it off a row. Batched
 * writes pass one array per column and `unnest` them back into rows, so a batch of any size
 * is one statement with a fixed number of parameters.
 */
export type Column<R> = readonly [name: string, type: string, value: (row: R) => unknown];

/** `first`: how many scalar parameters come before the column arrays. */
export function unnestRows<R>(columns: readonly Column<R>[], first = 0): string {
  const arrays = columns.map(([, type], i) => `$${first + i + 1}::${type}[]`).join(', ');
  return `unnest(${arrays}) WITH ORDINALITY AS v(${columns.map(([name]) => name).join(', ')}, ord)`;
}

/** A jsonb column's value is pgJson text or null (see pgJsonArrayLiteral). */
export function unnestParams<R>(columns: readonly Column<R>[], batch: readonly R[]): unknown[] {
  return columns.map(([, type, value]) => (type === 'jsonb' ? pgJsonArrayLiteral(batch.map(value) as (string | null)[]) : pgArrayLiteral(batch.map(value))));
}

export const names = <R>(columns: readonly Column<R>[], prefix = '') => columns.map(([name]) => `${prefix}${name}`).join(', ');
const jsonText = (value: Json | undefined): string | null => (value === null || value === undefined ? null : pgJson(value));

export const JOB_INSERT: Column<NewJobRow>[] = [
  ['workflow', 'text', (j) => j.workflow],
  ['site', 'text', (j) => j.site],
  ['queue', 'text', (j) => j.queue],
  ['creator', 'text', (j) => j.creator],
  ['state', 'text', (j) => j.state],
  ['intent', 'text', (j) => j.intent],
  ['outcome', 'text', (j) => j.outcome],
  ['reason', 'text', (j) => j.reason],
  ['priority', 'integer', (j) => j.priority],
  ['fields', 'jsonb', (j) => pgJson(j.fields)],
  ['search_text', 'text', (j) => j.searchText],
  ['idempotency_key', 'text', (j) => j.idempotencyKey],
  ['parent_job_id', 'bigint', (j) => j.parentJobId],
  ['task_counts', 'jsonb', (j) => pgJson(sparseTaskCounts(j.taskCounts))],
  ['item_counts', 'jsonb', (j) => pgJson(j.itemCounts)],
  ['progress_done', 'bigint', (j) => j.progressDone],
  ['progress_total', 'bigint', (j) => j.progressTotal],
  ['changed', 'boolean', (j) => j.changed],
  ['timeout_ms', 'bigint', (j) => j.timeoutMs],
  ['deadline_at', 'bigint', (j) => j.deadlineAt],
  ['run_at', 'bigint', (j) => j.runAt],
  ['created_at', 'bigint', (j) => j.createdAt],
  ['started_at', 'bigint', (j) => j.startedAt],
  ['ended_at', 'bigint', (j) => j.endedAt],
  ['updated_at', 'bigint', (j) => j.updatedAt],
];

export const TASK_INSERT: Column<NewTaskRow>[] = [
  ['job_id', 'bigint', (t) => t.jobId],
  ['site', 'text', (t) => t.site],
  ['workflow', 'text', (t) => t.workflow],
  ['type', 'text', (t) => t.type],
  ['key', 'text', (t) => t.key],
  ['priority', 'integer', (t) => t.priority],
  ['input', 'jsonb', (t) => jsonText(t.input)],
  ['state', 'text', (t) => t.state],
  ['attempts', 'integer', (t) => t.attempts],
  ['max_attempts', 'integer', (t) => t.maxAttempts],
  ['backoff_ms', 'bigint', (t) => t.backoffMs],
  ['max_backoff_ms', 'bigint', (t) => t.maxBackoffMs],
  ['available_at', 'bigint', (t) => t.availableAt],
  ['progress_done', 'bigint', (t) => t.progressDone],
  ['progress_total', 'bigint', (t) => t.progressTotal],
  ['reason', 'text', (t) => t.reason],
  ['pending_deps', 'integer', (t) => t.pendingDeps],
  ['dependents', 'integer', (t) => t.dependents],
  ['created_at', 'bigint', (t) => t.createdAt],
  ['ended_at', 'bigint', (t) => t.endedAt],
  ['updated_at', 'bigint', (t) => t.updatedAt],
  ['held', 'boolean', (t) => t.held === true],
];

type TaskChange = { row: TaskRow; fromState: TaskState };
const TASK_UPDATE: Column<TaskChange>[] = [
  ['id', 'bigint', (c) => c.row.id],
  ['from_state', 'text', (c) => c.fromState],
  ['state', 'text', (c) => c.row.state],
  ['attempts', 'integer', (c) => c.row.attempts],
  ['available_at', 'bigint', (c) => c.row.availableAt],
  ['lease_token', 'text', (c) => c.row.leaseToken],
  ['lease_expires_at', 'bigint', (c) => c.row.leaseExpiresAt],
  ['worker_id', 'text', (c) => c.row.workerId],
  ['progress_done', 'bigint', (c) => c.row.progressDone],
  ['progress_total', 'bigint', (c) => c.row.progressTotal],
  ['changed', 'boolean', (c) => c.row.changed],
  ['result', 'jsonb', (c) => jsonText(c.row.result)],
  ['error', 'jsonb', (c) => (c.row.error ? pgJson(c.row.error) : null)],
  ['reason', 'text', (c) => c.row.reason],
  ['items_failed', 'bigint', (c) => c.row.itemsFailed],
  ['log_lines', 'integer', (c) => c.row.logLines],
  ['pending_deps', 'integer', (c) => c.row.pendingDeps],
  ['dependents', 'integer', (c) => c.row.dependents],
  ['started_at', 'bigint', (c) => c.row.startedAt],
  ['ended_at', 'bigint', (c) => c.row.endedAt],
  ['updated_at', 'bigint', (c) => c.row.updatedAt],
];

const JOB_UPDATE: Column<JobRow>[] = [
  ['id', 'bigint', (j) => j.id],
  ['state', 'text', (j) => j.state],
  ['intent', 'text', (j) => j.intent],
  ['outcome', 'text', (j) => j.outcome],
  ['reason', 'text', (j) => j.reason],
  ['task_counts', 'jsonb', (j) => pgJson(sparseTaskCounts(j.taskCounts))],
  ['item_counts', 'jsonb', (j) => pgJson(j.itemCounts)],
  ['progress_done', 'bigint', (j) => j.progressDone],
  ['progress_total', 'bigint', (j) => j.progressTotal],
  ['changed', 'boolean', (j) => j.changed],
  ['deadline_at', 'bigint', (j) => j.deadlineAt],
  ['started_at', 'bigint', (j) => j.startedAt],
  ['ended_at', 'bigint', (j) => j.endedAt],
  ['updated_at', 'bigint', (j) => j.updatedAt],
];

export const EVENT_INSERT: Column<NewEvent>[] = [
  ['at', 'bigint', (e) => e.at],
  ['type', 'text', (e) => e.type],
  ['job_id', 'bigint', (e) => e.jobId],
  ['task_id', 'bigint', (e) => e.taskId],
  ['site', 'text', (e) => e.site],
  ['data', 'jsonb', (e) => pgJson(e.data)],
];

// job_id, task_id and at are the same for the whole batch: $1, $2, $3; the columns follow.
const ITEM_INSERT: Column<NewItem>[] = [
  ['path', 'text', (i) => i.path],
  ['operation', 'text', (i) => i.operation],
  ['outcome', 'text', (i) => i.outcome],
  ['bytes', 'bigint', (i) => i.bytes],
  ['error', 'text', (i) => i.error],
];

const EDGE_INSERT: Column<DependencyEdge>[] = [
  ['depends_on', 'bigint', (e) => e.dependsOn],
  ['task_id', 'bigint', (e) => e.taskId],
  ['job_id', 'bigint', (e) => e.jobId],
];

const setFrom = <R>(columns: readonly Column<R>[], skip: string[]) =>
  columns
    .filter(([name]) => !skip.includes(name))
    .map(([name]) => `${name} = v.${name}`)
    .join(', ');

// Sequence values are drawn as the INSERT consumes the rows in ordinality order, so the new
// ids sorted ascending line up with the input rows; RETURNING itself promises no order.
const insertReturningIds = <R>(table: string, columns: readonly Column<R>[]) =>
  `WITH inserted AS (INSERT INTO ${table} (${names(columns)}) SELECT ${names(columns, 'v.')} FROM ${unnestRows(columns)} ORDER BY v.ord RETURNING id)
   SELECT id FROM inserted ORDER BY id`;

const SQL = {
  lockTasks: `SELECT ${TASK_ROW} FROM tasks WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
  lockJobTasksIn: `SELECT ${TASK_ROW} FROM tasks WHERE job_id = $1 AND state = ANY($2::text[]) ORDER BY id FOR UPDATE`,
  lockJobTasksAll: `SELECT ${TASK_ROW} FROM tasks WHERE job_id = $1 ORDER BY id FOR UPDATE`,
  lockTasksOfJobsIn: `SELECT ${TASK_ROW} FROM tasks WHERE job_id = ANY($1::bigint[]) AND state = ANY($2::text[]) ORDER BY id FOR UPDATE`,
  lockTasksOfJobsAll: `SELECT ${TASK_ROW} FROM tasks WHERE job_id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
  // What held writes travel with at the end of a transaction (see flushAndCommit): fixed texts, so the
  // combinations are prepared once per connection rather than planned on every commit.
  notify: 'SELECT pg_notify($1, $2)',
  nothing: 'SELECT 1',
  lockJobs: `SELECT ${LOCKED_JOB} FROM jobs WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
  // The jobs of these tasks, locked after them (see lockTasksAndJobs).
  lockJobsOfTasks: `SELECT ${LOCKED_JOB} FROM jobs WHERE id IN (SELECT job_id FROM tasks WHERE id = ANY($1::bigint[])) ORDER BY id FOR UPDATE`,
  // Rows another transaction is leasing are skipped, not waited for: concurrent workers
  // each take different tasks.
  claim: CLAIM,
  // The claim, then the claimed tasks' jobs locked in id order (see claimTasks); the first row
  // carries the jobs' rows, as lockJobs reads them, in one json array (a join of the two
  // would compare every task with every job: nested loops only, see PLAN_ONCE).
  claimWithJobs: `WITH c AS MATERIALIZED (${CLAIM}),
      l AS MATERIALIZED (SELECT ${LOCKED_JOB} FROM jobs WHERE id IN (SELECT job_id FROM c) ORDER BY id FOR UPDATE)
    SELECT c.*, CASE WHEN row_number() OVER (ORDER BY c.priority DESC, c.id) = 1 THEN (SELECT json_agg(l) FROM l) END AS locked_jobs
    FROM c ORDER BY c.priority DESC, c.id`,
  queueStates: `SELECT q.name, q.paused, q.concurrency,
      CASE WHEN q.concurrency IS NULL THEN 0 ELSE ${ACTIVE_JOBS_COUNTED} END AS active FROM queues q`,
  // A key per (schema, queue): hubs on other schemas of the same database never contend.
  admissionLock: `SELECT pg_advisory_xact_lock(hashtextextended('switchyard:admission:' || current_schema() || ':' || $1, 0))`,
  slotsTaken: `SELECT q.name, ${ACTIVE_JOBS} AS active FROM queues q WHERE q.name = ANY($1::text[])`,
  // A task whose worker is reporting right now is left for the next sweep.
  expired: `SELECT ${TASK_ROW} FROM tasks WHERE lease_expires_at IS NOT NULL AND lease_expires_at < $1
    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
  leasesOf: `SELECT ${TASK_ROW} FROM tasks WHERE lease_expires_at IS NOT NULL AND worker_id = $1
    ORDER BY id LIMIT $2 FOR UPDATE`,
  timedOut: `SELECT id FROM jobs WHERE state IN ${sqlList(TIMEABLE_JOB_STATES)} AND deadline_at < $1 ORDER BY id LIMIT $2`,
  edgesFrom: `SELECT job_id, task_id, depends_on FROM task_deps WHERE depends_on = ANY($1::bigint[])`,
  tasksByKey: `SELECT id, state, key FROM tasks WHERE job_id = $1 AND key = ANY($2::text[])`,
  // A probe of (job_id, path) per path: the ORDER BY keeps the planner to it. Planned without
  // statistics (a young table), a join or an ANY read all the job's items through job_id alone
  // (65 ms at 250,000 items, against 5 ms).
  itemsOfPaths: `SELECT i.* FROM unnest($2::text[]) AS p(path) CROSS JOIN LATERAL (
      SELECT id, path, operation, outcome, task_id, at, superseded FROM items WHERE job_id = $1 AND path = p.path ORDER BY job_id, path, id) i`,
  jobsByKey: `SELECT id, idempotency_key FROM jobs WHERE idempotency_key = ANY($1::text[])`,
  insertJobs: insertReturningIds('jobs', JOB_INSERT),
  insertTasks: insertReturningIds('tasks', TASK_INSERT),
  insertEdges: `INSERT INTO task_deps (${names(EDGE_INSERT)}) SELECT ${names(EDGE_INSERT, 'v.')} FROM ${unnestRows(EDGE_INSERT)}
    ON CONFLICT DO NOTHING`,
  updateTasks: `UPDATE tasks t SET ${setFrom(TASK_UPDATE, ['id', 'from_state'])}
    FROM ${unnestRows(TASK_UPDATE)} WHERE t.id = v.id AND t.state = v.from_state`,
  updateJobs: `UPDATE jobs j SET ${setFrom(JOB_UPDATE, ['id'])} FROM ${unnestRows(JOB_UPDATE)} WHERE j.id = v.id`,
  pauseOnFailure: `UPDATE queues SET paused = true, updated_at = $1 WHERE pause_on_failure AND name = ANY($2::text[])`,
  insertEvents: `INSERT INTO events (${names(EVENT_INSERT)}) SELECT ${names(EVENT_INSERT, 'v.')} FROM ${unnestRows(EVENT_INSERT)} ORDER BY v.ord
    RETURNING id`,
  // The batch and its summaries (item-grams.ts), one per SUMMARY_ITEMS items in order, each over
  // the ids its items took: each row draws its id beside its ordinal, so the slices' ranges
  // hold whatever order the ids were drawn in. One statement.
  insertItems: `WITH v AS MATERIALIZED (SELECT nextval('items_id_seq') AS id, v.* FROM ${unnestRows(ITEM_INSERT, 3)}),
      batch AS (INSERT INTO items (id, job_id, task_id, at, superseded, ${names(ITEM_INSERT)})
        SELECT v.id, $1::bigint, $2::bigint, $3::bigint, v.ord = ANY($${5 + ITEM_INSERT.length}::bigint[]), ${names(ITEM_INSERT, 'v.')}
        FROM v ORDER BY v.ord)
    INSERT INTO item_grams (job_id, lo_id, hi_id, bloom)
      SELECT $1::bigint, min(v.id), max(v.id), ($${4 + ITEM_INSERT.length}::bytea[])[(v.ord - 1) / ${SUMMARY_ITEMS} + 1] FROM v GROUP BY (v.ord - 1) / ${SUMMARY_ITEMS}`,
  insertLogs: `INSERT INTO task_logs (task_id, seq, at, line)
    SELECT $1::bigint, $2::integer + v.ord::integer - 1, $3::bigint, v.line FROM unnest($4::text[]) WITH ORDINALITY AS v(line, ord)`,
  // Data-modifying CTEs share one snapshot: the logs' subquery still sees the job's tasks.
  deleteJobs: `WITH logs AS (DELETE FROM task_logs WHERE task_id IN (SELECT id FROM tasks WHERE job_id = ANY($1::bigint[]))),
      items AS (DELETE FROM items WHERE job_id = ANY($1::bigint[])),
      grams AS (DELETE FROM item_grams WHERE job_id = ANY($1::bigint[])),
      changes AS (DELETE FROM changes WHERE job_id = ANY($1::bigint[])),
      edges AS (DELETE FROM task_deps WHERE job_id = ANY($1::bigint[])),
      tasks AS (DELETE FROM tasks WHERE job_id = ANY($1::bigint[])),
      locks AS (DELETE FROM job_locks WHERE job_id = ANY($1::bigint[])),
      spans AS (DELETE FROM job_sites WHERE job_id = ANY($1::bigint[]))
    DELETE FROM jobs WHERE id = ANY($1::bigint[]) RETURNING id, site, queue, workflow, created_at, state, started_at, ended_at`,
  knownSites: `SELECT name FROM sites WHERE name = ANY($1::text[])`,
  addJobSites: `INSERT INTO job_sites (job_id, site) SELECT * FROM unnest($1::bigint[], $2::text[]) ORDER BY 1, 2 ON CONFLICT DO NOTHING`,
  // One key per schema: lock admission and release are serialised across hubs until commit.
  resourceAdmission: `SELECT pg_advisory_xact_lock(hashtextextended('switchyard:locks:' || current_schema(), 0))`,
  // Every lock of the job takes one admission number, the next (see migration 22).
  holdLocks: `WITH s AS MATERIALIZED (SELECT nextval('job_lock_seq') AS n)
    INSERT INTO job_locks (job_id, lock_key, mode, released_at, seq) SELECT $1::bigint, v.k, v.m, NULL, s.n
      FROM unnest($2::text[], $3::text[]) AS v(k, m), s
    ON CONFLICT (job_id, lock_key) DO UPDATE SET mode = excluded.mode, released_at = NULL, seq = excluded.seq`,
  // The latest conflicting holder admitted before the job. $2 key, $3 ancestors, $4..$5 the
  // descendant range, $6 true when only exclusive rows conflict.
  lockHolders: `SELECT job_id, seq FROM job_locks WHERE released_at IS NULL AND job_id <> $1
      AND seq < (SELECT MAX(seq) FROM job_locks WHERE job_id = $1)
      AND (lock_key = $2 OR lock_key = ANY($3::text[]) OR (lock_key >= $4 AND lock_key < $5)) AND (NOT $6 OR mode = 'exclusive')
    ORDER BY seq DESC LIMIT 1`,
  laterHolders: `SELECT MAX(l.job_id) AS job_id FROM job_locks l JOIN jobs j ON j.id = l.job_id WHERE l.job_id <> $1 AND j.started_at > $2
      AND (l.lock_key = $3 OR l.lock_key = ANY($4::text[]) OR (l.lock_key >= $5 AND l.lock_key < $6)) AND (NOT $7 OR l.mode = 'exclusive')`,
  locksOf: `SELECT job_id, lock_key, mode FROM job_locks WHERE job_id = ANY($1::bigint[]) ORDER BY job_id, lock_key`,
  releaseLocks: `UPDATE job_locks SET released_at = $1 WHERE released_at IS NULL AND job_id = ANY($2::bigint[])`,
  lockWaiters: `SELECT id, site, ${OTHER_SITES_SQL.postgres} FROM jobs WHERE lock_wait_on = ANY($1::bigint[]) ORDER BY id`,
  setLockWait: `UPDATE jobs SET lock_wait_on = $1 WHERE id = $2`,
  holdTasks: `UPDATE tasks SET held = $1 WHERE job_id = ANY($2::bigint[])`,
  setConcurrencyLimits: `INSERT INTO workflow_concurrency (workflow, concurrency_limit, per_key, updated_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (workflow) DO UPDATE SET concurrency_limit = excluded.concurrency_limit, per_key = excluded.per_key, updated_at = excluded.updated_at
    WHERE (workflow_concurrency.concurrency_limit, workflow_concurrency.per_key) IS DISTINCT FROM (excluded.concurrency_limit, excluded.per_key)`,
  concurrencyLimits: `SELECT concurrency_limit, per_key FROM workflow_concurrency WHERE workflow = $1`,
  enterConcurrencyLine: `UPDATE jobs j SET concurrency_slot = 'waiting', concurrency_key = v.key
    FROM unnest($1::bigint[], $2::text[]) AS v(id, key) WHERE j.id = v.id`,
  heldConcurrency: `SELECT concurrency_key, count(*) AS n FROM jobs WHERE workflow = $1 AND concurrency_slot = 'held' GROUP BY concurrency_key`,
  heldConcurrencyOfKeys: `SELECT concurrency_key, count(*) AS n FROM jobs WHERE workflow = $1 AND concurrency_key = ANY($2::text[]) AND concurrency_slot = 'held'
    GROUP BY concurrency_key`,
  concurrencyCandidates: `SELECT id, site, concurrency_key, ${OTHER_SITES_SQL.postgres} FROM jobs
    WHERE workflow = $1 AND concurrency_slot = 'waiting' AND id > $2 AND lock_wait_on IS NULL
      AND (concurrency_key IS NULL OR concurrency_key <> ALL($3::text[]))
    ORDER BY id LIMIT $4`,
  // The first few waiting jobs of each key in one statement, each an indexed walk of its key's line.
  concurrencyCandidatesOfKeys: `SELECT c.id, c.site, c.concurrency_key, c.other_sites FROM unnest($2::text[], $3::int[]) AS k(key, take)
    CROSS JOIN LATERAL (SELECT id, site, concurrency_key, ${OTHER_SITES_SQL.postgres} FROM jobs
      WHERE workflow = $1 AND concurrency_key = k.key AND concurrency_slot = 'waiting' AND lock_wait_on IS NULL
      ORDER BY id LIMIT k.take) c`,
  setConcurrencySlot: `UPDATE jobs SET concurrency_slot = $1 WHERE id = ANY($2::bigint[])`,
  concurrencyOf: `SELECT id, workflow, concurrency_key, concurrency_slot FROM jobs
    WHERE id = ANY($1::bigint[]) AND concurrency_slot IS NOT NULL AND ($2 OR concurrency_slot IN ('waiting', 'held'))`,
};

/**
 * The end of a statement carrying held writes (withPending) when the k-th of them inserts
 * events: it answers the ids they drew (see committedEvents). Each table has one held write at
 * most, so k stays small; the texts are fixed, hence prepared.
 */
const TAKING_EVENT_IDS = [0, 1, 2, 3].map((k) => ({
  notify: `${SQL.notify}, (SELECT array_agg(id ORDER BY id) FROM w${k}) AS event_ids`,
  nothing: `SELECT (SELECT array_agg(id ORDER BY id) FROM w${k}) AS event_ids`,
}));
/** Held writes' fixed texts and the statement they end in, by their statement names: the combined text and its name. */
const COMBINED = new Map<string, { text: string; name: string }>();

/** The held writes as data-modifying CTEs ahead of `sql`, their parameters numbered on from one another's. */
function combinedStatement(writes: readonly { sql: string; params: unknown[] }[], sql: string): string {
  let offset = 0;
  const renumber = (text: string, count: number) => {
    const shift = offset;
    offset += count;
    return shift === 0 ? text : text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + shift}`);
  };
  const ctes = writes.map((write, i) => `w${i} AS (${renumber(write.sql, write.params.length)})`);
  return `WITH ${ctes.join(', ')} ${renumber(sql, 0)}`;
}

/** The ledger's statements that write job rows: after one, rows locked ahead (lockTasksAndJobs) may be stale. */
const WRITES_JOBS = new Set(Object.values(SQL).filter((text) => /\b(UPDATE|DELETE FROM|INSERT INTO)\s+jobs\b/.test(text)));
/**
 * The ledger's fixed statements, run as prepared statements of their connection (see
 * preparedClient). Anything else (the envelope and schedule SQL, whose lists vary) is not.
 */
const PREPARED = new Set<string>([...Object.values(SQL), ...TAKING_EVENT_IDS.flatMap((k) => [k.notify, k.nothing])]);
const preparedName = (text: string): string | undefined => (PREPARED.has(text) ? statementName(text) : undefined);

/**
 * The ledger's primitives on one PostgreSQL transaction (READ COMMITTED) on one pooled
 * client. Rows are locked with FOR UPDATE in ascending id order, tasks before queue
 * admission before jobs, as ledger-tx.ts asks; every write of a batch is one statement.
 * The store commits, and sends the wake-ups this transaction collected.
 */
export class PostgresLedgerTx implements LedgerTx {
  readonly wakeSites = new Set<string>();
  wakeEvents = false;
  /** The named events of the events this transaction appended (see WakeSignal.named); null until it appends one. */
  namedEvents: Set<NamedEvent> | null = null;
  /** The events this transaction appended, in order, and the ids they drew once known (see committedEvents). */
  private readonly appended: NewEvent[] = [];
  private appendedIds: number[] = [];
  /** Writes not sent yet (with `deferWrites`), at most one per table, sent before the next statement or in `flushAndCommit`. */
  private readonly pending: { table: string; sql: string; params: unknown[] }[] = [];
  private readonly rollup = new RollupBook();
  /** Job rows locked ahead by lockTasksAndJobs, each answering lockJobs once, until a write to jobs. */
  private lockedJobs = new Map<number, JobRow>();
  /** Every statement but the deferred writes: they go first. */
  private readonly db: Queryable;

  readonly sql: SqlExecutor;

  /**
   * With `deferWrites`, the task, job and event writes of a batch are held back and sent
   * together with the next statement, as data-modifying CTEs (one round trip instead of
   * several): before a statement that reads their tables in a statement of their own, else
   * ahead of it in the same one (lockJobs after the task writes), and at the end in
   * `flushAndCommit` (with the commit's NOTIFY). A verb that reads through another connection object
   * meanwhile must not use it: only the worker verbs and bulk operation batches, whose bodies
   * use this object alone, do.
   */
  constructor(
    private readonly client: Queryable,
    private readonly map: RowMapper,
    readonly now: number,
    private readonly deferWrites: boolean,
    readonly fullQueues: Set<string>,
    /** What the store's previous claim found: the queues blocked and whether any queue has a concurrency limit (null: no claim yet), the next claim's guess (see claimTasks). */
    private readonly lastClaim: LastClaim,
    plansOnce = false,
  ) {
    this.db = {
      query: async (text, values) => {
        await this.sendPending();
        if (WRITES_JOBS.has(text)) this.lockedJobs.clear();
        return this.client.query(text, values, preparedName(text));
      },
    };
    // Envelope and schedule SQL goes through the same door: held writes are sent first. It is
    // not the ledger's fixed statements: in a transaction begun with PLAN_ONCE, it plans as usual.
    let usual = !plansOnce;
    this.sql = postgresScheduleExecutor({
      query: async (text, values) => {
        this.lockedJobs.clear();
        if (!usual) {
          usual = true;
          await this.db.query(PLAN_AS_USUAL);
        }
        return this.db.query(text, values);
      },
    });
  }

  /** Holds a write back (with `deferWrites`), or sends it now. */
  private async write(table: string, sql: string, params: unknown[]): Promise<void> {
    if (!this.deferWrites) {
      await this.client.query(sql, params, preparedName(sql));
      return;
    }
    if (table === 'jobs') this.lockedJobs.clear();
    // Two writes to one table in one statement would not see each other: the earlier goes first.
    if (this.pending.some((write) => write.table === table)) await this.sendPending();
    this.pending.push({ table, sql, params });
  }

  private async sendPending(): Promise<void> {
    if (this.pending.length > 0) await this.sendHeld('nothing', []);
  }

  /**
   * Sends the held writes ending with `end` (SQL.notify or SQL.nothing), noting the ids a held
   * event insert drew. The statement is handed to the connection before this returns.
   */
  private sendHeld(end: 'notify' | 'nothing', params: unknown[]): Promise<void> {
    const taking = TAKING_EVENT_IDS[this.pending.findIndex((write) => write.table === 'events')];
    const sent = this.withPending(taking === undefined ? SQL[end] : taking[end], params);
    return sent.then(({ rows }) => {
      if (taking === undefined) return;
      for (const id of (rows[0]?.event_ids as (string | number)[] | null) ?? []) this.appendedIds.push(Number(id));
    });
  }

  /** Runs `sql` with the held writes ahead of it in one statement; `sql` must not read their tables. */
  private withPending(sql: string, params: unknown[]): Promise<pg.QueryResult<DbRow>> {
    const writes = this.pending.splice(0);
    if (writes.length === 0) return this.client.query(sql, params, preparedName(sql));
    const all: unknown[] = [];
    for (const write of writes) all.push(...write.params);
    all.push(...params);
    // Made of fixed texts only, the combination is fixed too (a handful per verb): prepared,
    // and its text made once.
    const fixed = PREPARED.has(sql) && writes.every((write) => PREPARED.has(write.sql));
    if (!fixed) return this.client.query(combinedStatement(writes, sql), all);
    // Keyed by the texts' statement names (memoized per text): a short key, not the texts joined.
    const key = `${writes.map((write) => statementName(write.sql)).join(' ')} ${statementName(sql)}`;
    let combined = COMBINED.get(key);
    if (combined === undefined) {
      const text = combinedStatement(writes, sql);
      combined = { text, name: statementName(text) };
      COMBINED.set(key, combined);
    }
    return this.client.query(combined.text, all, combined.name);
  }

  /**
   * Ends the transaction: the held writes, with `notify` (the commit's NOTIFY) in the same
   * statement when given, a held event insert answering its ids there (see committedEvents);
   * then `commit` (the COMMIT and what goes with it) right behind them, without waiting for
   * their answer: both travel in one round trip on the pool's pipelined connections. For a
   * transaction that has begun and holds writes (hasPending). Should the writes fail,
   * PostgreSQL answers the COMMIT with a rollback, and their error is thrown.
   */
  async flushAndCommit(notify: { channel: string; payload: string } | undefined, commit: string): Promise<void> {
    const held = this.sendHeld(notify ? 'notify' : 'nothing', notify ? [notify.channel, notify.payload] : []);
    await bothSettled(held, this.client.query(commit));
  }

  /**
   * The events this transaction appended as records with their ids, for the wake-up after its
   * commit (see WakeSignal.committed), when every one's id is known: the event feed then need
   * not read back what this process just wrote. Null otherwise.
   */
  committedEvents(): EventRecord[] | null {
    if (this.appended.length === 0 || this.appendedIds.length !== this.appended.length) return null;
    return this.appended.map((event, i) => ({
      id: this.appendedIds[i],
      at: event.at,
      type: event.type,
      jobId: event.jobId,
      taskId: event.taskId,
      site: event.site,
      data: event.data,
    }));
  }

  /** Whether writes are held back. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  async lockTasks(ids: number[]): Promise<TaskRow[]> {
    if (ids.length === 0) return [];
    return (await rows(this.db, SQL.lockTasks, [ids])).map(this.map.taskRow);
  }

  async lockJobTasks(jobId: number, states: TaskState[] | null): Promise<TaskRow[]> {
    const found = states === null ? await rows(this.db, SQL.lockJobTasksAll, [jobId]) : await rows(this.db, SQL.lockJobTasksIn, [jobId, states]);
    return found.map(this.map.taskRow);
  }

  async lockTasksOfJobs(jobIds: number[], states: readonly TaskState[] | null): Promise<TaskRow[]> {
    if (jobIds.length === 0) return [];
    const found = states === null ? await rows(this.db, SQL.lockTasksOfJobsAll, [jobIds]) : await rows(this.db, SQL.lockTasksOfJobsIn, [jobIds, states]);
    return found.map(this.map.taskRow);
  }

  /**
   * The tasks' rows and their jobs' in one round trip: tasks first, then jobs, in the order
   * locks are taken. A completion settles every task's job, so it would lock them next anyway.
   */
  async lockTasksAndJobs(ids: number[]): Promise<TaskRow[]> {
    if (ids.length === 0) return [];
    await this.sendPending();
    const [tasks, jobs] = await bothSettled(
      this.client.query(SQL.lockTasks, [ids], preparedName(SQL.lockTasks)),
      this.client.query(SQL.lockJobsOfTasks, [ids], preparedName(SQL.lockJobsOfTasks)),
    );
    this.lockedJobs = new Map(jobs.rows.map((r) => this.lockedJob(r)).map((job) => [job.id, job]));
    return tasks.rows.map(this.map.taskRow);
  }

  async lockJobs(ids: number[]): Promise<JobRow[]> {
    if (ids.length === 0) return [];
    // Locked ahead and not written since: no statement (see lockTasksAndJobs).
    const ahead = ids.map((id) => this.lockedJobs.get(id));
    for (const id of ids) this.lockedJobs.delete(id);
    if (ahead.every((job) => job !== undefined)) return ahead.sort((a, b) => a.id - b.id);
    // Held task writes travel with it: it reads jobs only.
    if (this.pending.some((write) => write.table === 'jobs')) await this.sendPending();
    return (await this.withPending(SQL.lockJobs, [ids])).rows.map((r) => this.lockedJob(r));
  }

  /** A job row as lockJobs reads it: its columns, created_at, concurrency_slot and holds_locks (as columns, or keys of a JSON object). */
  private lockedJob(r: DbRow): JobRow {
    const job = this.map.jobRow(r);
    this.rollup.seen(job.id, job, Number(r.created_at));
    job.concurrencySlot = (r.concurrency_slot as ConcurrencySlot | null) ?? null;
    job.holdsLocks = r.holds_locks === true;
    return job;
  }

  /**
   * Both reads go out at once (one round trip on the pool's pipelined connections): the claim
   * skips the queues the previous claim of this store found blocked, and runs again, in the
   * same transaction, only when the queues blocked now differ (a queue paused, resumed, filled
   * or freed since). Tasks the first claim locked and the second does not take stay queued;
   * their locks end with the transaction.
   *
   * While leases come back small (a worker waiting for work, where the round trip is the
   * latency) and no queue has a concurrency limit, the claim also locks the claimed tasks'
   * jobs, tasks first, for the lease's lockJobs: one round trip fewer. A big batch pays the
   * round trip rather than carry its jobs' rows as JSON (5 % of a drain). With a limit, jobs are
   * locked only after the queue's admission (see admit in lease.ts): a lease holding a job
   * while it waits for admission could deadlock with one holding admission while it waits for
   * the job.
   */
  async claimTasks(claim: ClaimRequest, blocked: (queues: QueueState[]) => string[]): Promise<{ queues: QueueState[]; claimed: ClaimedTask[] }> {
    if (claim.limit <= 0 || claim.workflows.length === 0) return { queues: toQueueStates(await rows(this.db, SQL.queueStates)), claimed: [] };
    await this.sendPending();
    const guess = { ...this.lastClaim };
    const claimSql = guess.limits === false && guess.claimed <= SMALL_CLAIM ? SQL.claimWithJobs : SQL.claim;
    const [states, first] = await bothSettled(
      this.client.query(SQL.queueStates, [], preparedName(SQL.queueStates)),
      this.client.query(claimSql, claimParams(claim, guess.blocked), preparedName(claimSql)),
    );
    const queues = toQueueStates(states.rows);
    const blockedNow = blocked(queues);
    this.lastClaim.blocked = blockedNow;
    this.lastClaim.limits = queues.some((queue) => queue.concurrency !== null);
    this.lastClaim.claimed = first.rows.length;
    if (!sameNames(blockedNow, guess.blocked))
      return { queues, claimed: (await rows(this.db, SQL.claim, claimParams(claim, blockedNow))).map((r) => this.claimed(r)) };
    // A limit set since the guess: these jobs were locked ahead of admission all the same. Should
    // that deadlock, PostgreSQL ends one transaction within deadlock_timeout and it runs again.
    if (claimSql === SQL.claimWithJobs) {
      for (const r of (first.rows[0]?.locked_jobs as DbRow[] | null | undefined) ?? []) this.lockedJobs.set(Number(r.id), this.lockedJob(r));
    }
    return { queues, claimed: first.rows.map((r) => this.claimed(r)) };
  }

  private claimed(r: DbRow): ClaimedTask {
    return {
      row: this.map.taskRow(r),
      jobUnstarted: r.j_unstarted === true,
      retryItems: r.t_retry_items === true,
      key: (r.t_key as string | null) ?? null,
      input: this.map.json(r.t_input),
      createdAt: Number(r.t_created_at),
      job: {
        id: Number(r.job_id),
        workflow: r.workflow as string,
        site: r.site as string,
        queue: r.j_queue as string,
        creator: r.j_creator as string,
        fields: (this.map.json(r.j_fields) ?? {}) as Record<string, Json>,
      },
    };
  }

  /**
   * One transaction-scoped advisory lock per queue, taken in name order so that two hubs
   * admitting into the same queues cannot deadlock. The slot count is read after the locks:
   * under READ COMMITTED that statement sees every admission committed before ours.
   */
  async lockQueueAdmission(queues: string[]): Promise<Map<string, number>> {
    const sorted = [...new Set(queues)].sort();
    // The locks, then the count, in one round trip: each waits in turn on the server.
    await this.sendPending();
    const locks = sorted.map((queue) => this.client.query(SQL.admissionLock, [queue], preparedName(SQL.admissionLock)));
    const counted = this.client.query(SQL.slotsTaken, [sorted], preparedName(SQL.slotsTaken));
    const [found] = await bothSettled(counted, Promise.all(locks));
    return new Map(found.rows.map((r) => [r.name as string, Number(r.active)]));
  }

  async lockResourceAdmission(): Promise<void> {
    await this.db.query(SQL.resourceAdmission);
  }

  async holdLocks(jobId: number, locks: ResourceLock[]): Promise<void> {
    if (locks.length === 0) return;
    await this.db.query(SQL.holdLocks, [jobId, locks.map((l) => l.key), locks.map((l) => l.mode)]);
  }

  async lockHolders(jobId: number, locks: ResourceLock[]): Promise<number[]> {
    return this.holders(SQL.lockHolders, [jobId], locks);
  }

  async laterLockHolders(jobId: number, locks: ResourceLock[], startedAfter: number): Promise<number[]> {
    return this.holders(SQL.laterHolders, [jobId, startedAfter], locks);
  }

  /**
   * Runs one overlap query per lock (key, ancestors, descendant range, after `leading`) and
   * merges the job ids, in admission order when the rows say it (`seq`), else in id order.
   */
  private async holders(sql: string, leading: unknown[], locks: ResourceLock[]): Promise<number[]> {
    const order = new Map<number, number>();
    for (const lock of locks) {
      const [from, to] = lockKeyDescendantRange(lock.key);
      const found = await rows(this.db, sql, [...leading, lock.key, lockKeyAncestors(lock.key), from, to, lock.mode === 'shared']);
      for (const r of found) if (r.job_id !== null) order.set(Number(r.job_id), Number(r.seq ?? r.job_id));
    }
    return [...order].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }

  async locksOf(jobIds: number[]): Promise<Map<number, ResourceLock[]>> {
    if (jobIds.length === 0) return new Map();
    return groupLocks(await rows(this.db, SQL.locksOf, [jobIds]));
  }

  async releaseLocks(jobIds: number[], now: number): Promise<number> {
    if (jobIds.length === 0) return 0;
    return (await this.db.query(SQL.releaseLocks, [now, jobIds])).rowCount ?? 0;
  }

  async lockWaiters(jobIds: number[]): Promise<{ id: number; sites: string[] }[]> {
    if (jobIds.length === 0) return [];
    return (await rows(this.db, SQL.lockWaiters, [jobIds])).map((r) => ({ id: Number(r.id), sites: jobSitesOf(r) }));
  }

  async setLockWait(jobId: number, waitOn: number | null): Promise<void> {
    await this.db.query(SQL.setLockWait, [waitOn, jobId]);
  }

  async holdTasks(jobIds: number[], held: boolean): Promise<void> {
    if (jobIds.length > 0) await this.db.query(SQL.holdTasks, [held, jobIds]);
  }

  async setConcurrencyLimits(workflow: string, limits: ConcurrencyLimits): Promise<void> {
    await this.db.query(SQL.setConcurrencyLimits, [workflow, limits.limit, limits.perKey, this.now]);
  }

  async concurrencyLimits(workflow: string): Promise<ConcurrencyLimits | null> {
    const [r] = await rows(this.db, SQL.concurrencyLimits, [workflow]);
    return r ? { limit: optNumber(r.concurrency_limit), perKey: optNumber(r.per_key) } : null;
  }

  async enterConcurrencyLine(jobs: { id: number; key: string | null }[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.db.query(SQL.enterConcurrencyLine, [jobs.map((j) => j.id), jobs.map((j) => j.key)]);
  }

  async heldConcurrency(workflow: string, keys: string[] | null): Promise<Map<string | null, number>> {
    const found = keys === null ? await rows(this.db, SQL.heldConcurrency, [workflow]) : await rows(this.db, SQL.heldConcurrencyOfKeys, [workflow, keys]);
    return new Map(found.map((r) => [(r.concurrency_key as string | null) ?? null, Number(r.n)]));
  }

  async concurrencyCandidates(query: { workflow: string; skipKeys: string[]; afterId: number; limit: number }): Promise<ConcurrencyCandidate[]> {
    return (await rows(this.db, SQL.concurrencyCandidates, [query.workflow, query.afterId, query.skipKeys, query.limit])).map(toCandidate);
  }

  async concurrencyCandidatesOfKeys(workflow: string, wants: { key: string; limit: number }[]): Promise<ConcurrencyCandidate[]> {
    if (wants.length === 0) return [];
    const found = await rows(this.db, SQL.concurrencyCandidatesOfKeys, [workflow, wants.map((w) => w.key), wants.map((w) => w.limit)]);
    return found.map(toCandidate);
  }

  async setConcurrencySlot(jobIds: number[], slot: ConcurrencySlot): Promise<void> {
    if (jobIds.length > 0) await this.db.query(SQL.setConcurrencySlot, [slot, jobIds]);
  }

  async concurrencyOf(jobIds: number[], released = false): Promise<Map<number, ConcurrencyStanding>> {
    if (jobIds.length === 0) return new Map();
    const found = await rows(this.db, SQL.concurrencyOf, [jobIds, released]);
    return new Map(
      found.map((r) => [
        Number(r.id),
        { workflow: r.workflow as string, key: (r.concurrency_key as string | null) ?? null, slot: r.concurrency_slot as ConcurrencySlot },
      ]),
    );
  }

  async lockExpiredLeases(now: number, limit: number): Promise<TaskRow[]> {
    return (await rows(this.db, SQL.expired, [now, limit])).map(this.map.taskRow);
  }

  async lockLeasesOf(workerId: string, limit: number): Promise<TaskRow[]> {
    return (await rows(this.db, SQL.leasesOf, [workerId, limit])).map(this.map.taskRow);
  }

  async timedOutJobIds(now: number, limit: number): Promise<number[]> {
    return (await rows(this.db, SQL.timedOut, [now, limit])).map((r) => Number(r.id));
  }

  async dependencyEdges(dependsOn: number[]): Promise<DependencyEdge[]> {
    if (dependsOn.length === 0) return [];
    return (await rows(this.db, SQL.edgesFrom, [dependsOn])).map(toEdge);
  }

  async tasksByKey(jobId: number, keys: string[]): Promise<Map<string, KeyedTask>> {
    if (keys.length === 0) return new Map();
    const found = await rows(this.db, SQL.tasksByKey, [jobId, keys]);
    return new Map(found.map((r) => [r.key as string, { id: Number(r.id), state: r.state as TaskState }]));
  }

  async currentItemsOf(jobId: number, paths: readonly string[]): Promise<CurrentItem[]> {
    if (paths.length === 0) return [];
    return currentItemsFrom(await rows(this.db, SQL.itemsOfPaths, [jobId, paths]));
  }

  async jobIdsByIdempotencyKey(keys: string[]): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const found = await rows(this.db, SQL.jobsByKey, [keys]);
    return new Map(found.map((r) => [r.idempotency_key as string, Number(r.id)]));
  }

  async insertJobs(batch: NewJobRow[]): Promise<number[]> {
    if (batch.length === 0) return [];
    const ids = (await rows(this.db, SQL.insertJobs, unnestParams(JOB_INSERT, batch))).map((r) => Number(r.id));
    batch.forEach((job, i) => {
      this.rollup.inserted(ids[i], job);
    });
    return ids;
  }

  async insertTasks(batch: NewTaskRow[]): Promise<number[]> {
    if (batch.length === 0) return [];
    return (await rows(this.db, SQL.insertTasks, unnestParams(TASK_INSERT, batch))).map((r) => Number(r.id));
  }

  async insertDependencies(edges: DependencyEdge[]): Promise<void> {
    if (edges.length > 0) await this.db.query(SQL.insertEdges, unnestParams(EDGE_INSERT, edges));
  }

  async updateTasks(changes: TaskChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    // One UPDATE applies at most one source row per target row: a task listed twice is written once.
    const unique = [...new Map(changes.map((change) => [change.row.id, change])).values()];
    if (this.deferWrites) {
      // Every caller locked these rows in this transaction: the guard holds, and all apply.
      await this.write('tasks', SQL.updateTasks, unnestParams(TASK_UPDATE, unique));
      return unique.length;
    }
    return (await this.db.query(SQL.updateTasks, unnestParams(TASK_UPDATE, unique))).rowCount ?? 0;
  }

  async updateJobs(batch: JobRow[]): Promise<void> {
    if (batch.length === 0) return;
    await this.write('jobs', SQL.updateJobs, unnestParams(JOB_UPDATE, batch));
    for (const job of batch) this.rollup.updated(job.id, job);
  }

  async pauseQueuesOnFailure(queues: string[]): Promise<void> {
    if (queues.length > 0) await this.db.query(SQL.pauseOnFailure, [this.now, queues]);
  }

  async insertEvents(events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.namedEvents = namedEventsOf(events, this.namedEvents);
    this.appended.push(...events);
    if (!this.deferWrites) {
      for (const row of (await this.db.query(SQL.insertEvents, unnestParams(EVENT_INSERT, events))).rows) this.appendedIds.push(Number(row.id));
      return;
    }
    await this.write('events', SQL.insertEvents, unnestParams(EVENT_INSERT, events));
  }

  insertJobAudit(entries: JobAudit[], at: number): Promise<void> {
    return writeJobAudit(this.sql, entries, at);
  }

  async insertItems(jobId: number, taskId: number, at: number, items: readonly NewItem[], superseded: ReadonlySet<number>): Promise<void> {
    if (items.length === 0) return;
    await this.db.query(SQL.insertItems, [
      jobId,
      taskId,
      at,
      ...unnestParams(ITEM_INSERT, items),
      itemSummaries(items).map((grams) => Buffer.from(grams.buffer, grams.byteOffset, grams.byteLength)),
      // Ordinals (from 1) of the items written superseded.
      [...superseded].map((index) => index + 1),
    ]);
  }

  async insertLogs(taskId: number, firstSeq: number, lines: string[], at: number): Promise<void> {
    if (lines.length > 0) await this.db.query(SQL.insertLogs, [taskId, firstSeq, at, lines]);
  }

  async deleteJobs(jobIds: number[]): Promise<void> {
    if (jobIds.length === 0) return;
    for (const r of await rows(this.db, SQL.deleteJobs, [jobIds])) this.rollup.deleted(Number(r.id), rollupJobOf(r));
  }

  async knownSites(names: string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    return new Set((await rows(this.db, SQL.knownSites, [names])).map((r) => r.name as string));
  }

  async addJobSites(pairs: { jobId: number; site: string }[]): Promise<void> {
    if (pairs.length === 0) return;
    await this.db.query(SQL.addJobSites, [pairs.map((p) => p.jobId), pairs.map((p) => p.site)]);
  }

  /**
   * The transaction's roll-up changes as one upsert with its values inline (and its queue
   * count changes as a second), or null: the
   * store sends it in the same simple-query round trip as the NOTIFY and COMMIT, so the
   * roll-up costs no round trip and its rows (the hottest in the schema: every transaction
   * of a busy minute adds to the same few) stay locked only while the transaction commits.
   * Rows go in key order (RollupBook.drain): two transactions never wait on each other's
   * rows in opposite orders. `literal` quotes text (pg's escapeLiteral).
   */
  rollupSql(literal: (text: string) => string): string | null {
    const { rollup, queues } = this.rollup.drain();
    const int = (n: number) => {
      if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
      return String(n);
    };
    const statements: string[] = [];
    if (rollup.length > 0) {
      const values = rollup.map(
        (d) => `(${int(d.kind)}, ${int(d.minute)}, ${literal(d.site)}, ${literal(d.workflow)}, ${literal(d.state)}, ${int(d.bin)}, ${int(d.n)})`,
      );
      statements.push(`INSERT INTO ${ROLLUP_TABLE} AS r (kind, minute, site, workflow, state, bin, n) VALUES ${values.join(', ')}
        ON CONFLICT (kind, minute, site, workflow, state, bin) DO UPDATE SET n = r.n + excluded.n`);
    }
    // Always after the roll-up's rows: every transaction locks the two tables' rows in one order.
    if (queues.length > 0) {
      const values = queues.map((d) => `(${literal(d.queue)}, ${literal(d.site)}, ${literal(d.state)}, ${int(d.started)}, ${int(d.n)})`);
      statements.push(`INSERT INTO ${QUEUE_COUNTS_TABLE} AS c (queue, site, state, started, n) VALUES ${values.join(', ')}
        ON CONFLICT (queue, site, state, started) DO UPDATE SET n = c.n + excluded.n`);
    }
    return statements.length === 0 ? null : statements.join('; ');
  }

  wakeAfterCommit(sites: string[], events: boolean): void {
    for (const site of sites) this.wakeSites.add(site);
    if (events) this.wakeEvents = true;
  }
}

function toEdge(r: DbRow): DependencyEdge {
  return { jobId: Number(r.job_id), taskId: Number(r.task_id), dependsOn: Number(r.depends_on) };
}

const toCandidate = (r: DbRow): ConcurrencyCandidate => ({ id: Number(r.id), sites: jobSitesOf(r), key: (r.concurrency_key as string | null) ?? null });

const optNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** What a store's last claim found of the queues (see PostgresLedgerTx.claimTasks). */
export interface LastClaim {
  blocked: string[];
  limits: boolean | null;
  /** How many tasks it took. */
  claimed: number;
}

/** Leases of at most this many tasks are the ones whose claim locks their jobs too (see claimTasks). */
const SMALL_CLAIM = 4;

const claimParams = (claim: ClaimRequest, blocked: string[]) => [claim.site, claim.now, claim.workflows, blocked, claim.limit];

function toQueueStates(found: DbRow[]): QueueState[] {
  return found.map((r) => ({
    name: r.name as string,
    paused: r.paused === true,
    concurrency: r.concurrency === null ? null : Number(r.concurrency),
    activeJobs: Number(r.active),
  }));
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const names = new Set(a);
  return b.every((name) => names.has(name));
}

/** Two statements in flight together: both answers, or the first failure once both have settled (neither left unhandled). */
async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}
