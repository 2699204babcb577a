import type { Database, Statement } from 'better-sqlite3';
import {
  type AuditRecord,
  type EventRecord,
  foldAscii,
  type ItemRecord,
  type JobRecord,
  type ResourceLock,
  type TaskLogLine,
  type TaskRecord,
} from '../../model/index.js';
import { mayHold, needleGrams } from '../item-grams.js';
import {
  countJobsSql,
  type ItemsBeforeSummaries,
  itemRangeReads,
  itemsAfter,
  itemsBeforeSummaries,
  jobCountFrom,
  listAuditSql,
  listItemsSql,
  listJobsPlan,
  listTasksSql,
  OPEN_JOB_STATES_SQL,
  OTHER_SITES_SQL,
  searchIndexSql,
  searchNeedle,
  textMatches,
  toPage,
} from '../list-queries.js';
import { concurrencyUseFrom, type DbRow, groupLocks, groupPlacement, OUTPUT_SEARCH_BATCH, type RowMapper, visibleOutputMatches } from '../rows.js';
import { sqliteDialect } from '../sql-builder.js';
import type { AuditQuery, ConcurrencyUse, ItemQuery, JobCount, JobQuery, OpenJobCount, Page, TaskPlacement, TaskQuery } from '../store.js';

const DEPENDS_ON = 'group_concat(d.depends_on)';

/** The read side of the SQLite store: lookups and keyset-paginated lists. */
export class SqliteReads {
  private readonly s: Record<
    | 'job'
    | 'jobs'
    | 'task'
    | 'taskTypes'
    | 'placement'
    | 'output'
    | 'outputSearch'
    | 'history'
    | 'grams'
    | 'gramsFrom'
    | 'events'
    | 'eventsAt'
    | 'lastEvent'
    | 'locksOf'
    | 'concurrencyLimits'
    | 'concurrencyHeld',
    Statement
  >;
  private readonly statements = new Map<string, Statement>();
  /** The last item and job ids written before batch summaries existed (migration 25); they never change. */
  private gramsFrom: ItemsBeforeSummaries | undefined;

  constructor(
    private readonly db: Database,
    private readonly map: RowMapper,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      job: p(`SELECT *, ${OTHER_SITES_SQL.sqlite} FROM jobs WHERE id = ?`),
      jobs: p(`SELECT *, ${OTHER_SITES_SQL.sqlite} FROM jobs WHERE id IN (SELECT value FROM json_each(?))`),
      task: p(`SELECT t.*, (SELECT ${DEPENDS_ON} FROM task_deps d WHERE d.task_id = t.id) AS depends_on FROM tasks t WHERE t.id = ?`),
      taskTypes: p('SELECT DISTINCT type FROM tasks WHERE job_id = ? ORDER BY type'),
      placement: p(`SELECT site, worker_id, state, count(*) AS n FROM tasks WHERE job_id = ? GROUP BY site, worker_id, state ORDER BY site, worker_id, state`),
      output: p('SELECT seq, at, line FROM task_logs WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      // SQLite's lower() folds ASCII letters only, as the needle is folded: see Store.searchTaskOutput.
      // Candidates: lines that contain the needle as stored, and every line with an escape
      // character (its text comes back, to be matched without its escape sequences).
      outputSearch: p(`SELECT seq, CASE WHEN instr(line, char(27)) > 0 THEN line END AS coloured FROM task_logs
        WHERE task_id = ? AND seq > ? AND seq <= ? AND (instr(lower(line), ?) > 0 OR instr(line, char(27)) > 0) ORDER BY seq LIMIT ?`),
      locksOf: p('SELECT job_id, lock_key, mode FROM job_locks WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY job_id, lock_key'),
      history: p('SELECT * FROM items WHERE job_id = ? AND path = ? ORDER BY id'),
      grams: p('SELECT lo_id, hi_id, bloom FROM item_grams WHERE job_id = ? AND hi_id > ?'),
      gramsFrom: p('SELECT upto, jobs_upto FROM item_grams_from'),
      events: p('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?'),
      // A job's events (at its own site) also reach users of the other sites it spans.
      eventsAt: p(`SELECT * FROM events e WHERE e.id > @after AND (e.site IS NULL OR e.site IN (SELECT value FROM json_each(@sites))
          OR (e.job_id IS NOT NULL AND EXISTS (SELECT 1 FROM job_sites s WHERE s.job_id = e.job_id AND s.site IN (SELECT value FROM json_each(@sites)))))
        ORDER BY e.id LIMIT @limit`),
      lastEvent: p('SELECT COALESCE(MAX(id), 0) AS id FROM events'),
      concurrencyLimits: p('SELECT workflow, concurrency_limit, per_key FROM workflow_concurrency WHERE workflow IN (SELECT value FROM json_each(?))'),
      concurrencyHeld: p(`SELECT workflow, concurrency_key, count(*) AS n FROM jobs
        WHERE workflow IN (SELECT value FROM json_each(?)) AND concurrency_slot = 'held' GROUP BY workflow, concurrency_key`),
    };
  }

