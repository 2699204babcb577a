import { SLOT_HOLDING_JOB_STATES, WAITING_JOB_STATES } from '../../model/index.js';
import { QUEUE_COUNTS_TABLE } from '../dashboard-rollup.js';
import type { DbRow } from '../rows.js';
import { sqlList } from '../sql-builder.js';
import type { QueuePatch, QueueRecord, SiteRecord, WorkerInfo, WorkerRecord } from '../store.js';
import { firstRow, nulSafe, pgJson, type Queryable, rows } from './postgres-pool.js';

const SLOT_STATES = sqlList(SLOT_HOLDING_JOB_STATES);
const WAITING_STATES = sqlList(WAITING_JOB_STATES);

/**
 * A queue's job counts, at the sites in text[] parameter `$n` or, with `siteParam` null, at
 * every site. The counts are sums of queue_job_counts (kept by the ledger, see
 * dashboard-rollup.ts); the oldest waiting job is one seek of jobs_queue_state_site per
 * (state, site) that has waiting jobs.
 */
function queueCounts(siteParam: number | null): string {
  const site = siteParam === null ? '' : ` AND c.site = ANY($${siteParam}::text[])`;
  const waiting = `c.queue = q.name AND c.state IN ${WAITING_STATES}${site}`;
  return `(SELECT COALESCE(SUM(c.n), 0) FROM ${QUEUE_COUNTS_TABLE} c WHERE c.queue = q.name AND c.state IN ${SLOT_STATES}
      AND c.started = 1${site}) AS active_jobs,
    (SELECT COALESCE(SUM(c.n), 0) FROM ${QUEUE_COUNTS_TABLE} c WHERE ${waiting}) AS queued_jobs,
    (SELECT MIN(o.at) FROM (SELECT (SELECT MIN(j.created_at) FROM jobs j WHERE j.queue = c.queue AND j.state = c.state AND j.site = c.site) AS at
      FROM ${QUEUE_COUNTS_TABLE} c WHERE ${waiting} AND c.n > 0) o) AS oldest_queued_at`;
}
const SQL = {
  listAll: `SELECT q.*, ${queueCounts(null)} FROM queues q ORDER BY q.name`,
  listAt: `SELECT q.*, ${queueCounts(1)} FROM queues q ORDER BY q.name`,
  getAll: `SELECT q.*, ${queueCounts(null)} FROM queues q WHERE q.name = $1`,
  getAt: `SELECT q.*, ${queueCounts(2)} FROM queues q WHERE q.name = $1`,
};

function toQueue(r: DbRow): QueueRecord {
  return {
    name: r.name as string,
    concurrency: r.concurrency === null ? null : Number(r.concurrency),
    paused: r.paused === true,
    pauseOnFailure: r.pause_on_failure === true,
    retainDays: r.retain_days === null || r.retain_days === undefined ? null : Number(r.retain_days),
    activeJobs: Number(r.active_jobs),
    queuedJobs: Number(r.queued_jobs),
    oldestQueuedAt: r.oldest_queued_at === null ? null : Number(r.oldest_queued_at),
    createdAt: Number(r.created_at),
  };
}

/**
 * Sites, queues, workers and duty leases on PostgreSQL. Each method runs on the pool or on
 * the client of a transaction the store opened.
 */
export class PostgresCatalog {
  private readonly db: Queryable;

  /** `db` may be a bare connection of a transaction: text reaches it NUL-free all the same (see withoutNul). */
  constructor(db: Queryable) {
    this.db = nulSafe(db);
  }

  /** Names are inserted in sorted order so that concurrent callers wait on each other's new rows in one order. */
  async ensureSites(names: string[], now: number): Promise<void> {
    if (names.length === 0) return;
    await this.db.query('INSERT INTO sites (name, created_at) SELECT name, $2::bigint FROM unnest($1::text[]) AS name ORDER BY name ON CONFLICT DO NOTHING', [
      [...new Set(names)],
      now,
    ]);
  }

