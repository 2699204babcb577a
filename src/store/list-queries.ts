import { ITEM_OUTCOMES, isTerminalJobState, JOB_STATES, jobInstantUnset, SwitchyardError } from '../model/index.js';
import { type CursorValue, decodeCursor, encodeCursor } from './cursor.js';
import { FIRST_RANGE_READS, type IdRange, RANGES_PER_READ, summaryRanges } from './item-grams.js';
import type { Dialect } from './sql-builder.js';
import { sqliteDialect, sqlList, WhereBuilder } from './sql-builder.js';
import type { AuditQuery, ItemQuery, JobCount, JobQuery, JobSortKey, TaskQuery } from './store.js';

/**
 * The SQL of the list queries with request-dependent filters, built the same way for both
 * backends. Each returns the SQL, its parameters, and how to make the next page's cursor.
 */
/** The unfinished job states as an SQL list: what countOpenJobs counts. */
export const OPEN_JOB_STATES_SQL = sqlList(JOB_STATES.filter((state) => !isTerminalJobState(state)));

/**
 * A job's sites besides its own, selected with every job read as `other_sites` (parsed in
 * rows.ts): one probe of job_sites' primary key per job, which holds no rows for most jobs.
 * `jobs` is the alias of the jobs rows in the query it is spliced into.
 */
export const OTHER_SITES_SQL = {
  sqlite: '(SELECT json_group_array(s.site) FROM job_sites s WHERE s.job_id = jobs.id) AS other_sites',
  postgres: '(SELECT array_agg(s.site) FROM job_sites s WHERE s.job_id = jobs.id) AS other_sites',
} as const;

export interface ListSql {
  sql: string;
  params: unknown[];
  /** The limit asked for plus one: a full extra row means there is a next page. */
  fetch: number;
  cursorOf(row: Record<string, unknown>): string;
}

const JOB_SORT_COLUMNS: Record<JobSortKey, { column: string; nullable: boolean }> = {
  id: { column: 'id', nullable: false },
  createdAt: { column: 'created_at', nullable: false },
  startedAt: { column: 'started_at', nullable: true },
  endedAt: { column: 'ended_at', nullable: true },
  updatedAt: { column: 'updated_at', nullable: false },
  state: { column: 'state', nullable: false },
  workflow: { column: 'workflow', nullable: false },
  creator: { column: 'creator', nullable: false },
  queue: { column: 'queue', nullable: false },
  site: { column: 'site', nullable: false },
};

const TEXT_SORT_COLUMNS = new Set(['state', 'workflow', 'creator', 'queue', 'site']);

/**
 * Free text (`q`) is matched, case-insensitively, as a substring of the job's workflow, creator,
 * site, queue, reason and search text (never the fields: the engine leaves secret fields out of
 * search text), of its state, or as its id. The text columns are served by an index of
 * trigrams (migration 20: FTS5 on SQLite, pg_trgm on PostgreSQL), asked first for at most
 * SEARCH_MATCH_CAP jobs (searchIndexSql); the list then reads those by id. Text the index
 * cannot serve (under 3 characters) or that matches more jobs than that (common text, whose
 * first page a scan in list order finds quickly) is matched by LIKE over the columns instead.
 */
export const SEARCH_MATCH_CAP = 5000;
/** The job's columns free text is matched in (search_text, never the fields: the engine leaves secret fields out of it). */
const TEXT_COLUMNS = ['workflow', 'creator', 'site', 'queue', 'search_text', 'reason'];

/** The free text of a query, trimmed; null for none. */
export function searchNeedle(q: string | undefined): string | null {
  const needle = q?.trim();
  return needle ? needle : null;
}

/**
 * The SQL asking the text index for up to SEARCH_MATCH_CAP + 1 jobs whose text columns contain
 * `needle`; null when the index cannot serve it (trigrams need 3 characters).
 */
