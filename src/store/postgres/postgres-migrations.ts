import { durationBinSql, minuteSql } from '../dashboard-rollup.js';
import { refuseNewerSchema } from '../schema-version.js';
import { type Queryable, quoteIdent, rows } from './postgres-pool.js';

/**
 * PostgreSQL schema migrations, compiled into the code and numbered like SQLite's
 * (sqlite-migrations.ts): migration N does the same thing in both. Never edit a released
 * migration; add the next number.
 *
 * Ids are bigserial; instants (epoch milliseconds), durations and counters that grow with
 * items are bigint; JSON columns are jsonb; booleans are boolean. Tables are created
 * unqualified: every connection's search_path is the store's schema.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const postgresMigrations: Migration[] = [
  {
    version: 1,
    name: 'core schema',
    sql: `
CREATE TABLE sites (
  name text PRIMARY KEY,
  created_at bigint NOT NULL
);

CREATE TABLE queues (
  name text PRIMARY KEY,
  concurrency integer,
  paused boolean NOT NULL DEFAULT false,
  pause_on_failure boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  workflow text NOT NULL,
  site text NOT NULL,
  queue text NOT NULL,
  creator text NOT NULL,
  state text NOT NULL,
  intent text NOT NULL DEFAULT 'run',
  outcome text,
  reason text,
  priority integer NOT NULL DEFAULT 0,
  fields jsonb NOT NULL,
  idempotency_key text,
  parent_job_id bigint,
  task_counts jsonb NOT NULL,
  item_counts jsonb NOT NULL,
  progress_done bigint NOT NULL DEFAULT 0,
  progress_total bigint NOT NULL DEFAULT 0,
  changed boolean NOT NULL DEFAULT false,
  timeout_ms bigint,
  deadline_at bigint,
  run_at bigint,
  created_at bigint NOT NULL,
  started_at bigint,
  ended_at bigint,
  updated_at bigint NOT NULL
) WITH (fillfactor = 85);
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
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL,
  site text NOT NULL,
  workflow text NOT NULL,
  type text NOT NULL,
  key text,
  priority integer NOT NULL DEFAULT 0,
  input jsonb,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  backoff_ms bigint NOT NULL,
  max_backoff_ms bigint NOT NULL,
  available_at bigint NOT NULL,
  lease_token text,
  lease_expires_at bigint,
  worker_id text,
  progress_done bigint NOT NULL DEFAULT 0,
  progress_total bigint NOT NULL DEFAULT 1,
  changed boolean NOT NULL DEFAULT false,
  result jsonb,
  error jsonb,
  reason text,
  items_failed bigint NOT NULL DEFAULT 0,
  log_lines integer NOT NULL DEFAULT 0,
  pending_deps integer NOT NULL DEFAULT 0,
  dependents integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  started_at bigint,
  ended_at bigint,
  updated_at bigint NOT NULL
);
CREATE INDEX tasks_job ON tasks (job_id, id);
CREATE UNIQUE INDEX tasks_job_key ON tasks (job_id, key) WHERE key IS NOT NULL;
CREATE INDEX tasks_ready ON tasks (site, priority DESC, id) WHERE state = 'queued';
CREATE INDEX tasks_lease_expiry ON tasks (lease_expires_at) WHERE lease_expires_at IS NOT NULL;

CREATE TABLE task_deps (
  depends_on bigint NOT NULL,
  task_id bigint NOT NULL,
  job_id bigint NOT NULL,
  PRIMARY KEY (depends_on, task_id)
);
CREATE INDEX task_deps_task ON task_deps (task_id);
CREATE INDEX task_deps_job ON task_deps (job_id);

CREATE TABLE items (
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL,
  task_id bigint NOT NULL,
  path text NOT NULL,
  operation text NOT NULL,
  outcome text NOT NULL,
  bytes bigint,
  error text,
  at bigint NOT NULL
);
CREATE INDEX items_job_outcome ON items (job_id, outcome, id);
CREATE INDEX items_job_path ON items (job_id, path, id);

CREATE TABLE task_logs (
  task_id bigint NOT NULL,
  seq integer NOT NULL,
  at bigint NOT NULL,
  line text NOT NULL,
  PRIMARY KEY (task_id, seq)
);

CREATE TABLE events (
  id bigserial PRIMARY KEY,
  at bigint NOT NULL,
  type text NOT NULL,
  job_id bigint,
  task_id bigint,
  site text,
  data jsonb NOT NULL
);
CREATE INDEX events_job ON events (job_id, id);

CREATE TABLE audit (
  id bigserial PRIMARY KEY,
  at bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  site text,
  data jsonb NOT NULL
);
CREATE INDEX audit_target ON audit (target, id);

CREATE TABLE users (
  id bigserial PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role text NOT NULL,
  sites jsonb,
  created_at bigint NOT NULL
);

CREATE TABLE sessions (
  id_hash text PRIMARY KEY,
  user_id bigint NOT NULL,
  csrf_token text NOT NULL,
  expires_at bigint NOT NULL
);

CREATE TABLE tokens (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  role text NOT NULL,
  sites jsonb,
  created_by text NOT NULL,
  created_at bigint NOT NULL,
  last_used_at bigint
);

CREATE TABLE workers (
  id text PRIMARY KEY,
  name text NOT NULL,
  site text NOT NULL,
  host text NOT NULL,
  workflows jsonb NOT NULL,
  started_at bigint NOT NULL,
  last_seen_at bigint NOT NULL
);

CREATE TABLE duties (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at bigint NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'users: disabled, password change; sessions by user',
    sql: `
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN password_changed_at bigint;
-- Signing a user out everywhere deletes its sessions by user.
CREATE INDEX sessions_user ON sessions (user_id);
`,
  },
  {
    version: 3,
    name: 'tokens: expiry and revocation',
    sql: `
ALTER TABLE tokens ADD COLUMN expires_at bigint;
ALTER TABLE tokens ADD COLUMN revoked_at bigint;
`,
  },
  {
    version: 4,
    name: 'workers: owner',
    sql: `
-- The token that registered the worker; '' for none (in-process workers, rows from before).
ALTER TABLE workers ADD COLUMN owner text NOT NULL DEFAULT '';
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
ALTER TABLE jobs ADD COLUMN search_text text NOT NULL DEFAULT '';
UPDATE jobs SET search_text = fields::text;
`,
  },
  {
    version: 8,
    name: 'resource locks between jobs',
    sql: `
-- The resources each job declared (model/resource-locks.ts), kept after release so that a
-- retry can tell whether a later job ran against the same resources. Overlapping keys are
-- found as equal keys, ancestors (listed by the caller) and a key range, so byte order must
-- hold for the range: the C collation.
CREATE TABLE job_locks (
  job_id bigint NOT NULL,
  lock_key text COLLATE "C" NOT NULL,
  mode text NOT NULL,
  released_at bigint,
  PRIMARY KEY (job_id, lock_key)
);
CREATE INDEX job_locks_held ON job_locks (lock_key) WHERE released_at IS NULL;
CREATE INDEX job_locks_key ON job_locks (lock_key, job_id);
-- The earlier job whose lock this one waits for; its tasks are not leased while it is set.
ALTER TABLE jobs ADD COLUMN lock_wait_on bigint;
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
      WHEN t.progress_total > 0 AND t.progress_done > 0 THEN (1000 * LEAST(t.progress_done, t.progress_total)) / t.progress_total
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
  id bigserial PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  workflow TEXT NOT NULL,
  site TEXT NOT NULL,
  queue TEXT NOT NULL,
  fields jsonb NOT NULL,
  cron TEXT,
  every_ms bigint,
  timezone TEXT NOT NULL,
  overlap TEXT NOT NULL,
  catch_up TEXT NOT NULL,
  catch_up_limit bigint NOT NULL,
  enabled boolean NOT NULL,
  code_owned boolean NOT NULL,
  creator TEXT NOT NULL,
  next_run_at bigint,
  pending_slot_at bigint,
  last_slot_at bigint,
  last_job_id bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX schedules_site ON schedules (site, id);
-- Every slot that fired, once: the primary key is what makes a slot fire exactly once across
-- hubs and restarts (the firing transaction inserts it first and stops if it was there).
CREATE TABLE schedule_slots (
  schedule_id bigint NOT NULL,
  slot_at bigint NOT NULL,
  outcome TEXT NOT NULL,
  job_id bigint,
  fired_at bigint NOT NULL,
  PRIMARY KEY (schedule_id, slot_at)
);
ALTER TABLE jobs ADD COLUMN schedule_id bigint;
ALTER TABLE jobs ADD COLUMN slot_at bigint;
CREATE INDEX jobs_schedule_id ON jobs (schedule_id, id) WHERE schedule_id IS NOT NULL;
`,
  },
  {
    version: 11,
    name: 'notifications: subscriptions, delivery outbox, user e-mail',
    sql: `
ALTER TABLE users ADD COLUMN email text;

-- A subscription is to one job (job_id) or a site rule (site, or all_sites).
CREATE TABLE subscriptions (
  id bigserial PRIMARY KEY,
  username text NOT NULL,
  job_id bigint,
  site text,
  all_sites boolean NOT NULL DEFAULT false,
  channel text NOT NULL,
  address text,
  url text,
  secret text,
  on_when text NOT NULL,
  events jsonb NOT NULL DEFAULT '[]',
  delivery text NOT NULL DEFAULT 'immediate',
  timezone text NOT NULL DEFAULT 'UTC',
  created_at bigint NOT NULL
);
CREATE INDEX subscriptions_job ON subscriptions (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX subscriptions_rules ON subscriptions (id) WHERE job_id IS NULL;
CREATE INDEX subscriptions_user ON subscriptions (username, id);

-- The outbox: one row per event and subscription, so nothing is sent twice.
CREATE TABLE deliveries (
  id bigserial PRIMARY KEY,
  subscription_id bigint NOT NULL,
  event_id bigint NOT NULL,
  job_id bigint,
  username text NOT NULL,
  channel text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  attempts bigint NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  last_error text,
  payload jsonb NOT NULL,
  created_at bigint NOT NULL,
  sent_at bigint,
  read_at bigint,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_user ON deliveries (username, id);

-- The last event the notifier turned into deliveries.
CREATE TABLE notify_cursor (
  name text PRIMARY KEY,
  last_event_id bigint NOT NULL
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
ALTER TABLE jobs ADD COLUMN concurrency_key text COLLATE "C";
ALTER TABLE jobs ADD COLUMN concurrency_slot text;
CREATE INDEX jobs_concurrency_held ON jobs (workflow, concurrency_key) WHERE concurrency_slot = 'held';
CREATE INDEX jobs_concurrency_line ON jobs (workflow, id) WHERE concurrency_slot = 'waiting';
CREATE INDEX jobs_concurrency_key_line ON jobs (workflow, concurrency_key, id) WHERE concurrency_slot = 'waiting';
-- The limits as the workflow last declared them at a submission: a slot that frees is given
-- by these, whichever hub submitted the job.
CREATE TABLE workflow_concurrency (
  workflow text PRIMARY KEY,
  concurrency_limit integer,
  per_key integer,
  updated_at bigint NOT NULL
);
-- A task of a job that is not admitted yet (waiting for a lock or a concurrency slot) is
-- held: left out of the index that leasing reads, so waiting jobs cost the lease nothing.
ALTER TABLE tasks ADD COLUMN held boolean NOT NULL DEFAULT false;
UPDATE tasks SET held = true WHERE job_id IN (SELECT id FROM jobs WHERE lock_wait_on IS NOT NULL);
DROP INDEX tasks_ready;
CREATE INDEX tasks_ready ON tasks (site, priority DESC, id) WHERE state = 'queued' AND held = false;
`,
  },
  {
    version: 13,
    name: 'workers: version',
    sql: `
-- What the worker reports it runs (the package version); null for workers from before.
ALTER TABLE workers ADD COLUMN version text;
`,
  },
  {
    version: 14,
    name: 'retention per queue; finished jobs by end time',
    sql: `
-- Days a queue keeps its finished jobs (null: the workflow's, else the hub's default).
ALTER TABLE queues ADD COLUMN retain_days integer;
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
  id bigserial PRIMARY KEY,
  action text NOT NULL,
  filter jsonb,
  job_ids jsonb,
  options jsonb NOT NULL,
  actor text NOT NULL,
  actor_role text NOT NULL,
  actor_sites jsonb,
  state text NOT NULL,
  max_job_id bigint NOT NULL,
  cursor_id bigint NOT NULL,
  total bigint NOT NULL,
  done bigint NOT NULL,
  succeeded bigint NOT NULL,
  skipped bigint NOT NULL,
  failed bigint NOT NULL,
  reasons jsonb NOT NULL,
  error text,
  created_at bigint NOT NULL,
  started_at bigint NOT NULL,
  ended_at bigint,
  updated_at bigint NOT NULL
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
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  site text NOT NULL,
  queue text NOT NULL,
  creator text NOT NULL,
  idempotency_key text UNIQUE,
  file_name text,
  on_error text NOT NULL,
  intent text NOT NULL DEFAULT 'run',
  rollback text NOT NULL DEFAULT 'none',
  rollback_job_id bigint,
  corrupt integer NOT NULL DEFAULT 0,
  status text NOT NULL,
  reason text,
  problem jsonb,
  job_counts jsonb NOT NULL DEFAULT '{}',
  total_jobs bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  ended_at bigint
);
CREATE INDEX envelopes_site ON envelopes (site, id);
CREATE INDEX envelopes_status ON envelopes (status, id);
CREATE INDEX envelopes_type ON envelopes (type, id);
-- The chain: job_id runs after after_job_id (both members of envelope_id).
CREATE TABLE envelope_edges (
  envelope_id bigint NOT NULL,
  job_id bigint NOT NULL,
  after_job_id bigint NOT NULL,
  PRIMARY KEY (job_id, after_job_id)
);
CREATE INDEX envelope_edges_after ON envelope_edges (after_job_id);
-- envelope_wait_on keeps a member's tasks from being leased until the members it runs after
-- are through (as lock_wait_on does for locks). A rollback job undoes rollback_of (one job)
-- or, with envelope_id, its envelope.
ALTER TABLE jobs ADD COLUMN envelope_id bigint;
ALTER TABLE jobs ADD COLUMN envelope_wait_on bigint;
ALTER TABLE jobs ADD COLUMN rollback_of bigint;
ALTER TABLE jobs ADD COLUMN is_rollback integer NOT NULL DEFAULT 0;
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
  job_id bigint NOT NULL,
  site text NOT NULL,
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
ALTER TABLE subscriptions ADD COLUMN envelope_id bigint;
ALTER TABLE subscriptions ADD COLUMN schedule_id bigint;
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
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL,
  task_id bigint NOT NULL,
  path text NOT NULL,
  change text NOT NULL,
  size_before bigint,
  size_after bigint,
  text_before text,
  text_after text,
  text_omitted boolean NOT NULL DEFAULT false,
  at bigint NOT NULL
);
CREATE INDEX changes_job ON changes (job_id, change, id);
-- Set on the tasks a retry with items: 'failed' re-runs: at lease their worker is handed the
-- paths whose last item by the task failed (ctx.task.retryPaths). Any other retry clears it.
ALTER TABLE tasks ADD COLUMN retry_items boolean NOT NULL DEFAULT false;
`,
  },
  {
    version: 20,
    name: 'jobs list at a million jobs: text index, queue indexes',
    sql: `
-- Free-text search (the jobs list's q) served by an index: each job's text columns in one
-- document (unit separators between them, which no trigram spans) in jobs_search, beside jobs
-- rather than an index on jobs itself, so that the many updates of a job's row never touch
-- it. search_text, never fields: the engine leaves secret fields out of it. State and id
-- are matched without it. Inserted per statement; rewritten only when one of these columns
-- changes (reason, at a job's end or while it stops); deleted with the job.
CREATE TABLE jobs_search (
  job_id bigint PRIMARY KEY,
  doc text NOT NULL
);
CREATE FUNCTION jobs_search_doc(workflow text, creator text, site text, queue text, search_text text, reason text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT concat_ws(E'\\x1f', workflow, creator, site, queue, search_text, reason) $$;
CREATE FUNCTION jobs_search_inserted() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO jobs_search (job_id, doc)
    SELECT id, jobs_search_doc(workflow, creator, site, queue, search_text, reason) FROM inserted_jobs;
  RETURN NULL;
END $$;
CREATE FUNCTION jobs_search_deleted() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM jobs_search WHERE job_id IN (SELECT id FROM deleted_jobs);
  RETURN NULL;
END $$;
CREATE FUNCTION jobs_search_updated() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE jobs_search SET doc = jobs_search_doc(NEW.workflow, NEW.creator, NEW.site, NEW.queue, NEW.search_text, NEW.reason)
    WHERE job_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_search_inserted AFTER INSERT ON jobs REFERENCING NEW TABLE AS inserted_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION jobs_search_inserted();
CREATE TRIGGER jobs_search_deleted AFTER DELETE ON jobs REFERENCING OLD TABLE AS deleted_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION jobs_search_deleted();
-- The WHEN is checked without calling the function: most updates of a job cost nothing here.
CREATE TRIGGER jobs_search_updated AFTER UPDATE OF workflow, creator, site, queue, search_text, reason ON jobs FOR EACH ROW
  WHEN (OLD.reason IS DISTINCT FROM NEW.reason OR OLD.workflow IS DISTINCT FROM NEW.workflow OR OLD.creator IS DISTINCT FROM NEW.creator
    OR OLD.site IS DISTINCT FROM NEW.site OR OLD.queue IS DISTINCT FROM NEW.queue OR OLD.search_text IS DISTINCT FROM NEW.search_text)
  EXECUTE FUNCTION jobs_search_updated();
-- The jobs already there.
INSERT INTO jobs_search (job_id, doc) SELECT id, jobs_search_doc(workflow, creator, site, queue, search_text, reason) FROM jobs;

-- A trigram index (pg_trgm) serves ILIKE '%text%' on the search documents. (None on item
-- paths: measured, it made recording items 2 to 3.5 times slower.) pg_trgm is a trusted
-- extension (PostgreSQL 13+): a role with CREATE on the database may create it. It goes to the
-- public schema, shared by every store schema of the database, never into this one (dropping
-- a store would drop it for all). Where it cannot be created the index is left out: searches
-- stay correct, only slower.
DO $do$
DECLARE
  trgm text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('switchyard:pg_trgm', 0));
  SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  IF trgm IS NULL THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
      trgm := 'public';
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'switchyard: pg_trgm is not available (%); text search works without an index', SQLERRM;
    END;
  END IF;
  IF trgm IS NOT NULL THEN
    -- A short pending list (default 4 MB): every search reads all of it until it is merged.
    EXECUTE format('CREATE INDEX jobs_search_doc_trgm ON jobs_search USING gin (doc %I.gin_trgm_ops) WITH (gin_pending_list_limit = 512)', trgm);
  END IF;
END
$do$;

-- A queue's jobs newest first, and a queue's jobs in one state by workflow.
CREATE INDEX IF NOT EXISTS jobs_queue_id ON jobs (queue, id);
CREATE INDEX IF NOT EXISTS jobs_queue_state_workflow ON jobs (queue, state, workflow, id);
-- Sorts by start and end (the list orders by COALESCE(…, 0), keeping keyset comparisons total).
-- Each is written once in a job's life. None on updated_at: it changes on every update (on
-- PostgreSQL, an index on it would end HOT updates of progress and counters).
CREATE INDEX IF NOT EXISTS jobs_started_sort ON jobs ((COALESCE(started_at, 0)), id);
CREATE INDEX IF NOT EXISTS jobs_ended_sort ON jobs ((COALESCE(ended_at, 0)), id);
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
  kind smallint NOT NULL,
  minute bigint NOT NULL,
  site text NOT NULL,
  workflow text NOT NULL,
  state text NOT NULL,
  bin bigint NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (kind, minute, site, workflow, state, bin)
);
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
  queue text NOT NULL,
  site text NOT NULL,
  state text NOT NULL,
  started smallint NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (queue, site, state, started)
);
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
ALTER TABLE job_locks ADD COLUMN seq bigint NOT NULL DEFAULT 0;
UPDATE job_locks SET seq = job_id;
CREATE SEQUENCE job_lock_seq;
SELECT setval('job_lock_seq', COALESCE((SELECT MAX(seq) FROM job_locks), 0) + 1, false);
`,
  },
  {
    version: 23,
    name: 'text index written in batches',
    // SQLite's text index is written in batches from this version on; PostgreSQL's pg_trgm
    // index takes each entry cheaply (GIN's pending list) and is unchanged. Kept so both
    // stores number their migrations alike.
    sql: `SELECT 1;`,
  },
  {
    version: 24,
    name: 'jobs list sorted by last update',
    sql: `
-- The jobs list sorted by last update (the "updated" column) read the whole table for its
-- first page, growing with the table. updated_at changes at every update, so this index is
-- written at every job update; a no-op drain showed no measurable cost here (its updates
-- change indexed columns anyway), but a running job's progress and counter updates are no
-- longer HOT.
CREATE INDEX IF NOT EXISTS jobs_updated_sort ON jobs (updated_at, id);
`,
  },
  {
    version: 25,
    name: 'path filter of items served by batch summaries',
    sql: `
-- The path filter of a job's items read every item of the job (1 s at a million). Items
-- written now have summaries of their paths, one per 512 of a batch: a Bloom filter of their
-- trigrams, over the range of their ids (item-grams.ts), written by the statement that writes
-- the batch. The filter reads only the items whose summary may hold its text. Items written
-- before this version (ids up to item_grams_from.upto) have none: the jobs that may have some
-- (ids up to jobs_upto) have those read as before.
CREATE TABLE item_grams (
  job_id bigint NOT NULL,
  lo_id bigint NOT NULL,
  hi_id bigint NOT NULL,
  bloom bytea NOT NULL,
  PRIMARY KEY (job_id, lo_id)
);
CREATE TABLE item_grams_from (upto bigint NOT NULL, jobs_upto bigint NOT NULL);
INSERT INTO item_grams_from (upto, jobs_upto) SELECT (SELECT COALESCE(MAX(id), 0) FROM items), (SELECT COALESCE(MAX(id), 0) FROM jobs);
`,
  },
  {
    version: 26,
    name: 'items superseded by a later record of their path and operation',
    sql: `
-- A task that ran again (after a crash, a lost lease, a failed attempt, a pause or a retry of
-- its failed items) recorded its items again, and the job's counters counted both. Now a
-- task's record supersedes its earlier record of the same path and operation (see
-- item-records.ts): the earlier one stays for the item's history, marked, and leaves the
-- counters and the tabs. The tabs read
-- the outcome index, now of current records. (Adding a column with a constant default
-- rewrites no rows.)
ALTER TABLE items ADD COLUMN superseded boolean NOT NULL DEFAULT false;
DROP INDEX IF EXISTS items_job_outcome;
CREATE INDEX items_job_outcome ON items (job_id, outcome, id) WHERE NOT superseded;
`,
  },
];

/**
 * Creates `schema` if missing and applies the pending migrations, each in its own
 * transaction, on a connection whose search_path is that schema. A session advisory lock
 * keyed on the schema makes concurrent migrators (hubs starting together) wait their turn;
 * the caller closes the connection afterwards, which releases it.
 */
export async function migrateSchema(client: Queryable, schema: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`switchyard:migrate:${schema}`]);
  // Looked up first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
  if ((await rows(client, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length === 0) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  }
  await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
  const applied = new Set((await rows(client, 'SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
  refuseNewerSchema(applied, postgresMigrations);
  const pending = postgresMigrations.filter((migration) => !applied.has(migration.version));
  if (pending.length === 0) return;
  // Every pending migration in one transaction, sent as one script: the schema is at the version
  // it had or at the newest, never between, and a new schema costs one commit instead of one
  // per migration (about 430 → 250 ms for a fresh schema here). Each `;` has a line of its own,
  // so a migration ending in a `--` comment cannot swallow it. A failure leaves the transaction
  // aborted; the caller closes the connection, which rolls it back.
  await client.query(['BEGIN', ...pending.map((migration) => migration.sql)].join('\n;\n'));
  await client.query(
    'INSERT INTO schema_migrations (version, name, applied_at) SELECT version, name, $3 FROM unnest($1::integer[], $2::text[]) AS m (version, name)',
    [pending.map((migration) => migration.version), pending.map((migration) => migration.name), Date.now()],
  );
  await client.query('COMMIT');
}