  countOpenJobs(): OpenJobCount[] {
    const sql = `SELECT state, site, queue, count(*) AS n FROM jobs WHERE state IN ${OPEN_JOB_STATES_SQL} GROUP BY state, site, queue`;
    return (this.cached(sql).all() as DbRow[]).map((r) => ({
      state: r.state as OpenJobCount['state'],
      site: r.site as string,
      queue: r.queue as string,
      count: Number(r.n),
    }));
  }

  /** List SQL varies with the filters used; the few shapes in use are prepared once each. */
  private cached(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= 200) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  getJob(id: number): JobRecord | null {
    const row = this.s.job.get(id) as DbRow | undefined;
    return row ? this.map.job(row) : null;
  }

  /** Jobs by id, in the order asked; ids not found are left out. */
  getJobs(ids: number[]): JobRecord[] {
    if (ids.length === 0) return [];
    const byId = new Map((this.s.jobs.all(JSON.stringify(ids)) as DbRow[]).map((row) => [Number(row.id), this.map.job(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  jobTotal(query: JobQuery, cap: number): JobCount {
    // Text through the search index, as the list reads it.
    const needle = searchNeedle(query.q);
    const index = needle === null ? null : searchIndexSql(sqliteDialect, needle);
    const matches = index === null ? null : textMatches(this.cached(index.sql).all(...index.params) as DbRow[]);
    const { sql, params } = countJobsSql(sqliteDialect, query, cap, matches);
    const counted = this.cached(sql).get(...params) as DbRow;
    const n = Number(counted.n);
    if (n < cap) return { count: n, exact: true };
    const ids = this.cached('SELECT min(id) AS min, max(id) AS max FROM jobs').get() as DbRow;
    return jobCountFrom({ n, low: Number(counted.low) }, cap, ids.min === null ? null : { min: Number(ids.min), max: Number(ids.max) });
  }

  listJobs(query: JobQuery): Page<JobRecord> {
    const needle = searchNeedle(query.q);
    const index = needle === null ? null : searchIndexSql(sqliteDialect, needle);
    const matches = index === null ? null : textMatches(this.cached(index.sql).all(...index.params) as DbRow[]);
    const plan = listJobsPlan(sqliteDialect, query, OTHER_SITES_SQL.sqlite, matches);
    let step = plan.next();
    while (!step.done) step = plan.next(this.cached(step.value.sql).all(...step.value.params) as DbRow[]);
    return toPage(step.value.rows, step.value.list, this.map.job);
  }

  getTask(id: number): TaskRecord | null {
    const row = this.s.task.get(id) as DbRow | undefined;
    return row ? this.map.task(row) : null;
  }

  listTasks(jobId: number, query: TaskQuery): Page<TaskRecord> {
    const list = listTasksSql(sqliteDialect, jobId, query, DEPENDS_ON);
    return toPage(this.cached(list.sql).all(...list.params) as DbRow[], list, this.map.task);
  }

  taskTypes(jobId: number): string[] {
    return (this.s.taskTypes.all(jobId) as DbRow[]).map((r) => r.type as string);
  }

  taskPlacement(jobId: number): TaskPlacement[] {
    return groupPlacement(this.s.placement.all(jobId) as DbRow[]);
  }

  taskOutput(taskId: number, afterSeq: number, limit: number): TaskLogLine[] {
    return (this.s.output.all(taskId, afterSeq, limit) as DbRow[]).map(this.map.logLine);
  }

  searchTaskOutput(taskId: number, needle: string, afterSeq: number, throughSeq: number, limit: number): number[] {
    const folded = foldAscii(needle);
    const seqs: number[] = [];
    for (let after = afterSeq; seqs.length < limit; ) {
      const candidates = this.s.outputSearch.all(taskId, after, throughSeq, folded, OUTPUT_SEARCH_BATCH) as DbRow[];
      seqs.push(...visibleOutputMatches(candidates, folded, limit - seqs.length));
      if (candidates.length < OUTPUT_SEARCH_BATCH) break;
      after = Number(candidates[candidates.length - 1].seq);
    }
    return seqs;
  }

  listItems(jobId: number, query: ItemQuery): Page<ItemRecord> {
    const hashes = query.path ? needleGrams(query.path) : null;
    if (hashes) return this.listItemsByGrams(jobId, query, hashes);
    const list = listItemsSql(sqliteDialect, jobId, query);
    return toPage(this.cached(list.sql).all(...list.params) as DbRow[], list, this.map.item);
  }

  /** A page of items filtered by path, reading only the batches whose summary may hold it (item-grams.ts). */
  private listItemsByGrams(jobId: number, query: ItemQuery, hashes: number[]): Page<ItemRecord> {
    const summarized = (this.s.grams.all(jobId, itemsAfter(query)) as DbRow[])
      .filter((row) => mayHold(row.bloom as Uint8Array, hashes))
      .map((row) => ({ lo: Number(row.lo_id), hi: Number(row.hi_id) }));
    this.gramsFrom ??= itemsBeforeSummaries(this.s.gramsFrom.get() as DbRow);
    const { reads, page } = itemRangeReads(sqliteDialect, jobId, query, summarized, this.gramsFrom);
    const found: DbRow[] = [];
    for (const read of reads) {
      found.push(...(this.cached(read.sql).all(...read.params) as DbRow[]));
      if (found.length >= page.fetch) break;
    }
    return toPage(found.slice(0, page.fetch), page, this.map.item);
  }

  jobLocks(jobIds: number[]): Map<number, ResourceLock[]> {
    return groupLocks(this.s.locksOf.all(JSON.stringify(jobIds)) as DbRow[]);
  }

  concurrencyUse(workflows: string[]): Map<string, ConcurrencyUse> {
    const list = JSON.stringify(workflows);
    return concurrencyUseFrom(this.s.concurrencyLimits.all(list) as DbRow[], this.s.concurrencyHeld.all(list) as DbRow[]);
  }

  itemHistory(jobId: number, path: string): ItemRecord[] {
    return (this.s.history.all(jobId, path) as DbRow[]).map(this.map.item);
  }

  /**
   * Events after `afterId`, oldest first. Unlike PostgreSQL (postgres-event-horizon.ts) no
   * safe horizon is needed: SQLite has one writer at a time, so ids commit in order and a
   * reader never sees an id while a smaller one may still commit.
   */
  listEvents(afterId: number, limit: number, sites: string[] | null): EventRecord[] {
    const rows = sites === null ? this.s.events.all(afterId, limit) : this.s.eventsAt.all({ after: afterId, sites: JSON.stringify(sites), limit });
    return (rows as DbRow[]).map(this.map.event);
  }

  lastEventId(): number {
    return Number((this.s.lastEvent.get() as DbRow).id);
  }

  listAudit(query: AuditQuery): Page<AuditRecord> {
    const list = listAuditSql(sqliteDialect, query);
    return toPage(this.cached(list.sql).all(...list.params) as DbRow[], list, this.map.audit);
  }
}