export function searchIndexSql(dialect: Dialect, needle: string): { sql: string; params: unknown[] } | null {
  // A NUL would end FTS5's query text early: such text is matched without the index.
  if ([...needle].length < 3 || needle.includes('\u0000')) return null;
  if (dialect === sqliteDialect) {
    // An FTS5 phrase of the trigram tokenizer: the needle's trigrams, consecutive (a substring).
    // The index holds the jobs up to search_indexed.upto (SqliteSearchIndexer adds new ones in
    // batches, a moment later): the few after it are matched here, by their rowid range.
    const tail = new WhereBuilder(dialect);
    const columns = TEXT_COLUMNS.map((column) => tail.contains(column, needle)).join(' OR ');
    return {
      sql: `SELECT rowid AS id FROM jobs_search WHERE jobs_search MATCH ?
        UNION ALL SELECT id FROM jobs WHERE id > (SELECT upto FROM search_indexed) AND (${columns})
        LIMIT ${SEARCH_MATCH_CAP + 1}`,
      params: [`"${needle.replace(/"/g, '""')}"`, ...tail.params],
    };
  }
  const where = new WhereBuilder(dialect);
  return { sql: `SELECT job_id AS id FROM jobs_search WHERE ${where.contains('doc', needle)} LIMIT ${SEARCH_MATCH_CAP + 1}`, params: where.params };
}

/** The ids the text index found, or null when the list must match the text itself (see SEARCH_MATCH_CAP). */
export function textMatches(found: Record<string, unknown>[] | null): number[] | null {
  if (found === null || found.length > SEARCH_MATCH_CAP) return null;
  return found.map((row) => Number(row.id));
}

/**
 * The jobs list's filters as WHERE clauses (shared by the list, bulk operations' counts and the
 * dashboard). `sites` here is the job's own site; the list adds the jobs that span into them.
 * `matches`: the jobs whose text columns hold the query's text, from the text index; absent
 * or null, the text is matched with LIKE here.
 */
export function jobFilterWhere(where: WhereBuilder, query: Omit<JobQuery, 'limit' | 'sort' | 'cursor'>, matches: number[] | null = null): void {
  if (query.sites !== null) where.in('site', query.sites);
  where.in('id', query.ids);
  where.in('state', query.states);
  where.in('queue', query.queues);
  where.in('workflow', query.workflows);
  where.in('creator', query.creators);
  where.in('schedule_id', query.schedules);
  creationRange(where, query);
  if (query.hideNoop) where.add(`state <> 'skipped'`);
  const q = searchNeedle(query.q);
  if (q) {
    // Placeholders are positional in SQLite: parameters are added in the order they appear.
    const anyOf = /^\d{1,15}$/.test(q) ? [`id = ${where.param(Number(q))}`] : [];
    // States are our own lowercase names: the ones containing the text, as a list.
    const states = JOB_STATES.filter((state) => state.includes(q.toLowerCase()));
    if (states.length > 0) anyOf.push(`state IN (${states.map((state) => where.param(state)).join(', ')})`);
    if (matches === null) {
      for (const column of TEXT_COLUMNS) anyOf.push(where.contains(column, q));
    } else if (matches.length > 0) {
      anyOf.push(where.inIntegers('id', matches));
    }
    where.add(anyOf.length > 0 ? `(${anyOf.join(' OR ')})` : '1 = 0');
  }
}

/**
 * A page of jobs. "Jobs at sites S" are those whose own site is in S, and those with tasks at
 * one of S (job_sites, see migration 13). The two halves are read as two ordered, limited
 * arms — each a range of its own index (jobs_site_id and the other filters' indexes; then
 * job_sites_site) — merged by one more ORDER BY … LIMIT: one `site IN … OR id IN …` would
 * make both stores read and sort every job of the sites (a multi-index OR on SQLite).
 *
 * Options: `window`, read the arms from a window of the list in its order (orderWindowFits);
 * `narrow` (implied by a window), the arms read only the columns the filters and the order
 * read (LIST_COLUMNS), and the page's jobs are then read whole by id: SQLite sorts what it
 * reads, and sorting whole rows cost ten times as much (the 10,000 jobs of a queue by creation
 * among 1,000,000: 37 ms, 4 ms so); `filterFirst`, the arms read the filters' matches before
 * ordering them, whatever a planner makes of the order's index (listJobsPlan); `columns`, what
 * the arms select otherwise (a count: `id`).
 */
