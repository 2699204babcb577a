import type { DbRow } from '../rows.js';
import type { QueuePatch, QueueRecord, SiteRecord, WorkerInfo, WorkerRecord } from '../store.js';
import { firstRow, pgJson, type Queryable, rows } from './postgres-pool.js';

const ACTIVE_JOBS = `(SELECT count(*) FROM jobs j WHERE j.queue = q.name AND j.started_at IS NOT NULL
  AND j.state IN ('running', 'pausing', 'paused', 'cancelling'))`;

function toQueue(r: DbRow): QueueRecord {
  return {
    name: r.name as string,
    concurrency: r.concurrency === null ? null : Number(r.concurrency),
    paused: r.paused === true,
    pauseOnFailure: r.pause_on_failure === true,
    activeJobs: Number(r.active_jobs),
    createdAt: Number(r.created_at),
  };
}

/**
 * Sites, queues, workers and duty leases on PostgreSQL. Each method runs on the pool or on
 * the client of a transaction the store opened.
 */
export class PostgresCatalog {
  constructor(private readonly db: Queryable) {}

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

  async listQueues(): Promise<QueueRecord[]> {
    return (await rows(this.db, `SELECT q.*, ${ACTIVE_JOBS} AS active_jobs FROM queues q ORDER BY q.name`)).map(toQueue);
  }

  async getQueue(name: string): Promise<QueueRecord | null> {
    const row = await firstRow(this.db, `SELECT q.*, ${ACTIVE_JOBS} AS active_jobs FROM queues q WHERE q.name = $1`, [name]);
    return row ? toQueue(row) : null;
  }

  /** Locks the queue row and applies the patch; false when there is no such queue. Run inside a transaction. */
  async patchQueue(name: string, patch: QueuePatch, now: number): Promise<boolean> {
    const current = await firstRow(this.db, 'SELECT concurrency, paused, pause_on_failure FROM queues WHERE name = $1 FOR UPDATE', [name]);
    if (!current) return false;
    const concurrency = patch.concurrency !== undefined ? patch.concurrency : current.concurrency;
    const paused = patch.paused ?? current.paused;
    const pauseOnFailure = patch.pauseOnFailure ?? current.pause_on_failure;
    await this.db.query('UPDATE queues SET concurrency = $1, paused = $2, pause_on_failure = $3, updated_at = $4 WHERE name = $5', [
      concurrency,
      paused,
      pauseOnFailure,
      now,
      name,
    ]);
    return true;
  }

  /** The upsert applies only if the row is new, unowned or owned by the same owner; false otherwise. */
  async registerWorker(info: WorkerInfo, now: number): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO workers (id, name, site, host, workflows, owner, started_at, last_seen_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $7)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, site = excluded.site, host = excluded.host,
         workflows = excluded.workflows, owner = excluded.owner, last_seen_at = excluded.last_seen_at
       WHERE workers.owner = '' OR workers.owner = excluded.owner`,
      [info.id, info.name, info.site, info.host, pgJson(info.workflows), info.owner ?? '', now],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async touchWorker(id: string, now: number): Promise<void> {
    await this.db.query('UPDATE workers SET last_seen_at = $1 WHERE id = $2', [now, id]);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return (await rows(this.db, 'SELECT * FROM workers ORDER BY site, name')).map((r) => ({
      id: r.id as string,
      name: r.name as string,
      site: r.site as string,
      host: r.host as string,
      workflows: r.workflows as string[],
      owner: r.owner as string,
      startedAt: Number(r.started_at),
      lastSeenAt: Number(r.last_seen_at),
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
