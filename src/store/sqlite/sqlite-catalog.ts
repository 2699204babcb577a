import type { Database, Statement } from 'better-sqlite3';
import { SLOT_HOLDING_JOB_STATES, SwitchyardError, WAITING_JOB_STATES } from '../../model/index.js';
import { QUEUE_COUNTS_TABLE } from '../dashboard-rollup.js';
import type { DbRow } from '../rows.js';
import { sqlList } from '../sql-builder.js';
import type { QueuePatch, QueueRecord, SiteRecord, WorkerInfo, WorkerRecord } from '../store.js';

const SLOT_STATES = sqlList(SLOT_HOLDING_JOB_STATES);
const WAITING_STATES = sqlList(WAITING_JOB_STATES);

/**
 * A queue's job counts, at the sites in the JSON array parameter (one per subquery) or, when
 * `scoped` is false, at every site. The counts are sums of queue_job_counts (kept by the
 * ledger, see dashboard-rollup.ts); the oldest waiting job is one seek of jobs_queue_state_site
 * per (state, site) that has waiting jobs.
 */
function queueCounts(scoped: boolean): string {
  const site = scoped ? ' AND c.site IN (SELECT value FROM json_each(?))' : '';
  const waiting = `c.queue = q.name AND c.state IN ${WAITING_STATES}${site}`;
  return `(SELECT COALESCE(SUM(c.n), 0) FROM ${QUEUE_COUNTS_TABLE} c WHERE c.queue = q.name AND c.state IN ${SLOT_STATES}
      AND c.started = 1${site}) AS active_jobs,
    (SELECT COALESCE(SUM(c.n), 0) FROM ${QUEUE_COUNTS_TABLE} c WHERE ${waiting}) AS queued_jobs,
    (SELECT MIN(o.at) FROM (SELECT (SELECT MIN(j.created_at) FROM jobs j WHERE j.queue = c.queue AND j.state = c.state AND j.site = c.site) AS at
      FROM ${QUEUE_COUNTS_TABLE} c WHERE ${waiting} AND c.n > 0) o) AS oldest_queued_at`;
}
const COUNTS = { all: queueCounts(false), scoped: queueCounts(true) };
/** The parameters queueCounts(true) takes: the sites once per subquery. */
const siteParams = (sites: string[] | null) => (sites === null ? [] : Array(3).fill(JSON.stringify(sites)));

function toQueue(r: DbRow): QueueRecord {
  return {
    name: r.name as string,
    concurrency: r.concurrency === null ? null : Number(r.concurrency),
    paused: r.paused === 1,
    pauseOnFailure: r.pause_on_failure === 1,
    retainDays: r.retain_days === null || r.retain_days === undefined ? null : Number(r.retain_days),
    activeJobs: Number(r.active_jobs),
    queuedJobs: Number(r.queued_jobs),
    oldestQueuedAt: r.oldest_queued_at === null ? null : Number(r.oldest_queued_at),
    createdAt: Number(r.created_at),
  };
}

/** Sites, queues, workers and duty leases on SQLite. */
export class SqliteCatalog {
  // Every submission ensures its site and queue exist: prepared once, not per call.
  private readonly insertSite: Statement;
  private readonly insertQueue: Statement;

  constructor(private readonly db: Database) {
    this.insertSite = db.prepare('INSERT OR IGNORE INTO sites (name, created_at) VALUES (?, ?)');
    this.insertQueue = db.prepare('INSERT OR IGNORE INTO queues (name, created_at, updated_at) VALUES (?, ?, ?)');
  }

  ensureSites(names: string[], now: number): void {
    for (const name of names) this.insertSite.run(name, now);
  }

  listSites(): SiteRecord[] {
    return (this.db.prepare('SELECT * FROM sites ORDER BY name').all() as DbRow[]).map((r) => ({ name: r.name as string, createdAt: Number(r.created_at) }));
  }

  ensureQueues(names: string[], now: number): void {
    for (const name of names) this.insertQueue.run(name, now, now);
  }

  listQueues(sites: string[] | null): QueueRecord[] {
    const counts = sites === null ? COUNTS.all : COUNTS.scoped;
    return (this.db.prepare(`SELECT q.*, ${counts} FROM queues q ORDER BY q.name`).all(...siteParams(sites)) as DbRow[]).map(toQueue);
  }

  getQueue(name: string, sites: string[] | null): QueueRecord | null {
    const counts = sites === null ? COUNTS.all : COUNTS.scoped;
    const row = this.db.prepare(`SELECT q.*, ${counts} FROM queues q WHERE q.name = ?`).get(...siteParams(sites), name) as DbRow | undefined;
    return row ? toQueue(row) : null;
  }

  updateQueue(name: string, patch: QueuePatch, now: number): QueueRecord {
    const current = this.getQueue(name, null);
    if (!current) throw new SwitchyardError('SWY_ERR_QUEUE_NOT_FOUND', `No queue named "${name}"`);
    const next = { ...current, ...patch };
    this.db
      .prepare('UPDATE queues SET concurrency = ?, paused = ?, pause_on_failure = ?, retain_days = ?, updated_at = ? WHERE name = ?')
      .run(next.concurrency, next.paused ? 1 : 0, next.pauseOnFailure ? 1 : 0, next.retainDays, now, name);
    return this.getQueue(name, null) as QueueRecord;
  }

  /** The upsert applies only if the row is new, unowned or owned by the same owner; false otherwise. */
  registerWorker(info: WorkerInfo, now: number): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO workers (id, name, site, host, workflows, owner, version, started_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, site = excluded.site, host = excluded.host,
           workflows = excluded.workflows, owner = excluded.owner, version = excluded.version, last_seen_at = excluded.last_seen_at
         WHERE workers.owner = '' OR workers.owner = excluded.owner`,
      )
      .run(info.id, info.name, info.site, info.host, JSON.stringify(info.workflows), info.owner ?? '', info.version ?? null, now, now);
    return result.changes > 0;
  }

  touchWorker(id: string, now: number): void {
    this.db.prepare('UPDATE workers SET last_seen_at = ? WHERE id = ?').run(now, id);
  }

  /** Running tasks are counted from the leased tasks only (a small partial index), never all tasks. */
  listWorkers(): WorkerRecord[] {
    const sql = `SELECT w.*, COALESCE(l.running, 0) AS running_tasks FROM workers w
      LEFT JOIN (SELECT worker_id, COUNT(*) AS running FROM tasks WHERE lease_expires_at IS NOT NULL GROUP BY worker_id) l ON l.worker_id = w.id
      ORDER BY w.site, w.name`;
    return (this.db.prepare(sql).all() as DbRow[]).map((r) => ({
      id: r.id as string,
      name: r.name as string,
      site: r.site as string,
      host: r.host as string,
      workflows: JSON.parse(r.workflows as string) as string[],
      owner: r.owner as string,
      version: (r.version as string | null) ?? null,
      startedAt: Number(r.started_at),
      lastSeenAt: Number(r.last_seen_at),
      runningTasks: Number(r.running_tasks),
    }));
  }

  tryHoldDuty(duty: string, holder: string, ttlMs: number, now: number): boolean {
    const info = this.db
      .prepare(
        `INSERT INTO duties (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE duties.holder = excluded.holder OR duties.expires_at < ?`,
      )
      .run(duty, holder, now + ttlMs, now);
    return info.changes > 0;
  }
}