export function listJobsSql(
  dialect: Dialect,
  query: JobQuery,
  otherSites: string,
  matches: number[] | null = null,
  { window = 0, narrow = window > 0, filterFirst = false, columns = '*' }: { window?: number; narrow?: boolean; filterFirst?: boolean; columns?: string } = {},
): ListSql {
  const params: unknown[] = [];
  if (window > 0 && !orderWindowFits(query)) throw new Error('listJobsSql: an order window needs a filtered list in the order of an instant');
  const { sort, column, nullable, expression, order } = jobOrder(query);
  const kind = jobCursorKind(query);
  const cursor = query.cursor ? decodeCursor(query.cursor, kind) : null;
  // A cursor of the right order holds a value of its column's type; one that does not was not
  // made here (a value of the wrong type would compare text with numbers, which PostgreSQL refuses).
  if (cursor && column !== 'id' && cursor.value !== null && typeof cursor.value !== (TEXT_SORT_COLUMNS.has(column) ? 'string' : 'number')) {
    throw new SwitchyardError('SWY_ERR_VALIDATION', 'cursor: not a cursor this server gave out', [
      { path: 'cursor', message: 'not a cursor this server gave out' },
    ]);
  }
  const fetch = query.limit + 1;

  /** One arm: the query's filters after `site` (a clause, or none); parameters in the order they appear. */
  const arm = (site: ((where: WhereBuilder) => string) | null, select: string): string => {
    let from = 'jobs';
    if (window > 0) {
      const range = new WhereBuilder(dialect, params);
      creationRange(range, query);
      if (cursor) range.add(keysetAfter(range, expression, sort.desc, cursor));
      from = `(SELECT ${LIST_COLUMNS} FROM jobs ${range.sql()} ORDER BY ${order} LIMIT ${range.param(window)}) AS jobs`;
    }
    const where = new WhereBuilder(dialect, params);
    if (site) where.add(site(where));
    jobFilterWhere(where, { ...query, sites: null }, matches);
    if (cursor) where.add(keysetAfter(where, expression, sort.desc, cursor));
    const columns = narrow ? LIST_COLUMNS : select;
    // OFFSET 0: PostgreSQL plans such a subquery by itself, by its filters alone (SQLite, without statistics, does so anyway).
    if (filterFirst && dialect !== sqliteDialect) {
      return `SELECT ${columns} FROM (SELECT * FROM ${from} ${where.sql()} OFFSET 0) AS jobs ORDER BY ${order} LIMIT ${where.param(fetch)}`;
    }
    return `SELECT ${columns} FROM ${from} ${where.sql()} ORDER BY ${order} LIMIT ${where.param(fetch)}`;
  };

  let sql: string;
  const sites = query.sites;
  const list = (where: WhereBuilder) => (sites ?? []).map((site) => where.param(site)).join(', ');
  if (sites === null) {
    sql = arm(null, `${columns}, ${otherSites}`);
  } else if (sites.length === 0) {
    sql = arm(() => '1 = 0', `${columns}, ${otherSites}`);
  } else if (window > 0) {
    // A window is read row by row anyway: one read of it for both halves.
    sql = arm((where) => `(site IN (${list(where)}) OR id IN (SELECT job_id FROM job_sites WHERE site IN (${list(where)})))`, columns);
  } else {
    const own = arm((where) => `site IN (${list(where)})`, columns);
    // Disjoint from the first arm (own site outside S), so UNION ALL counts no job twice.
    const spanning = arm((where) => `id IN (SELECT job_id FROM job_sites WHERE site IN (${list(where)})) AND site NOT IN (${list(where)})`, columns);
    const outer = new WhereBuilder(dialect, params);
    sql = `SELECT ${narrow ? 'id' : `*, ${otherSites}`} FROM (SELECT * FROM (${own}) AS own_site UNION ALL SELECT * FROM (${spanning}) AS spanning) AS jobs
      ORDER BY ${order} LIMIT ${outer.param(fetch)}`;
  }
  if (narrow) {
    const outer = new WhereBuilder(dialect, params);
    sql = `SELECT *, ${otherSites} FROM jobs WHERE id IN (SELECT id FROM (${sql}) AS page) ORDER BY ${order} LIMIT ${outer.param(fetch)}`;
  }
  return {
    sql,
    params,
    fetch,
    cursorOf: (row) => encodeCursor(sortValue(row[column], nullable), Number(row.id), kind),
  };
}