  async listSites(): Promise<SiteRecord[]> {
    return (await rows(this.db, 'SELECT * FROM sites ORDER BY name')).map((r) => ({ name: r.name as string, createdAt: Number(r.created_at) }));
  }

  async ensureQueues(names: string[], now: number): Promise<void> {
    if (names.length === 0) return;
    await this.db.query(
      'INSERT INTO queues (name, created_at, updated_at) SELECT name, $2::bigint, $2::bigint FROM unnest($1::text[]) AS name ORDER BY name ON CONFLICT DO NOTHING',
      [[...new Set(names)], now],
    );
  }

  async listQueues(sites: string[] | null): Promise<QueueRecord[]> {
    return (await (sites === null ? rows(this.db, SQL.listAll) : rows(this.db, SQL.listAt, [sites]))).map(toQueue);
  }

  async getQueue(name: string, sites: string[] | null): Promise<QueueRecord | null> {
    const row = await (sites === null ? firstRow(this.db, SQL.getAll, [name]) : firstRow(this.db, SQL.getAt, [name, sites]));
    return row ? toQueue(row) : null;
  }

  /** Locks the queue row and applies the patch; false when there is no such queue. Run inside a transaction. */
  async patchQueue(name: string, patch: QueuePatch, now: number): Promise<boolean> {
    const current = await firstRow(this.db, 'SELECT concurrency, paused, pause_on_failure, retain_days FROM queues WHERE name = $1 FOR UPDATE', [name]);
    if (!current) return false;
    const concurrency = patch.concurrency !== undefined ? patch.concurrency : current.concurrency;
    const paused = patch.paused ?? current.paused;
    const pauseOnFailure = patch.pauseOnFailure ?? current.pause_on_failure;
    const retainDays = patch.retainDays !== undefined ? patch.retainDays : current.retain_days;
    await this.db.query('UPDATE queues SET concurrency = $1, paused = $2, pause_on_failure = $3, retain_days = $4, updated_at = $5 WHERE name = $6', [
      concurrency,
      paused,
      pauseOnFailure,
      retainDays,
      now,
      name,
    ]);
    return true;
  }

  /** The upsert applies only if the row is new, unowned or owned by the same owner; false otherwise. */
  async registerWorker(info: WorkerInfo, now: number): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO workers (id, name, site, host, workflows, owner, version, started_at, last_seen_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $8, $7, $7)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, site = excluded.site, host = excluded.host,
         workflows = excluded.workflows, owner = excluded.owner, version = excluded.version, last_seen_at = excluded.last_seen_at
       WHERE workers.owner = '' OR workers.owner = excluded.owner`,
      [info.id, info.name, info.site, info.host, pgJson(info.workflows), info.owner ?? '', now, info.version ?? null],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async touchWorker(id: string, now: number): Promise<void> {
    await this.db.query('UPDATE workers SET last_seen_at = $1 WHERE id = $2', [now, id]);
  }

  /** Running tasks are counted from the leased tasks only (a small partial index), never all tasks. */
  async listWorkers(): Promise<WorkerRecord[]> {
    const sql = `SELECT w.*, COALESCE(l.running, 0) AS running_tasks FROM workers w
      LEFT JOIN (SELECT worker_id, COUNT(*) AS running FROM tasks WHERE lease_expires_at IS NOT NULL GROUP BY worker_id) l ON l.worker_id = w.id
      ORDER BY w.site, w.name`;
    return (await rows(this.db, sql)).map((r) => ({
      id: r.id as string,
      name: r.name as string,
      site: r.site as string,
      host: r.host as string,
      workflows: r.workflows as string[],
      owner: r.owner as string,
      version: (r.version as string | null) ?? null,
      startedAt: Number(r.started_at),
      lastSeenAt: Number(r.last_seen_at),
      runningTasks: Number(r.running_tasks),
    }));
  }

  /** The row decides: an upsert that takes the duty only from its own holder or an expired one. */
  async tryHoldDuty(duty: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO duties (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE duties.holder = excluded.holder OR duties.expires_at < $4`,
      [duty, holder, now + ttlMs, now],
    );
    return (result.rowCount ?? 0) > 0;
  }
}
