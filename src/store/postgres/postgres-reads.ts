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
import { needleGrams } from '../item-grams.js';
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
import { concurrencyUseFrom, groupLocks, groupPlacement, OUTPUT_SEARCH_BATCH, type RowMapper, visibleOutputMatches } from '../rows.js';
import { postgresDialect } from '../sql-builder.js';

import type { AuditQuery, ConcurrencyUse, ItemQuery, JobCount, JobQuery, OpenJobCount, Page, TaskPlacement, TaskQuery } from '../store.js';
import { EventHorizon, MAX_WINDOW } from './postgres-event-horizon.js';

import { firstRow, type Queryable, rows } from './postgres-pool.js';

/** How far below the last event a feed that starts now looks for ids that may still commit (see lastEventId). */
const START_LOOK_BACK = 1_000;
const DEPENDS_ON = 'array_agg(d.depends_on ORDER BY d.depends_on)';

const SQL = {
  job: `SELECT *, ${OTHER_SITES_SQL.postgres} FROM jobs WHERE id = $1`,
  jobs: `SELECT *, ${OTHER_SITES_SQL.postgres} FROM jobs WHERE id = ANY($1::bigint[])`,
  task: `SELECT t.*, (SELECT ${DEPENDS_ON} FROM task_deps d WHERE d.task_id = t.id) AS depends_on FROM tasks t WHERE t.id = $1`,
  taskTypes: 'SELECT DISTINCT type FROM tasks WHERE job_id = $1 ORDER BY type',
  placement: 'SELECT site, worker_id, state, count(*) AS n FROM tasks WHERE job_id = $1 GROUP BY site, worker_id, state ORDER BY site, worker_id, state',
  output: 'SELECT seq, at, line FROM task_logs WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
  // lower() under the C collation folds ASCII letters only, as SQLite's does: see Store.searchTaskOutput.
  // Candidates: lines that contain the needle as stored, and every line with an escape character
  // (its text comes back, to be matched without its escape sequences).
  outputSearch: `SELECT seq, CASE WHEN strpos(line, chr(27)) > 0 THEN line END AS coloured FROM task_logs
    WHERE task_id = $1 AND seq > $2 AND seq <= $3 AND (strpos(lower(line COLLATE "C"), $4) > 0 OR strpos(line, chr(27)) > 0)
    ORDER BY seq LIMIT $5`,
  history: 'SELECT * FROM items WHERE job_id = $1 AND path = $2 ORDER BY id',
  // The job's batches after $2 whose summary holds every trigram hash of $3 (item-grams.ts:
  // bit hash & (bits - 1), read as get_bit reads bytea).
  grams: `SELECT lo_id, hi_id FROM item_grams WHERE job_id = $1 AND hi_id > $2
    AND NOT EXISTS (SELECT FROM unnest($3::bigint[]) AS g(h) WHERE get_bit(bloom, (g.h & (length(bloom)::bigint * 8 - 1))::int) = 0)`,
  gramsFrom: 'SELECT upto, jobs_upto FROM item_grams_from',
  locksOf: 'SELECT job_id, lock_key, mode FROM job_locks WHERE job_id = ANY($1::bigint[]) ORDER BY job_id, lock_key',
  lastEvent: 'SELECT COALESCE(MAX(id), 0) AS id FROM events',
  concurrencyLimits: 'SELECT workflow, concurrency_limit, per_key FROM workflow_concurrency WHERE workflow = ANY($1::text[])',
  concurrencyHeld: `SELECT workflow, concurrency_key, count(*) AS n FROM jobs
    WHERE workflow = ANY($1::text[]) AND concurrency_slot = 'held' GROUP BY workflow, concurrency_key`,
};

/**
 * The read side of the PostgreSQL store: lookups and keyset-paginated lists. It runs on the
 * pool, or on a transaction's client when a verb answers with what it just wrote.
 */
export class PostgresReads {
  private readonly horizon: EventHorizon;