/** A read a list plan asks for; the rows it gets are sent back in. */
export interface PlannedRead {
  sql: string;
  params: unknown[];
}

/** The first window of jobs read in list order: 5,000 entries of the order's index, about 3 ms (they hold a page of any value on 1 % of them). */
const ORDER_WINDOW = 5_000;

/**
 * How a store reads a page of jobs: the reads it yields, run in turn, each answered with its
 * rows; it returns the page's rows and the list they are cut with (toPage). SQLite reads narrow
 * rows first, then the page by id (listJobsSql's `narrow`); PostgreSQL reads whole rows.
 *
 * A list that fits a window of its order (orderWindowFits) reads the ORDER_WINDOW jobs after
 * the cursor in its order and keeps the matches; while they hold no full page and more jobs
 * follow, the next window, four times as large, as long as the filters match at least as many
 * jobs as it holds. A window is read until the page is full, so it costs about what its rows
 * before the page's last job do; failing that (a value few jobs have), the list reads the
 * filters' matches first and sorts them, which then costs less (PostgreSQL: when there are
 * fewer than ORDER_WINDOW; with more, its planner's choice). Without planner statistics
 * SQLite took an equality (`state = 'queued'`) for the more selective and read and sorted every
 * match (a day's queued jobs among 1,000,000: 363 ms; all queued jobs by creation: 1.9 s; by
 * last update, behind the 20,000 jobs updated since: 1.5 s); with them, PostgreSQL took the
 * order's index for a week of jobs in a state none of them is in, and read the week (58 ms).
 */
export function* listJobsPlan(
  dialect: Dialect,
  query: JobQuery,
  otherSites: string,
  matches: number[] | null,
): Generator<PlannedRead, { rows: Record<string, unknown>[]; list: ListSql }, Record<string, unknown>[]> {
  const narrow = dialect === sqliteDialect;
  if (!orderWindowFits(query)) {
    const list = listJobsSql(dialect, query, otherSites, matches, { narrow });
    return { rows: yield list, list };
  }
  const found: Record<string, unknown>[] = [];
  let cursor = query.cursor ?? null;
  let matching = 0;
  for (let size = ORDER_WINDOW; ; size *= 4) {
    const from = { ...query, cursor };
    const list = listJobsSql(dialect, from, otherSites, matches, { window: size });
    found.push(...(yield list));
    if (found.length >= list.fetch) return { rows: found.slice(0, list.fetch), list };
    const [last] = yield orderWindowEndSql(dialect, from, size);
    if (!last) return { rows: found, list };
    const [counted] = yield countJobsSql(dialect, query, size * 4, matches);
    matching = Number(counted.n);
    if (matching < size * 4) break;
    cursor = encodeCursor(Number(last.value), Number(last.id), jobCursorKind(query));
  }
  // PostgreSQL's own plan finds thousands of matches fast, reading the order's index; fewer,
  // they are read first (a subquery it plans on its own).
  const list = listJobsSql(dialect, query, otherSites, matches, { narrow, filterFirst: matching < ORDER_WINDOW });
  return { rows: yield list, list };
}

function creationRange(where: WhereBuilder, query: Pick<JobQuery, 'createdFrom' | 'createdTo'>): void {
  if (query.createdFrom !== undefined) where.add(`created_at >= ${where.param(query.createdFrom)}`);
  if (query.createdTo !== undefined) where.add(`created_at <= ${where.param(query.createdTo)}`);
}

/** The columns jobFilterWhere and the orders of the list read (listJobsSql's `narrow`). */
const LIST_COLUMNS = [
  ...new Set(['id', 'site', 'state', 'queue', 'workflow', 'creator', 'schedule_id', ...TEXT_COLUMNS, 'created_at', 'started_at', 'ended_at', 'updated_at']),
].join(', ');

