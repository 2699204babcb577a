import { durationBinSql, minuteSql } from '../dashboard-rollup.js';
/**
 * SQLite schema migrations, compiled into the code and numbered like PostgreSQL's
 * (postgres-migrations.ts): migration N does the same thing in both. Never edit a released
 * migration; add the next number.
 *
 * Instants are INTEGER epoch milliseconds; JSON columns are TEXT; booleans are 0/1.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const sqliteMigrations: Migration[] = [
  {
    version: 1,
    name: 'core schema',
    sql: `
CREATE TABLE sites (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);

CREATE TABLE queues (
  name TEXT PRIMARY KEY,
  concurrency INTEGER,
  paused INTEGER NOT NULL DEFAULT 0,
  pause_on_failure INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow TEXT NOT NULL,
  site TEXT NOT NULL,
  queue TEXT NOT NULL,
  creator TEXT NOT NULL,
  state TEXT NOT NULL,
  intent TEXT NOT NULL DEFAULT 'run',
  outcome TEXT,
  reason TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  fields TEXT NOT NULL,
  idempotency_key TEXT,
  parent_job_id INTEGER,
  task_counts TEXT NOT NULL,
  item_counts TEXT NOT NULL,
  progress_done INTEGER NOT NULL DEFAULT 0,
  progress_total INTEGER NOT NULL DEFAULT 0,
  changed INTEGER NOT NULL DEFAULT 0,
  timeout_ms INTEGER,
  deadline_at INTEGER,
  run_at INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_site_id ON jobs (site, id);
CREATE INDEX jobs_state_id ON jobs (state, id);
CREATE INDEX jobs_queue_state ON jobs (queue, state);
CREATE INDEX jobs_workflow_id ON jobs (workflow, id);
CREATE INDEX jobs_creator_id ON jobs (creator, id);
CREATE INDEX jobs_created_at ON jobs (created_at, id);
-- No index on updated_at or deadline_at: both change on every job update, and an index on
-- either would make every such update rewrite every index (no HOT updates on PostgreSQL).
-- Overdue jobs are found through the state index (only running jobs have deadlines).

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL,
  site TEXT NOT NULL,
  workflow TEXT NOT NULL,
  type TEXT NOT NULL,
  key TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  input TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  backoff_ms INTEGER NOT NULL,
  max_backoff_ms INTEGER NOT NULL,
  available_at INTEGER NOT NULL,
  lease_token TEXT,
  lease_expires_at INTEGER,
  worker_id TEXT,
  progress_done INTEGER NOT NULL DEFAULT 0,
  progress_total INTEGER NOT NULL DEFAULT 1,
  changed INTEGER NOT NULL DEFAULT 0,
  result TEXT,
  error TEXT,
  reason TEXT,
  items_failed INTEGER NOT NULL DEFAULT 0,
  log_lines INTEGER NOT NULL DEFAULT 0,
  pending_deps INTEGER NOT NULL DEFAULT 0,
  dependents INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tasks_job ON tasks (job_id, id);
CREATE UNIQUE INDEX tasks_job_key ON tasks (job_id, key) WHERE key IS NOT NULL;
CREATE INDEX tasks_ready ON tasks (site, priority DESC, id) WHERE state = 'queued';
CREATE INDEX tasks_lease_expiry ON tasks (lease_expires_at) WHERE lease_expires_at IS NOT NULL;

CREATE TABLE task_deps (
  depends_on INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  job_id INTEGER NOT NULL,
  PRIMARY KEY (depends_on, task_id)
) WITHOUT ROWID;
CREATE INDEX task_deps_task ON task_deps (task_id);
CREATE INDEX task_deps_job ON task_deps (job_id);

CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  operation TEXT NOT NULL,
  outcome TEXT NOT NULL,
  bytes INTEGER,
  error TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX items_job_outcome ON items (job_id, outcome, id);
CREATE INDEX items_job_path ON items (job_id, path, id);

CREATE TABLE task_logs (
  task_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;

-- No AUTOINCREMENT: its bookkeeping costs a write per event, and ids still only grow
-- because retention never removes the newest event.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  job_id INTEGER,
  task_id INTEGER,
  site TEXT,
  data TEXT NOT NULL
);
CREATE INDEX events_job ON events (job_id, id);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  site TEXT,
  data TEXT NOT NULL
);
CREATE INDEX audit_target ON audit (target, id);

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  sites TEXT,
  created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL,
  csrf_token TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  sites TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);

CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  site TEXT NOT NULL,
  host TEXT NOT NULL,
  workflows TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);

CREATE TABLE duties (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'users: disabled, password change; sessions by user',
    sql: `
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
-- Signing a user out everywhere deletes its sessions by user.
CREATE INDEX sessions_user ON sessions (user_id);
`,
  },
  {
    version: 3,
    name: 'tokens: expiry and revocation',
    sql: `
ALTER TABLE tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE tokens ADD COLUMN revoked_at INTEGER;
`,
  },
  {
    version: 4,
    name: 'workers: owner',
    sql: `
-- The token that registered the worker; '' for none (in-process workers, rows from before).
ALTER TABLE workers ADD COLUMN owner TEXT NOT NULL DEFAULT '';
`,
  },
  {
    version: 5,
    name: 'jobs: queue counts per site',
    sql: `
-- Queue counts per site (active, waiting, oldest waiting) read a range of this index; its
-- (queue, state) prefix serves what jobs_queue_state served. created_at never changes and
-- site never does, so the wider index costs no more writes than the one it replaces.
DROP INDEX jobs_queue_state;
CREATE INDEX jobs_queue_state_site ON jobs (queue, state, site, created_at);
`,
  },
  {
    version: 6,
    name: 'audit: by site and by actor',
    sql: `
-- Scoped actors list the audit trail of their sites, and anyone may filter by actor. Audit
-- rows are only ever inserted, so these indexes cost one entry per insert each.
CREATE INDEX audit_site ON audit (site, id);
CREATE INDEX audit_actor ON audit (actor, id);
`,
  },
  {
    version: 7,
    name: 'jobs: search text',
    sql: `
-- Free-text search matches this column instead of the raw fields, so that secret fields
-- are never searchable. Jobs from before have no record of which fields were secret: they
-- keep their fields' JSON text, as search saw it until now.
ALTER TABLE jobs ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE jobs SET search_text = fields;
`,
  },
  {
    version: 8,
    name: 'resource locks between jobs',
    sql: `
-- The resources each job declared (model/resource-locks.ts), kept after release so that a
-- retry can tell whether a later job ran against the same resources. Overlapping keys are
-- found as equal keys, ancestors (listed by the caller) and a key range, so byte order must
-- hold for the range: SQLite compares text byte by byte.
CREATE TABLE job_locks (
  job_id INTEGER NOT NULL,
  lock_key text NOT NULL,
  mode text NOT NULL,
  released_at INTEGER,
  PRIMARY KEY (job_id, lock_key)
);
CREATE INDEX job_locks_held ON job_locks (lock_key) WHERE released_at IS NULL;
CREATE INDEX job_locks_key ON job_locks (lock_key, job_id);
-- The earlier job whose lock this one waits for; its tasks are not leased while it is set.
ALTER TABLE jobs ADD COLUMN lock_wait_on INTEGER;
CREATE INDEX jobs_lock_wait ON jobs (lock_wait_on) WHERE lock_wait_on IS NOT NULL;
`,
  },
  {
    version: 9,
    name: 'jobs: progress in task shares',
    sql: `
-- Job progress is now counted in shares of 1000 units per task (src/model/progress.ts); it
-- used to be the raw sum of the tasks' own units. Recount every job from its tasks. A task
-- that ended before this knew no difference between finishing and stopping: it counts full.
UPDATE jobs SET
  progress_total = 1000 * (SELECT COUNT(*) FROM tasks t WHERE t.job_id = jobs.id),
  progress_done = (
    SELECT COALESCE(SUM(CASE
      WHEN t.state IN ('success', 'error', 'skipped') THEN 1000
      WHEN t.progress_total > 0 AND t.progress_done > 0 THEN (1000 * MIN(t.progress_done, t.progress_total)) / t.progress_total
      ELSE 0 END), 0)
    FROM tasks t WHERE t.job_id = jobs.id);
`,
  },
  {
    version: 10,
    name: 'schedules',
    sql: `
-- Recurring jobs (model/schedule.ts). next_run_at is the next slot the scheduler duty fires;
-- pending_slot_at a slot that waits for the previous run to end (overlap rule "queue").
CREATE TABLE schedules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  workflow TEXT NOT NULL,
  site TEXT NOT NULL,
  queue TEXT NOT NULL,
  fields TEXT NOT NULL,
  cron TEXT,
  every_ms INTEGER,
  timezone TEXT NOT NULL,
  overlap TEXT NOT NULL,
  catch_up TEXT NOT NULL,
  catch_up_limit INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  code_owned INTEGER NOT NULL,
  creator TEXT NOT NULL,
  next_run_at INTEGER,
  pending_slot_at INTEGER,
  last_slot_at INTEGER,
  last_job_id INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX schedules_site ON schedules (site, id);
-- Every slot that fired, once: the primary key is what makes a slot fire exactly once across
-- hubs and restarts (the firing transaction inserts it first and stops if it was there).
CREATE TABLE schedule_slots (
  schedule_id INTEGER NOT NULL,
  slot_at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  job_id INTEGER,
  fired_at INTEGER NOT NULL,
  PRIMARY KEY (schedule_id, slot_at)
);
ALTER TABLE jobs ADD COLUMN schedule_id INTEGER;
ALTER TABLE jobs ADD COLUMN slot_at INTEGER;
CREATE INDEX jobs_schedule_id ON jobs (schedule_id, id) WHERE schedule_id IS NOT NULL;
`,
  },
  {
    version: 11,
    name: 'notifications: subscriptions, delivery outbox, user e-mail',
    sql: `
ALTER TABLE users ADD COLUMN email TEXT;

-- A subscription is to one job (job_id) or a site rule (site, or all_sites).
CREATE TABLE subscriptions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL,
  job_id INTEGER,
  site TEXT,
  all_sites INTEGER NOT NULL DEFAULT 0,
  channel TEXT NOT NULL,
  address TEXT,
  url TEXT,
  secret TEXT,
  on_when TEXT NOT NULL,
  events TEXT NOT NULL DEFAULT '[]',
  delivery TEXT NOT NULL DEFAULT 'immediate',
  timezone TEXT NOT NULL DEFAULT 'UTC',
  created_at INTEGER NOT NULL
);
CREATE INDEX subscriptions_job ON subscriptions (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX subscriptions_rules ON subscriptions (id) WHERE job_id IS NULL;
CREATE INDEX subscriptions_user ON subscriptions (username, id);

-- The outbox: one row per event and subscription, so nothing is sent twice.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subscription_id INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  job_id INTEGER,
  username TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  read_at INTEGER,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_user ON deliveries (username, id);

-- The last event the notifier turned into deliveries.
CREATE TABLE notify_cursor (
  name TEXT PRIMARY KEY,
  last_event_id INTEGER NOT NULL
);
INSERT INTO notify_cursor (name, last_event_id) VALUES ('notifier', 0);
`,
  },
  {
    version: 12,
    name: 'concurrency per workflow and per key',
    sql: `
-- A job of a workflow with concurrency limits (model/concurrency.ts) has its key, computed
-- once at submission, and its place in the workflow's line: 'waiting', 'held' (admitted, not
-- ended) or 'released'. Admission counts 'held' rows, so each index holds only the few rows
-- of one kind.
ALTER TABLE jobs ADD COLUMN concurrency_key TEXT;
ALTER TABLE jobs ADD COLUMN concurrency_slot TEXT;
CREATE INDEX jobs_concurrency_held ON jobs (workflow, concurrency_key) WHERE concurrency_slot = 'held';
CREATE INDEX jobs_concurrency_line ON jobs (workflow, id) WHERE concurrency_slot = 'waiting';
CREATE INDEX jobs_concurrency_key_line ON jobs (workflow, concurrency_key, id) WHERE concurrency_slot = 'waiting';
-- The limits as the workflow last declared them at a submission: a slot that frees is given
-- by these, whichever hub submitted the job.
CREATE TABLE workflow_concurrency (
  workflow TEXT PRIMARY KEY,
  concurrency_limit INTEGER,
  per_key INTEGER,
  updated_at INTEGER NOT NULL
);
-- A task of a job that is not admitted yet (waiting for a lock or a concurrency slot) is
-- held: left out of the index that leasing reads, so waiting jobs cost the lease nothing.
ALTER TABLE tasks ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
UPDATE tasks SET held = 1 WHERE job_id IN (SELECT id FROM jobs WHERE lock_wait_on IS NOT NULL);
DROP INDEX tasks_ready;
CREATE INDEX tasks_ready ON tasks (site, priority DESC, id) WHERE state = 'queued' AND held = 0;
`,
  },
  {
    version: 13,
    name: 'workers: version',
    sql: `
-- What the worker reports it runs (the package version); null for workers from before.
ALTER TABLE workers ADD COLUMN version TEXT;
`,
  },
  {
    version: 14,
    name: 'retention per queue; finished jobs by end time',
    sql: `
-- Days a queue keeps its finished jobs (null: the workflow's, else the hub's default).
ALTER TABLE queues ADD COLUMN retain_days INTEGER;
-- Retention reads finished jobs oldest end first: a range of this index, never a scan of the
-- unfinished or recent jobs (ended_at is null until a job ends, and cleared by a retry).
CREATE INDEX IF NOT EXISTS jobs_prunable ON jobs (ended_at, id) WHERE ended_at IS NOT NULL;
`,
  },
  {
    version: 15,
    name: 'bulk operations; covering indexes for the dashboard',
    sql: `
-- A bulk action over many jobs (model/operation.ts), run in batches by one hub at a time.
-- cursor is the last job id handled: a restarted hub resumes after it.
CREATE TABLE IF NOT EXISTS operations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  action TEXT NOT NULL,
  filter TEXT,
  job_ids TEXT,
  options TEXT NOT NULL,
  actor TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  actor_sites TEXT,
  state TEXT NOT NULL,
  max_job_id INTEGER NOT NULL,
  cursor_id INTEGER NOT NULL,
  total INTEGER NOT NULL,
  done INTEGER NOT NULL,
  succeeded INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  reasons TEXT NOT NULL,
  error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_running ON operations (id) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS operations_actor ON operations (actor, id);
-- The dashboard's aggregates read only these (covering) indexes: jobs created, and jobs
-- ended with their durations, over a time window at some sites.
CREATE INDEX IF NOT EXISTS jobs_created_dash ON jobs (created_at, site, state);
CREATE INDEX IF NOT EXISTS jobs_ended_dash ON jobs (ended_at, site, workflow, state, started_at) WHERE ended_at IS NOT NULL;
-- The same, site first: what one site's dashboard (or a site-limited user's) reads.
CREATE INDEX IF NOT EXISTS jobs_site_created_dash ON jobs (site, created_at, state);
CREATE INDEX IF NOT EXISTS jobs_site_ended_dash ON jobs (site, ended_at, workflow, state, started_at) WHERE ended_at IS NOT NULL;
`,
  },
  {
    version: 16,
    name: 'envelopes: grouped, chained submissions and their rollback',
    sql: `
-- One submission (a file, a JSON list) that became jobs which belong together
-- (model/envelope-status.ts). job_counts holds the member jobs by state, kept in the same
-- transaction as the members change; status is derived from it and the envelope's own facts.
CREATE TABLE envelopes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  site TEXT NOT NULL,
  queue TEXT NOT NULL,
  creator TEXT NOT NULL,
  idempotency_key TEXT UNIQUE,
  file_name TEXT,
  on_error TEXT NOT NULL,
  intent TEXT NOT NULL DEFAULT 'run',
  rollback TEXT NOT NULL DEFAULT 'none',
  rollback_job_id INTEGER,
  corrupt INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  reason TEXT,
  problem TEXT,
  job_counts TEXT NOT NULL DEFAULT '{}',
  total_jobs INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX envelopes_site ON envelopes (site, id);
CREATE INDEX envelopes_status ON envelopes (status, id);
CREATE INDEX envelopes_type ON envelopes (type, id);
-- The chain: job_id runs after after_job_id (both members of envelope_id).
CREATE TABLE envelope_edges (
  envelope_id INTEGER NOT NULL,
  job_id INTEGER NOT NULL,
  after_job_id INTEGER NOT NULL,
  PRIMARY KEY (job_id, after_job_id)
);
CREATE INDEX envelope_edges_after ON envelope_edges (after_job_id);
-- envelope_wait_on keeps a member's tasks from being leased until the members it runs after
-- are through (as lock_wait_on does for locks). A rollback job undoes rollback_of (one job)
-- or, with envelope_id, its envelope.
ALTER TABLE jobs ADD COLUMN envelope_id INTEGER;
ALTER TABLE jobs ADD COLUMN envelope_wait_on INTEGER;
ALTER TABLE jobs ADD COLUMN rollback_of INTEGER;
ALTER TABLE jobs ADD COLUMN is_rollback INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_envelope ON jobs (envelope_id, id) WHERE envelope_id IS NOT NULL;
CREATE INDEX jobs_rollback_of ON jobs (rollback_of, id) WHERE rollback_of IS NOT NULL;
`,
  },
  {
    version: 17,
    name: 'jobs that span sites: job_sites',
    sql: `
-- The sites a job's tasks run at besides its own (home) site, one row each, written when a
-- task is planned or spawned at a site the job had not reached. Most jobs run at one site and
-- have no rows here, so the table stays small; its (site, job_id) index serves the jobs
-- list's site scope and filter ("jobs at site S": home site S, or a row here).
CREATE TABLE job_sites (
  job_id INTEGER NOT NULL,
  site TEXT NOT NULL,
  PRIMARY KEY (job_id, site)
);
CREATE INDEX job_sites_site ON job_sites (site, job_id);
`,
  },
  {
    version: 18,
    name: 'notifications: subscribe to an envelope or a schedule',
    sql: `
-- A subscription may target an envelope (told when it ends) or a schedule (told when each job
-- it fired ends) instead of one job; site rules have none of job_id, envelope_id, schedule_id.
ALTER TABLE subscriptions ADD COLUMN envelope_id INTEGER;
ALTER TABLE subscriptions ADD COLUMN schedule_id INTEGER;
CREATE INDEX subscriptions_envelope ON subscriptions (envelope_id) WHERE envelope_id IS NOT NULL;
CREATE INDEX subscriptions_schedule ON subscriptions (schedule_id) WHERE schedule_id IS NOT NULL;
`,
  },
  {
    version: 19,
    name: 'change sets of jobs; tasks re-run for their failed items',
    sql: `
-- A job's change set (R27): what its tasks found added, changed or removed, with sizes and, for
-- small text files (at most 64 KiB each), the text before and after. Read per job, by kind.
CREATE TABLE changes (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  change TEXT NOT NULL,
  size_before INTEGER,
  size_after INTEGER,
  text_before TEXT,
  text_after TEXT,
  text_omitted INTEGER NOT NULL DEFAULT 0,
  at INTEGER NOT NULL
);
CREATE INDEX changes_job ON changes (job_id, change, id);
-- Set on the tasks a retry with items: 'failed' re-runs: at lease their worker is handed the
-- paths whose last item by the task failed (ctx.task.retryPaths). Any other retry clears it.
ALTER TABLE tasks ADD COLUMN retry_items INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 20,
    name: 'jobs list at a million jobs: text index, queue indexes',
    sql: `
-- Free-text search (the jobs list's q) served by an index: FTS5 with the trigram tokenizer
-- over the job's text columns, external content (the text stays in jobs), so a phrase query
-- finds any substring of 3 characters or more, case-insensitively. search_text, never fields:
-- the engine leaves secret fields out of it. State and id are matched without it.
-- Kept in sync by triggers; only a change of one of these columns (reason, at a job's end or
-- while it stops) rewrites a job's entry. No column sizes (columnsize = 0): nothing ranks.
-- Indexing costs a bulk submit about 55 µs of CPU per job (its trigrams).
CREATE VIRTUAL TABLE jobs_search USING fts5(
  workflow, creator, site, queue, search_text, reason,
  content = 'jobs', content_rowid = 'id', tokenize = 'trigram', columnsize = 0
);
CREATE TRIGGER jobs_search_insert AFTER INSERT ON jobs BEGIN
  INSERT INTO jobs_search (rowid, workflow, creator, site, queue, search_text, reason)
    VALUES (new.id, new.workflow, new.creator, new.site, new.queue, new.search_text, new.reason);
END;
CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs BEGIN
  INSERT INTO jobs_search (jobs_search, rowid, workflow, creator, site, queue, search_text, reason)
    VALUES ('delete', old.id, old.workflow, old.creator, old.site, old.queue, old.search_text, old.reason);
END;
CREATE TRIGGER jobs_search_update AFTER UPDATE OF workflow, creator, site, queue, search_text, reason ON jobs
  WHEN old.reason IS NOT new.reason OR old.workflow IS NOT new.workflow OR old.creator IS NOT new.creator
    OR old.site IS NOT new.site OR old.queue IS NOT new.queue OR old.search_text IS NOT new.search_text
BEGIN
  INSERT INTO jobs_search (jobs_search, rowid, workflow, creator, site, queue, search_text, reason)
    VALUES ('delete', old.id, old.workflow, old.creator, old.site, old.queue, old.search_text, old.reason);
  INSERT INTO jobs_search (rowid, workflow, creator, site, queue, search_text, reason)
    VALUES (new.id, new.workflow, new.creator, new.site, new.queue, new.search_text, new.reason);
END;
-- The jobs already there.
INSERT INTO jobs_search (jobs_search) VALUES ('rebuild');

-- A queue's jobs newest first, and a queue's jobs in one state by workflow.
CREATE INDEX IF NOT EXISTS jobs_queue_id ON jobs (queue, id);
CREATE INDEX IF NOT EXISTS jobs_queue_state_workflow ON jobs (queue, state, workflow, id);
-- Sorts by start and end (the list orders by COALESCE(…, 0), keeping keyset comparisons total).
-- Each is written once in a job's life. None on updated_at: it changes on every update (on
-- PostgreSQL, an index on it would end HOT updates of progress and counters).
CREATE INDEX IF NOT EXISTS jobs_started_sort ON jobs (COALESCE(started_at, 0), id);
CREATE INDEX IF NOT EXISTS jobs_ended_sort ON jobs (COALESCE(ended_at, 0), id);
`,
  },
  {
    version: 21,
    name: 'dashboard roll-up and queue counts kept by the ledger',
    // Built from dashboard-rollup.ts's SQL helpers: they must not change (this migration is released with them).
    sql: `
-- The dashboard's counts per minute, kept by the ledger in the transactions that change jobs
-- (dashboard-rollup.ts): kind 0 jobs created (site, minute, state they are in now), 1 jobs
-- ended (site, minute, end state), 2 durations (site, workflow, minute ended, duration bin).
-- Key columns a kind does not use hold '' or 0.
CREATE TABLE dashboard_rollup (
  kind INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  site TEXT NOT NULL,
  workflow TEXT NOT NULL,
  state TEXT NOT NULL,
  bin INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (kind, minute, site, workflow, state, bin)
) WITHOUT ROWID;
-- The jobs already there, counted as the ledger counts them from now on (dashboard-rollup.ts).
INSERT INTO dashboard_rollup (kind, minute, site, workflow, state, bin, n)
  SELECT 0, ${minuteSql('created_at')}, site, '', state, 0, COUNT(*) FROM jobs GROUP BY 2, 3, 5;
INSERT INTO dashboard_rollup (kind, minute, site, workflow, state, bin, n)
  SELECT 1, ${minuteSql('ended_at')}, site, '', state, 0, COUNT(*) FROM jobs WHERE ended_at IS NOT NULL GROUP BY 2, 3, 5;
INSERT INTO dashboard_rollup (kind, minute, site, workflow, state, bin, n)
  SELECT 2, m, site, workflow, '', bin, COUNT(*) FROM (
    SELECT ${minuteSql('ended_at')} AS m, site, workflow, ${durationBinSql('(ended_at - started_at)')} AS bin
    FROM jobs WHERE ended_at IS NOT NULL AND started_at IS NOT NULL
  ) d GROUP BY m, site, workflow, bin;
-- The queues' live counts, kept the same way: jobs now waiting or holding a slot, per queue,
-- site, state and whether they started (1) or not (0).
CREATE TABLE queue_job_counts (
  queue TEXT NOT NULL,
  site TEXT NOT NULL,
  state TEXT NOT NULL,
  started INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (queue, site, state, started)
) WITHOUT ROWID;
INSERT INTO queue_job_counts (queue, site, state, started, n)
  SELECT queue, site, state, CASE WHEN started_at IS NULL THEN 0 ELSE 1 END, COUNT(*) FROM jobs
  WHERE state IN ('created', 'queued', 'running', 'pausing', 'paused', 'cancelling') GROUP BY 1, 2, 3, 4;
-- The dashboard reads the roll-up now: these only slowed down every change of a job.
DROP INDEX IF EXISTS jobs_created_dash;
DROP INDEX IF EXISTS jobs_ended_dash;
DROP INDEX IF EXISTS jobs_site_created_dash;
DROP INDEX IF EXISTS jobs_site_ended_dash;
`,
  },
  {
    version: 22,
    name: 'resource lock admission order',
    sql: `
-- The order in which jobs took their locks: a job waits only on holders admitted before it.
-- A submission draws the next number; so does a retry, which takes its place at the back of
-- the line (ordering by job id made a retried job and a later one wait on each other).
ALTER TABLE job_locks ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE job_locks SET seq = job_id;
CREATE TABLE job_lock_seq (n INTEGER NOT NULL);
INSERT INTO job_lock_seq (n) SELECT COALESCE(MAX(seq), 0) FROM job_locks;
`,
  },
  {
    version: 23,
    name: 'text index written in batches',
    sql: `
-- New jobs join the text index (migration 20) in batches, a moment after they are written
-- (SqliteSearchIndexer), rather than one FTS5 segment per transaction: an entry made in a
-- transaction of its own costs a single submission a fifth of its time. The index holds
-- exactly the jobs up to search_indexed.upto; the list matches the few later ones itself
-- (searchIndexSql), so a job is found the moment it is written.
DROP TRIGGER jobs_search_insert;
DROP TRIGGER jobs_search_delete;
DROP TRIGGER jobs_search_update;
CREATE TABLE search_indexed (upto INTEGER NOT NULL);
INSERT INTO search_indexed (upto) SELECT COALESCE(MAX(id), 0) FROM jobs;
CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs WHEN old.id <= (SELECT upto FROM search_indexed) BEGIN
  INSERT INTO jobs_search (jobs_search, rowid, workflow, creator, site, queue, search_text, reason)
    VALUES ('delete', old.id, old.workflow, old.creator, old.site, old.queue, old.search_text, old.reason);
END;
CREATE TRIGGER jobs_search_update AFTER UPDATE OF workflow, creator, site, queue, search_text, reason ON jobs
  WHEN (old.reason IS NOT new.reason OR old.workflow IS NOT new.workflow OR old.creator IS NOT new.creator
    OR old.site IS NOT new.site OR old.queue IS NOT new.queue OR old.search_text IS NOT new.search_text)
    AND old.id <= (SELECT upto FROM search_indexed)
BEGIN
  INSERT INTO jobs_search (jobs_search, rowid, workflow, creator, site, queue, search_text, reason)
    VALUES ('delete', old.id, old.workflow, old.creator, old.site, old.queue, old.search_text, old.reason);
  INSERT INTO jobs_search (rowid, workflow, creator, site, queue, search_text, reason)
    VALUES (new.id, new.workflow, new.creator, new.site, new.queue, new.search_text, new.reason);
END;
`,
  },
  {
    version: 24,
    name: 'jobs list sorted by last update',
    sql: `
-- The jobs list sorted by last update (the "updated" column) read the whole table for its
-- first page: 135 ms at 300,000 jobs on SQLite, growing with the table. updated_at changes
-- at every update, so this index is written at every job update: 2–6 % of a no-op drain.
CREATE INDEX IF NOT EXISTS jobs_updated_sort ON jobs (updated_at, id);
`,
  },
  {
    version: 25,
    name: 'path filter of items served by batch summaries',
    sql: `
-- The path filter of a job's items read every item of the job (300 ms at a million on
-- SQLite, 1 s on PostgreSQL). Items written now have summaries of their paths, one per 512
-- of a batch: a Bloom filter of their trigrams, over the range of their ids (item-grams.ts).
-- The filter reads only the items whose summary may hold its text. Items written before this
-- version (ids up to item_grams_from.upto) have none: the jobs that may have some (ids up to
-- jobs_upto) have those read as before.
CREATE TABLE item_grams (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL,
  lo_id INTEGER NOT NULL,
  hi_id INTEGER NOT NULL,
  bloom BLOB NOT NULL
);
CREATE INDEX item_grams_job ON item_grams (job_id, hi_id, lo_id);
CREATE TABLE item_grams_from (upto INTEGER NOT NULL, jobs_upto INTEGER NOT NULL);
INSERT INTO item_grams_from (upto, jobs_upto) SELECT (SELECT COALESCE(MAX(id), 0) FROM items), (SELECT COALESCE(MAX(id), 0) FROM jobs);
`,
  },
  {
    version: 26,
    name: 'items superseded by a later record of their path and operation',
    sql: `
-- A task that ran again (after a crash, a lost lease, a failed attempt, a pause or a retry of
-- its failed items) recorded its items again, and the job's counters counted both: a job of
-- 100 items could show 150 completed. Now a task's record supersedes its earlier record of
-- the same path and operation (see item-records.ts): the earlier one stays for the item's
-- history, marked, and leaves the counters and the tabs. The tabs read the outcome index, now of current records.
ALTER TABLE items ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS items_job_outcome;
CREATE INDEX items_job_outcome ON items (job_id, outcome, id) WHERE superseded = 0;
`,
  },
];