  /** The last item and job ids written before batch summaries existed (migration 25); they never change. */
  private gramsFrom: ItemsBeforeSummaries | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly map: RowMapper,
  ) {
    this.horizon = new EventHorizon(db);
  }

  async countOpenJobs(): Promise<OpenJobCount[]> {
    const sql = `SELECT state, site, queue, count(*) AS n FROM jobs WHERE state IN ${OPEN_JOB_STATES_SQL} GROUP BY state, site, queue`;
    return (await rows(this.db, sql, [])).map((r) => ({
      state: r.state as OpenJobCount['state'],
      site: r.site as string,
      queue: r.queue as string,
      count: Number(r.n),
    }));
  }

  async getJob(id: number): Promise<JobRecord | null> {
    const row = await firstRow(this.db, SQL.job, [id]);
    return row ? this.map.job(row) : null;
  }

  /** Jobs by id, in the order asked; ids not found are left out. */
  async getJobs(ids: number[]): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const byId = new Map((await rows(this.db, SQL.jobs, [ids])).map((row) => [Number(row.id), this.map.job(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async jobTotal(query: JobQuery, cap: number): Promise<JobCount> {
    // Text through the search index, as the list reads it.
    const needle = searchNeedle(query.q);
    const index = needle === null ? null : searchIndexSql(postgresDialect, needle);
    const matches = index === null ? null : textMatches(await rows(this.db, index.sql, index.params));
    const { sql, params } = countJobsSql(postgresDialect, query, cap, matches);
    const counted = await firstRow(this.db, sql, params);
    const n = Number(counted?.n ?? 0);
    if (n < cap) return { count: n, exact: true };
    const ids = await firstRow(this.db, 'SELECT min(id) AS min, max(id) AS max FROM jobs', []);
    return jobCountFrom({ n, low: Number(counted?.low) }, cap, ids?.min == null ? null : { min: Number(ids.min), max: Number(ids.max) });
  }

  async listJobs(query: JobQuery): Promise<Page<JobRecord>> {
    const needle = searchNeedle(query.q);
    const index = needle === null ? null : searchIndexSql(postgresDialect, needle);
    const matches = index === null ? null : textMatches(await rows(this.db, index.sql, index.params));
    const plan = listJobsPlan(postgresDialect, query, OTHER_SITES_SQL.postgres, matches);
    let step = plan.next();
    while (!step.done) step = plan.next(await rows(this.db, step.value.sql, step.value.params));
    return toPage(step.value.rows, step.value.list, this.map.job);
  }

  async getTask(id: number): Promise<TaskRecord | null> {
    const row = await firstRow(this.db, SQL.task, [id]);
    return row ? this.map.task(row) : null;
  }

  async listTasks(jobId: number, query: TaskQuery): Promise<Page<TaskRecord>> {
    const list = listTasksSql(postgresDialect, jobId, query, DEPENDS_ON);
    return toPage(await rows(this.db, list.sql, list.params), list, this.map.task);
  }

  async taskPlacement(jobId: number): Promise<TaskPlacement[]> {
    return groupPlacement(await rows(this.db, SQL.placement, [jobId]));
  }

  async taskTypes(jobId: number): Promise<string[]> {
    return (await rows(this.db, SQL.taskTypes, [jobId])).map((r) => r.type as string);
  }

  async taskOutput(taskId: number, afterSeq: number, limit: number): Promise<TaskLogLine[]> {
    return (await rows(this.db, SQL.output, [taskId, afterSeq, limit])).map(this.map.logLine);
  }

  async searchTaskOutput(taskId: number, needle: string, afterSeq: number, throughSeq: number, limit: number): Promise<number[]> {
    const folded = foldAscii(needle);
    const seqs: number[] = [];
    for (let after = afterSeq; seqs.length < limit; ) {
      const candidates = await rows(this.db, SQL.outputSearch, [taskId, after, throughSeq, folded, OUTPUT_SEARCH_BATCH]);
      seqs.push(...visibleOutputMatches(candidates, folded, limit - seqs.length));
      if (candidates.length < OUTPUT_SEARCH_BATCH) break;
      after = Number(candidates[candidates.length - 1].seq);
    }
    return seqs;
  }

  async listItems(jobId: number, query: ItemQuery): Promise<Page<ItemRecord>> {
    const hashes = query.path ? needleGrams(query.path) : null;
    if (hashes) return this.listItemsByGrams(jobId, query, hashes);
    const list = listItemsSql(postgresDialect, jobId, query);
    return toPage(await rows(this.db, list.sql, list.params), list, this.map.item);
  }

  /** A page of items filtered by path, reading only the batches whose summary may hold it (item-grams.ts). */
  private async listItemsByGrams(jobId: number, query: ItemQuery, hashes: number[]): Promise<Page<ItemRecord>> {
    const summarized = (await rows(this.db, SQL.grams, [jobId, itemsAfter(query), hashes])).map((row) => ({ lo: Number(row.lo_id), hi: Number(row.hi_id) }));
    this.gramsFrom ??= itemsBeforeSummaries((await firstRow(this.db, SQL.gramsFrom)) ?? {});
    const { reads, page } = itemRangeReads(postgresDialect, jobId, query, summarized, this.gramsFrom);
    const found: Record<string, unknown>[] = [];
    for (const read of reads) {
      found.push(...(await rows(this.db, read.sql, read.params)));
      if (found.length >= page.fetch) break;
    }
    return toPage(found.slice(0, page.fetch), page, this.map.item);
  }

  async jobLocks(jobIds: number[]): Promise<Map<number, ResourceLock[]>> {
    return groupLocks(await rows(this.db, SQL.locksOf, [jobIds]));
  }

  async concurrencyUse(workflows: string[]): Promise<Map<string, ConcurrencyUse>> {
    const [limits, held] = await Promise.all([rows(this.db, SQL.concurrencyLimits, [workflows]), rows(this.db, SQL.concurrencyHeld, [workflows])]);
    return concurrencyUseFrom(limits, held);
  }

  async itemHistory(jobId: number, path: string): Promise<ItemRecord[]> {
    return (await rows(this.db, SQL.history, [jobId, path])).map(this.map.item);
  }

  /**
   * Events after `afterId` up to the safe horizon only (postgres-event-horizon.ts): never past
   * an id that may still commit, so a reader that moves its cursor to the last event it got
   * misses nothing. The horizon is found on all ids, then the sites filter applies; when the
   * filter leaves the page short, the next stretch of the horizon is read, as far as it goes.
   */
  async listEvents(afterId: number, limit: number, sites: string[] | null): Promise<EventRecord[]> {
    if (sites === null) return (await this.horizon.page(afterId, limit)).map(this.map.event);
    const found: EventRecord[] = [];
    let from = afterId;
    // The filter leaves part of the ids out: look further than the page, and further each step.
    let window = Math.min(Math.max(limit, 1) * 8, MAX_WINDOW);
    for (;;) {
      const step = await this.horizon.step(from, window, limit - found.length, sites);
      found.push(...step.rows.map(this.map.event));
      if (found.length >= limit || !step.full) return found;
      from = step.horizon;
      window = Math.min(window * 4, MAX_WINDOW);
    }
  }

  /**
   * Where a feed that starts now begins: the last event, or just before the first id near the
   * top that may still commit — so an event whose transaction commits after the feed started
   * is not skipped (it may hear a few that committed just before instead). Ids more than
   * START_LOOK_BACK below the last are taken as settled.
   */
  async lastEventId(): Promise<number> {
    const last = Number((await firstRow(this.db, SQL.lastEvent))?.id ?? 0);
    return this.horizon.latest(last, START_LOOK_BACK);
  }

  async listAudit(query: AuditQuery): Promise<Page<AuditRecord>> {
    const list = listAuditSql(postgresDialect, query);
    return toPage(await rows(this.db, list.sql, list.params), list, this.map.audit);
  }
}