/** The sorts an index orders by themselves, whatever the filters: a job's instants. */
const WINDOW_SORTS: ReadonlySet<JobSortKey> = new Set(['createdAt', 'startedAt', 'endedAt', 'updatedAt']);

/**
 * Whether a page of `query` may be read from a window of the list in its order (listJobsSql's
 * `window`): the first jobs in the order of one of their instants (each has its index), within
 * the creation range if one is asked for, of which the list keeps those that match its other
 * filters — a column of their own or a site scope (one read of the window for both halves of
 * the scope). Without such filters the order's index serves the list by itself; nor is a window
 * needed when the filtered states never hold the instant (the list is then in id order).
 *
 * Why: the SQLite store gathers no planner statistics, and SQLite then takes an equality on an
 * index (`state = 'queued'`) for more selective than a range or an order. A day of 1,000,000
 * jobs filtered by a state, workflow, creator or queue most jobs have was read through that
 * column's index — every queued job, 980,000 rows, read and sorted (270 ms; 700 ms for a week);
 * so were the 16,000 successes to list them by end (50 ms). Reading the list in order and
 * filtering its first rows finds such a page at once; a value few jobs have is found fast the
 * other way (the index of its column), which the store falls back to (listJobsPlan).
 */
export function orderWindowFits(query: JobQuery): boolean {
  const { sort, expression } = jobOrder(query);
  const filtered = [query.sites, query.states, query.queues, query.workflows, query.creators].some((values) => values != null && values.length > 0);
  return filtered && WINDOW_SORTS.has(sort.key) && expression !== '0';
}

/**
 * The last job of the window of `size` jobs after the cursor of `query` in its order (within its
 * creation range): one row `{ value, id }` — its sort value and id, a cursor for the next
 * window — or none when fewer jobs follow, so that the window saw them all.
 */
export function orderWindowEndSql(dialect: Dialect, query: JobQuery, size: number): { sql: string; params: unknown[] } {
  const { sort, expression, order } = jobOrder(query);
  const where = new WhereBuilder(dialect);
  creationRange(where, query);
  if (query.cursor) where.add(keysetAfter(where, expression, sort.desc, decodeCursor(query.cursor, jobCursorKind(query))));
  // In list order, so that the order's index is read, and only `size` entries of it.
  return { sql: `SELECT ${expression} AS value, id FROM jobs ${where.sql()} ORDER BY ${order} LIMIT 1 OFFSET ${where.param(size - 1)}`, params: where.params };
}

/**
 * The list's sort (the default if none is asked for), its column and its ORDER BY. Nullable
 * instants sort as 0 so that keyset comparisons stay total. Filtered by states in which a job
 * never holds the instant (jobInstantUnset: queued jobs by start, unfinished ones by end), every
 * match sorts as 0, so the list is in id order (`expression` 0): so read, the state's own index
 * serves it, where SQLite, without planner statistics, read and sorted every match (queued jobs
 * by start among 1,000,000: 2.4 s).
 */
/**
 * What a cursor of the jobs list was made for: the list and its sort (asked for, or the default
 * its filters choose). A cursor of the same sort may serve other filters: it marks a place in
 * that order, whichever jobs the filters keep.
 */
export function jobCursorKind(query: JobQuery): string {
  const { sort } = jobOrder(query);
  return `jobs ${sort.key} ${sort.desc ? 'desc' : 'asc'}`;
}

function jobOrder(query: JobQuery) {
  const sort = query.sort ?? defaultSort(query);
  const { column, nullable } = JOB_SORT_COLUMNS[sort.key];
  const instant = sort.key === 'startedAt' || sort.key === 'endedAt' ? sort.key : null;
  const states = query.states ?? [];
  const unset = instant !== null && states.length > 0 && states.every((state) => jobInstantUnset(state, instant));
  const expression = unset ? '0' : nullable ? `COALESCE(${column}, 0)` : column;
  const direction = sort.desc ? 'DESC' : 'ASC';
  const order = column === 'id' || unset ? `id ${direction}` : `${expression} ${direction}, id ${direction}`;
  return { sort, column, nullable, expression, order };
}

