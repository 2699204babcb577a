import type { Database, Statement, Transaction } from 'better-sqlite3';
import type { SerialLock } from '../serial-lock.js';

/** How often new jobs are added to the text index. */
const INTERVAL_MS = 200;
/** Most jobs indexed in one transaction (about 10 ms of work): a long backlog goes in several, other verbs in between. */
const BATCH = 1000;

/**
 * Adds new jobs to the jobs list's text index (FTS5, migrations 20 and 23) in batches, a
 * moment after they are written. FTS5 writes a segment per transaction that touches it: a
 * job indexed by its own submission's transaction cost that submission a fifth of its time;
 * a batch shares one. The index holds exactly the jobs up to `search_indexed.upto` (the
 * delete and update triggers leave later jobs alone). A text search first has the jobs
 * waiting added (SqliteStore), and the list matches any after upto itself (searchIndexSql:
 * another process's rows written meanwhile), so a job is found the moment it is written.
 *
 * Runs on the store's connection under its lock, one short transaction per batch; several
 * processes sharing the file (each with its indexer) take turns through SQLite's write lock.
 */
export class SqliteSearchIndexer {
  private readonly backlog: Statement;
  private readonly batchEnd: Statement;
  private readonly insert: Statement;
  private readonly advance: Statement;
  /** The next batch, in a write transaction; answers whether more jobs wait. */
  private readonly indexNext: Transaction<() => boolean>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly lock: SerialLock,
  ) {
    this.backlog = db.prepare('SELECT upto, (SELECT MAX(id) FROM jobs) AS last FROM search_indexed');
    this.batchEnd = db.prepare('SELECT MAX(id) AS last FROM (SELECT id FROM jobs WHERE id > ? ORDER BY id LIMIT ?)');
    this.insert = db.prepare(`INSERT INTO jobs_search (rowid, workflow, creator, site, queue, search_text, reason)
      SELECT id, workflow, creator, site, queue, search_text, reason FROM jobs WHERE id > ? AND id <= ? ORDER BY id`);
    this.advance = db.prepare('UPDATE search_indexed SET upto = ?');
    this.indexNext = db.transaction(() => {
      // Read again inside the write lock: another process may have indexed meanwhile.
      const { upto, last } = this.backlog.get() as { upto: number; last: number | null };
      if (last === null || last <= upto) return false;
      const end = Number((this.batchEnd.get(upto, BATCH) as { last: number }).last);
      this.insert.run(upto, end);
      this.advance.run(end);
      return end < last;
    });
  }

  start(): void {
    if (this.stopped) return;
    // A round under way (a search's, or the last tick's) is not doubled.
    this.timer ??= setInterval(() => {
      if (!this.running) void this.catchUp().catch(() => {});
    }, INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the timer and waits for a batch under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /**
   * Indexes every job written before the call (a batch at a time); answers once the index
   * holds them. A round already under way may have looked before the caller's last write:
   * this one starts after it.
   */
  catchUp(): Promise<void> {
    const round = (this.running ?? Promise.resolve())
      .catch(() => {})
      .then(async () => {
        // Back to the event loop between batches: the lock hands over through promises alone,
        // so without it a backlog (1,000,000 jobs: 13 s) would starve timers and requests, and a
        // hub starting on such a file would not get its server up.
        while (!this.stopped && (await this.lock.run(() => this.indexBatch()))) await new Promise((resolve) => setImmediate(resolve));
      });
    const tracked = round.finally(() => {
      if (this.running === tracked) this.running = null;
    });
    this.running = tracked;
    return tracked;
  }

  /** One batch in one transaction; answers whether more jobs wait. */
  private indexBatch(): boolean {
    if (!this.db.open) return false;
    const peek = this.backlog.get() as { upto: number; last: number | null } | undefined;
    if (!peek || peek.last === null || peek.last <= peek.upto) return false;
    return this.indexNext.immediate();
  }
}