/** The rows after `cursor` in an order by `expression` then id (the id alone for `id`; for a constant 0, by how the cursor's value compares with 0). */
function keysetAfter(where: WhereBuilder, expression: string, desc: boolean, cursor: { value: CursorValue; id: number }): string {
  const cmp = desc ? '<' : '>';
  if (expression === 'id') return `id ${cmp} ${where.param(cursor.id)}`;
  if (expression === '0') {
    const value = Number(cursor.value);
    if (value === 0) return `id ${cmp} ${where.param(cursor.id)}`;
    return (desc ? value > 0 : value < 0) ? '1 = 1' : '1 = 0';
  }
  return `(${expression} ${cmp} ${where.param(cursor.value)} OR (${expression} = ${where.param(cursor.value)} AND id ${cmp} ${where.param(cursor.id)}))`;
}

/**
 * Newest first: by id, or, when the jobs are filtered by creation time, by creation time then
 * id. A job's id and its creation time rise together (both are taken at submission; only the
 * clocks of several hubs can set them a few milliseconds apart), and only the second order is
 * served by the index of the range (jobs_created_at): ordered by id, the first page of a day
 * among 1,000,000 jobs read and sorted the day's 33,000 rows (72 ms on SQLite; now 0.9 ms, and
 * 3.6 ms on PostgreSQL, medians of the scale bench).
 */
function defaultSort(query: JobQuery): { key: JobSortKey; desc: boolean } {
  const created = query.createdFrom !== undefined || query.createdTo !== undefined;
  return { key: created ? 'createdAt' : 'id', desc: true };
}

/**
 * How many jobs match `query`, counting at most `cap`: one row `{ n, low }`, `low` being the
 * smallest id among those counted. The list's own query (newest first, LIMIT cap) of ids only
 * wrapped in a count, so it costs what reading `cap` ids of the list costs (the entries of the
 * filter's index where it holds the id), whatever the table's size.
 */
export function countJobsSql(dialect: Dialect, query: JobQuery, cap: number, matches: number[] | null = null): { sql: string; params: unknown[] } {
  const list = listJobsSql(dialect, { ...query, sort: { key: 'id', desc: true }, cursor: null, limit: cap - 1 }, '0 AS unused', matches, { columns: 'id' });
  return { sql: `SELECT count(*) AS n, min(id) AS low FROM (${list.sql}) AS capped`, params: list.params };
}

/**
 * The count answered to a list: exact below the cap; at the cap, an estimate from how densely
 * the counted jobs sit among ids (the ids below the last counted one assumed alike), never
 * less than the cap. `ids`: the smallest and largest job id in the table.
 */
export function jobCountFrom(counted: { n: number; low: number | null }, cap: number, ids: { min: number; max: number } | null): JobCount {
  if (counted.n < cap || counted.low === null || ids === null) return { count: counted.n, exact: true };
  const spread = Math.max(1, ids.max - counted.low + 1);
  const below = Math.max(0, counted.low - ids.min);
  return { count: Math.max(cap, Math.round(counted.n + (below * counted.n) / spread)), exact: false };
}

export function listTasksSql(dialect: Dialect, jobId: number, query: TaskQuery, dependsOnAggregate: string): ListSql {
  const where = new WhereBuilder(dialect);
  where.add(`t.job_id = ${where.param(jobId)}`);
  where.in('t.state', query.states);
  where.in('t.type', query.types);
  if (query.cursor) where.add(`t.id > ${where.param(decodeCursor(query.cursor, 'tasks').id)}`);
  const fetch = query.limit + 1;
  return {
    sql: `SELECT t.*, (SELECT ${dependsOnAggregate} FROM task_deps d WHERE d.task_id = t.id) AS depends_on
          FROM tasks t ${where.sql()} ORDER BY t.id LIMIT ${where.param(fetch)}`,
    params: where.params,
    fetch,
    cursorOf: (row) => encodeCursor(null, Number(row.id), 'tasks'),
  };
}

/**
 * A page of a job's items in id order. With neither an outcome nor a path asked for, the page
 * is the merge of one ordered, limited arm per outcome, each a range of items_job_outcome
 * (job_id, outcome, id): `job_id = ? ORDER BY id` alone reads and sorts every item of the job
 * (100 ms at 1,000,000 items on SQLite). Outcomes are checked where items are reported
 * (report-limits.ts, the worker protocol), so the arms cover every item. `within` narrows the
 * ids read (a path filter through the batches' summaries, itemRangeReads): to `ranges` (at
 * least one, each after the cursor), or to those up to `through`.
 */
export function listItemsSql(dialect: Dialect, jobId: number, query: ItemQuery, within: { ranges?: readonly IdRange[]; through?: number } = {}): ListSql {
  const { ranges, through } = within;
  const params: unknown[] = [];
  const fetch = query.limit + 1;
  const after = query.cursor ? decodeCursor(query.cursor, 'items').id : null;
  /** One read in id order; `range` its id bounds (SQL expressions). */
  const arm = (outcome: string | undefined, range?: () => [string, string]): string => {
    const where = new WhereBuilder(dialect, params);
    // A range (of the batches a path filter's summaries kept: item-grams.ts) is read through
    // the primary key: the job's and outcome's columns are kept from their indexes (SQLite's
    // unary +, an expression on PostgreSQL), which would read every item of the job; without
    // statistics both planners took them.
    const plain = (column: string, text: boolean) =>
      !range ? column : dialect === sqliteDialect ? `+${column}` : text ? `(${column} || '')` : `(${column} + 0)`;
    where.add(`${plain('job_id', false)} = ${where.param(jobId)}`);
    if (outcome) where.add(`${plain('outcome', true)} = ${where.param(outcome)}`);
    // Current records only: one superseded by a later record of its path and operation shows
    // in the item's history alone. Read through the partial outcome index, or kept from it.
    where.add(range && dialect === sqliteDialect ? '+superseded = 0' : dialect.isFalse('superseded'));
    if (query.path) where.add(where.contains('path', query.path));
    // Ranges start after the cursor (itemRangeReads).
    if (range) {
      const [lo, hi] = range();
      where.add(`id BETWEEN ${lo} AND ${hi}`);
    } else if (after !== null) where.add(`id > ${where.param(after)}`);
    if (through !== undefined) where.add(`id <= ${where.param(through)}`);
    return `SELECT * FROM items ${where.sql()} ORDER BY id LIMIT ${where.param(fetch)}`;
  };
  const param = (value: unknown) => new WhereBuilder(dialect, params).param(value);
  // Arms merged in id order: each reads in that order and stops at a page (an OR of ranges
  // made SQLite, without statistics, scan the whole table).
  const merged = (arms: string[]) =>
    `SELECT * FROM (${arms.map((sql, i) => `SELECT * FROM (${sql}) AS a${i}`).join(' UNION ALL ')}) AS items ORDER BY id LIMIT ${param(fetch)}`;
  let sql: string;
  if (ranges && dialect !== sqliteDialect) {
    // PostgreSQL: the ranges as arrays, each read by a lateral subquery: one statement text
    // for any number of them (a UNION of 64 arms took 8 ms to plan, as long as it ran).
    const [lo, hi] = [param(ranges.map((r) => r.lo)), param(ranges.map((r) => r.hi))];
    sql = `SELECT i.* FROM unnest(${lo}::bigint[], ${hi}::bigint[]) AS r(lo, hi)
      CROSS JOIN LATERAL (${arm(query.outcome, () => ['r.lo', 'r.hi'])}) AS i ORDER BY i.id LIMIT ${param(fetch)}`;
  } else if (ranges) sql = merged(ranges.map((range) => arm(query.outcome, () => [param(range.lo), param(range.hi)])));
  else if (query.outcome || query.path) sql = arm(query.outcome);
  else sql = merged(ITEM_OUTCOMES.map((outcome) => arm(outcome)));
  return { sql, params, fetch, cursorOf: (row) => encodeCursor(null, Number(row.id), 'items') };
}

/**
 * How to read a page of items with a path filter through the batch summaries (item-grams.ts):
 * `summarized` are the ranges of the job's batches whose summary may hold the text, `before`
 * the last item and job ids written before summaries existed: a job up to that one has its
 * items up to that one read first, as before, and none twice (SQLite may give a new item a
 * deleted item's id). Returns the reads, of a few ranges then up to RANGES_PER_READ, in id
 * order — the caller runs them in turn until it has a page — and the list whose fetch and
 * cursor the page takes.
 */
export function itemRangeReads(
  dialect: Dialect,
  jobId: number,
  query: ItemQuery,
  summarized: readonly IdRange[],
  before: ItemsBeforeSummaries,
): { reads: ListSql[]; page: ListSql } {
  const after = itemsAfter(query);
  const reads: ListSql[] = [];
  // A job that may have items without summaries has those read first (their ids are the
  // lowest), as before; a later job has none.
  const upto = jobId <= before.jobs ? before.items : 0;
  if (upto > after) reads.push(listItemsSql(dialect, jobId, query, { through: upto }));
  const from = Math.max(after, upto) + 1;
  const ranges = summaryRanges(summarized.filter((range) => range.hi >= from).map((range) => ({ lo: Math.max(range.lo, from), hi: range.hi })));
  for (let i = 0, n = 0; i < ranges.length; n += 1) {
    const size = FIRST_RANGE_READS[n] ?? RANGES_PER_READ;
    reads.push(listItemsSql(dialect, jobId, query, { ranges: ranges.slice(i, i + size) }));
    i += size;
  }
  return { reads, page: listItemsSql(dialect, jobId, query) };
}

/** The last item and job ids written before batch summaries existed (migration 25). */
export interface ItemsBeforeSummaries {
  items: number;
  jobs: number;
}

/** ItemsBeforeSummaries from item_grams_from's row. */
export function itemsBeforeSummaries(row: Record<string, unknown>): ItemsBeforeSummaries {
  return { items: Number(row.upto ?? 0), jobs: Number(row.jobs_upto ?? 0) };
}

/** The id a page of items starts after (0 for the first page). */
export function itemsAfter(query: ItemQuery): number {
  return query.cursor ? decodeCursor(query.cursor, 'items').id : 0;
}

/** Audit entries newest first; with `sites` set, only entries at those sites (never the site-less ones). */
export function listAuditSql(dialect: Dialect, query: AuditQuery): ListSql {
  const where = new WhereBuilder(dialect);
  if (query.sites !== null) where.in('site', query.sites);
  if (query.site !== undefined) where.add(`site = ${where.param(query.site)}`);
  if (query.target) where.add(`target = ${where.param(query.target)}`);
  if (query.actor !== undefined) where.add(`actor = ${where.param(query.actor)}`);
  if (query.action) where.add(where.startsWith('action', query.action));
  if (query.from !== undefined) where.add(`at >= ${where.param(query.from)}`);
  if (query.to !== undefined) where.add(`at <= ${where.param(query.to)}`);
  if (query.cursor) where.add(`id < ${where.param(decodeCursor(query.cursor, 'audit').id)}`);
  const fetch = query.limit + 1;
  return {
    sql: `SELECT * FROM audit ${where.sql()} ORDER BY id DESC LIMIT ${where.param(fetch)}`,
    params: where.params,
    fetch,
    cursorOf: (row) => encodeCursor(null, Number(row.id), 'audit'),
  };
}

/** Cuts the extra row off a fetched page and makes the next cursor from the last row kept. */
export function toPage<R extends Record<string, unknown>, T>(rows: R[], list: ListSql, map: (row: R) => T): { items: T[]; nextCursor: string | null } {
  const more = rows.length === list.fetch;
  const kept = more ? rows.slice(0, list.fetch - 1) : rows;
  return { items: kept.map(map), nextCursor: more ? list.cursorOf(kept[kept.length - 1]) : null };
}

function sortValue(value: unknown, nullable: boolean): CursorValue {
  if (value === null || value === undefined) return nullable ? 0 : null;
  return typeof value === 'number' || typeof value === 'string' ? value : Number(value);
}
