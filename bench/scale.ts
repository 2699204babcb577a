import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { z } from 'zod';
import { buildServer } from '../src/api/server.js';
import { Engine } from '../src/engine/engine.js';
import { DEFAULT_RETRY_POLICY, SYSTEM_ACTOR } from '../src/model/index.js';
import { defineWorkflow } from '../src/sdk/define-workflow.js';
import { WorkflowRegistry } from '../src/sdk/workflow-registry.js';
import type { JobQuery, NewItem, NewJob, Store } from '../src/store/store.js';
import { benchStore, type StoreKind } from './bench-store.js';
import type { Measurement } from './measurements.js';

const DAY = 86_400_000;
const WORKFLOWS = ['backup', 'sync', 'cleanup', 'import', 'report'];
/** Queues by share of the jobs: `reports` is the rare one (1 %). */
const QUEUES: [string, number][] = [
  ['default', 0.69],
  ['imports', 0.3],
  ['reports', 0.01],
];
const SITES = ['local', 'east', 'west'];
const CREATORS = ['ann', 'bob', 'cli', 'scheduler'];

export const workflows = new WorkflowRegistry(
  [...WORKFLOWS, 'simulate'].map((name) =>
    defineWorkflow({ name, fields: z.object({}).passthrough(), plan: () => [{ type: 'work' }], tasks: { work: () => {} } }),
  ),
);

function queueOf(i: number): string {
  const x = ((i * 7919) % 10_000) / 10_000;
  let acc = 0;
  for (const [queue, share] of QUEUES) {
    acc += share;
    if (x < acc) return queue;
  }
  return 'default';
}

/** Job `i` of the million: varied workflow, queue, site, creator and search text (`customer-<i % 5000>`). */
export function jobSpec(i: number): NewJob {
  const root = `/data/customer-${i % 5000}/batch-${i % 97}`;
  return {
    workflow: WORKFLOWS[i % WORKFLOWS.length],
    site: SITES[i % SITES.length],
    queue: queueOf(i),
    creator: CREATORS[i % CREATORS.length],
    priority: 0,
    fields: { root },
    searchText: root,
    runAt: null,
    idempotencyKey: null,
    timeoutMs: null,
    retry: DEFAULT_RETRY_POLICY,
    parentJobId: null,
    tasks: [{ type: 'work', input: null }],
    locks: [],
  };
}

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
}

async function timeIt(calls: number, body: () => Promise<unknown>): Promise<{ p95: number; median: number }> {
  await body(); // warm: statements prepared, pages cached
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await body();
    samples.push(performance.now() - started);
  }
  return { p95: p95(samples), median: [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] };
}

/** Raw SQL on the bench store's own connection (sizes and counts, never the measured reads). */
async function rawSql(kind: StoreKind, store: Store, sql: string): Promise<Record<string, unknown>[]> {
  if (kind === 'sqlite') return (store as unknown as { db: { prepare(s: string): { all(): Record<string, unknown>[] } } }).db.prepare(sql).all();
  const pool = (store as unknown as { pool: { query(s: string): Promise<{ rows: Record<string, unknown>[] }> } }).pool;
  return (await pool.query(sql)).rows;
}

/** Bytes the events table (with its indexes) takes, and its row count. */
async function eventsSize(kind: StoreKind, store: Store): Promise<{ rows: number; bytes: number | null }> {
  const rows = Number((await rawSql(kind, store, 'SELECT count(*) AS n FROM events'))[0].n);
  try {
    const sql =
      kind === 'sqlite' ? `SELECT sum(pgsize) AS b FROM dbstat WHERE name IN ('events', 'events_job')` : `SELECT pg_total_relation_size('events') AS b`;
    return { rows, bytes: Number((await rawSql(kind, store, sql))[0].b) };
  } catch {
    return { rows, bytes: null };
  }
}

/** Runs `count` queued jobs of the bench to an end (success), leasing 500 at a time, at `now`. */
async function finish(store: Store, count: number, now: number): Promise<number> {
  let done = 0;
  while (done < count) {
    const leased = await store.leaseTasks({ workerId: 'bench', site: 'local', workflows: WORKFLOWS, limit: Math.min(500, count - done), leaseMs: 60_000, now });
    if (leased.length === 0) break;
    await store.completeTasks(
      leased.map((t, k) => ({
        taskId: t.task.id,
        leaseToken: t.leaseToken,
        report:
          k % 10 === 0
            ? { kind: 'skipped', reason: 'nothing to do' }
            : k % 10 === 1
              ? { kind: 'failed', error: { message: 'disk quota exceeded' }, retryable: false }
              : { kind: 'succeeded', changed: true },
      })) as Parameters<Store['completeTasks']>[0],
      now + 1000,
    );
    done += leased.length;
  }
  return done;
}

interface Row {
  what: string;
  p95: number;
  median: number;
  note?: string;
}

/**
 * Scale (issue 15, "Scale"): `--scale-jobs N` jobs (default 1,000,000) submitted 1,000 per call
 * (the store's bulk submit, what `POST /jobs/bulk` calls), spread over 30 days, varied in
 * workflow, queue, site, creator and search text; 2 % of them run to an end at the local site.
 * Then p95 over 20 calls of the first page of 50 of every filter, combination and sort of the
 * jobs list, text search that matches nothing and some, the dashboard, a CSV export of all
 * of them over HTTP (RSS growth sampled), and the events table's size per job. Then one job of
 * `--scale-items` items (default 1,000,000; 50 tasks): its stats, each items tab, the path
 * filter and an item's history. Prints a table; the value is the worst jobs-list p95.
 */
export const scaleMeasurements: Measurement[] = [
  {
    name: 'scale',
    label: 'jobs list, items and export at scale (worst jobs-list p95)',
    unit: 'ms',
    run: async ({ kind, scaleJobs, scaleItems }) => {
      const { store, dispose } = await benchStore(kind);
      const rows: Row[] = [];
      const facts: string[] = [];
      try {
        const total = scaleJobs;
        const now = Date.now();
        const from = now - 30 * DAY;
        const submitStarted = performance.now();
        for (let i = 0; i < total; i += 1000) {
          const batch = Array.from({ length: Math.min(1000, total - i) }, (_, k) => jobSpec(i + k));
          await store.submitJobs(batch, from + Math.floor((i / total) * 29 * DAY));
        }
        const submitMs = performance.now() - submitStarted;
        facts.push(
          `bulk submit: ${total.toLocaleString('en')} jobs in ${(submitMs / 1000).toFixed(1)} s = ${Math.round(total / (submitMs / 1000)).toLocaleString('en')} jobs/s`,
        );
        if ('indexSearch' in store && typeof store.indexSearch === 'function') {
          // SQLite indexes new jobs' text in batches, as they come (migration 23): what is left at the end.
          const indexStarted = performance.now();
          await store.indexSearch();
          facts.push(`text index: up to date ${((performance.now() - indexStarted) / 1000).toFixed(1)} s after the last submit`);
        }
        const finishedCount = await finish(store, Math.ceil(total * 0.02), now - DAY);
        facts.push(`${finishedCount.toLocaleString('en')} of them run to an end (every 10th skipped, every 10th failed)`);
        // PostgreSQL's autovacuum gathers planner statistics by itself (ANALYZE here does it
        // now); the SQLite store gathers none, so the SQLite figures are the plans users get.
        if (kind === 'postgres') await rawSql(kind, store, 'ANALYZE');

        const list = (query: Omit<JobQuery, 'limit' | 'sites'> & { sites?: string[] | null }) => () =>
          store.listJobs({ sites: null, limit: 50, ...query } as JobQuery).then((page) => {
            if (page.items.length > 50) throw new Error('page too long');
            return page;
          });
        const cases: [string, () => Promise<unknown>][] = [
          ['newest first', list({})],
          ['state=queued', list({ states: ['queued'] })],
          ['state=success', list({ states: ['success'] })],
          ['state=failure (none)', list({ states: ['failure'] })],
          ['workflow=backup', list({ workflows: ['backup'] })],
          ['queue=imports', list({ queues: ['imports'] })],
          ['queue=reports', list({ queues: ['reports'] })],
          ['site=east (scope)', list({ sites: ['east'] })],
          ['creator=ann', list({ creators: ['ann'] })],
          ['createdFrom=-7d', list({ createdFrom: now - 7 * DAY })],
          ['createdFrom..createdTo (1 day)', list({ createdFrom: now - 10 * DAY, createdTo: now - 9 * DAY })],
          ['createdFrom..createdTo (1 day)&state=queued', list({ createdFrom: now - 10 * DAY, createdTo: now - 9 * DAY, states: ['queued'] })],
          ['createdFrom..createdTo (1 day)&workflow=backup', list({ createdFrom: now - 10 * DAY, createdTo: now - 9 * DAY, workflows: ['backup'] })],
          ['createdFrom=-7d&state=success (none)', list({ createdFrom: now - 7 * DAY, states: ['success'] })],
          ['state=queued&sort=createdAt', list({ states: ['queued'], sort: { key: 'createdAt', desc: true } })],
          ['state=queued&sort=startedAt', list({ states: ['queued'], sort: { key: 'startedAt', desc: true } })],
          ['workflow=backup&sort=endedAt asc', list({ workflows: ['backup'], sort: { key: 'endedAt', desc: false } })],
          ['state=queued&sort=updatedAt', list({ states: ['queued'], sort: { key: 'updatedAt', desc: true } })],
          ['state=queued&sort=endedAt asc', list({ states: ['queued'], sort: { key: 'endedAt', desc: false } })],
          ['workflow=backup&sort=startedAt', list({ workflows: ['backup'], sort: { key: 'startedAt', desc: true } })],
          ['hideNoop', list({ hideNoop: true })],
          ['state=skipped&hideNoop', list({ states: ['skipped'], hideNoop: true })],
          ['sort=createdAt desc', list({ sort: { key: 'createdAt', desc: true } })],
          ['sort=createdAt asc', list({ sort: { key: 'createdAt', desc: false } })],
          ['sort=startedAt desc', list({ sort: { key: 'startedAt', desc: true } })],
          ['sort=endedAt desc', list({ sort: { key: 'endedAt', desc: true } })],
          ['sort=updatedAt desc', list({ sort: { key: 'updatedAt', desc: true } })],
          ['sort=state', list({ sort: { key: 'state', desc: false } })],
          ['sort=workflow', list({ sort: { key: 'workflow', desc: false } })],
          ['sort=creator', list({ sort: { key: 'creator', desc: false } })],
          ['sort=queue', list({ sort: { key: 'queue', desc: false } })],
          ['sort=site', list({ sort: { key: 'site', desc: false } })],
          ['state=queued&workflow=sync', list({ states: ['queued'], workflows: ['sync'] })],
          ['queue=imports&state=queued', list({ queues: ['imports'], states: ['queued'] })],
          ['queue=imports&state=queued&sort=workflow', list({ queues: ['imports'], states: ['queued'], sort: { key: 'workflow', desc: false } })],
          ['queue=reports&sort=createdAt', list({ queues: ['reports'], sort: { key: 'createdAt', desc: true } })],
          ['workflow=report&site=west (scope)', list({ workflows: ['report'], sites: ['west'] })],
          ['state=success&sort=endedAt', list({ states: ['success'], sort: { key: 'endedAt', desc: true } })],
          ['q= matches nothing', list({ q: 'zzqx-nothing' })],
          ['q= matches some (customer-4242)', list({ q: 'customer-4242' })],
          ['q= matches most (batch)', list({ q: 'batch' })],
          ['q= a workflow (backu)', list({ q: 'backu' })],
          ['q= a state (queued)', list({ q: 'queued' })],
          ['q= a failure reason (quota)', list({ q: 'quota' })],
          ['q= a job id', list({ q: String(Math.floor(total / 2)) })],
          ['q= nothing & state=queued', list({ q: 'zzqx-nothing', states: ['queued'] })],
          ['q= some & sort=workflow', list({ q: 'customer-4242', sort: { key: 'workflow', desc: false } })],
          ['q= nothing (scope east)', list({ q: 'zzqx-nothing', sites: ['east'] })],
          [
            'second page, newest first',
            async () => store.listJobs({ sites: null, limit: 50, cursor: (await store.listJobs({ sites: null, limit: 50 })).nextCursor }),
          ],
        ];
        for (const [what, body] of cases) rows.push({ what: `jobs: ${what}`, ...(await timeIt(20, body)) });
        const worstList = Math.max(...rows.map((r) => r.p95));

        const engine = new Engine({ store, workflows, runDuties: false });
        await engine.init();
        try {
          rows.push({
            what: 'dashboard (Global, 24 h, hourly)',
            ...(await timeIt(5, () => engine.dashboard.dashboard({ from: now - DAY, to: now, bucketMs: 3_600_000 }, SYSTEM_ACTOR))),
          });
          facts.push(await exportCsv(engine, total));
        } finally {
          await engine.stop();
        }

        const events = await eventsSize(kind, store);
        const ended = await rawSql(
          kind,
          store,
          `SELECT count(DISTINCT j.id) AS jobs, count(e.id) AS events FROM jobs j LEFT JOIN events e ON e.job_id = j.id WHERE j.ended_at IS NOT NULL`,
        );
        const queuedEvents = await rawSql(kind, store, `SELECT count(*) AS n FROM events e JOIN jobs j ON j.id = e.job_id WHERE j.state = 'queued'`);
        facts.push(
          `events per job: ${(Number(ended[0].events) / Number(ended[0].jobs)).toFixed(2)} for a one-task job run to its end, ` +
            `${(Number(queuedEvents[0].n) / (total - Number(ended[0].jobs))).toFixed(2)} for one still queued`,
        );
        facts.push(
          `events: ${events.rows.toLocaleString('en')} rows, ${(events.rows / total).toFixed(2)} per job` +
            (events.bytes === null ? '' : `, ${(events.bytes / 1e6).toFixed(0)} MB with its index = ${Math.round(events.bytes / total)} bytes per job`),
        );

        await itemsJob(kind, store, scaleItems, now, rows, facts);
        printTable(kind, rows, facts);
        return { value: worstList, detail: `${total.toLocaleString('en')} jobs, ${scaleItems.toLocaleString('en')} items; table above` };
      } finally {
        await dispose();
      }
    },
  },
];

/** A download in a child process: prints the bytes and lines it got (answers other than 200 throw). */
const DOWNLOAD = `
const response = await fetch(process.env.URL, { headers: { authorization: 'Bearer ' + process.env.TOKEN } });
if (!response.ok) throw new Error('export answered ' + response.status);
let bytes = 0, lines = 0;
for await (const chunk of response.body) { bytes += chunk.length; for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1; }
console.log(JSON.stringify({ bytes, lines }));
`;

const run = promisify(execFile);

/**
 * The export of every job over HTTP (CSV by default, or XLSX), downloaded as it streams by
 * another process; the hub's RSS sampled every 50 ms.
 */
export async function exportCsv(engine: Engine, total: number, format: 'csv' | 'xlsx' = 'csv'): Promise<string> {
  const token = await engine.auth.localCliToken(null);
  const server = await buildServer({ engine, logger: false });
  await server.listen({ port: 0, host: '127.0.0.1' });
  try {
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    let bytes = 0;
    let lines = 0;
    try {
      // The download runs in a process of its own, as a browser would: the RSS sampled is the hub's alone.
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', DOWNLOAD], {
        env: { ...process.env, URL: `http://127.0.0.1:${port}/api/v1/jobs/export?format=${format}`, TOKEN: token },
        maxBuffer: 1 << 20,
      });
      ({ bytes, lines } = JSON.parse(stdout) as { bytes: number; lines: number });
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    if (format === 'csv' && lines !== total + 1) throw new Error(`export gave ${lines} lines for ${total} jobs`);
    return `${format.toUpperCase()} export: ${total.toLocaleString('en')} jobs, ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s; RSS ${(before / 1e6).toFixed(0)} MB before, peak +${((peak - before) / 1e6).toFixed(0)} MB`;
  } finally {
    await server.close();
  }
}

/** One job of `count` items over 50 tasks (1 % failed, 1 % queued, the rest completed): its reads. */
async function itemsJob(kind: StoreKind, store: Store, count: number, now: number, rows: Row[], facts: string[]): Promise<void> {
  const tasks = 50;
  const perTask = Math.ceil(count / tasks);
  const [{ job }] = await store.submitJobs(
    [{ ...jobSpec(0), workflow: 'simulate', site: 'items', queue: 'default', tasks: Array.from({ length: tasks }, () => ({ type: 'work', input: null })) }],
    now,
  );
  const leased = await store.leaseTasks({ workerId: 'bench', site: 'items', workflows: ['simulate'], limit: tasks, leaseMs: 3_600_000, now });
  if (leased.length !== tasks) throw new Error(`leased ${leased.length} of ${tasks} tasks`);
  const started = performance.now();
  for (const [t, lease] of leased.entries()) {
    for (let i = 0; i < perTask; i += 5000) {
      const items: NewItem[] = [];
      for (let k = i; k < Math.min(perTask, i + 5000); k++) {
        const outcome = k % 100 === 7 ? 'failed' : k % 100 === 9 ? 'queued' : 'completed';
        items.push({
          path: `/sim/t${t}/dir${k % 100}/file-${k}.dat`,
          operation: 'copy',
          outcome,
          bytes: k,
          error: outcome === 'failed' ? 'simulated failure' : null,
        });
      }
      await store.recordActivity([{ taskId: lease.task.id, leaseToken: lease.leaseToken, items }], now);
    }
    await store.completeTasks([{ taskId: lease.task.id, leaseToken: lease.leaseToken, report: { kind: 'succeeded', changed: true } }], now);
  }
  const seconds = (performance.now() - started) / 1000;
  facts.push(
    `one job of ${(tasks * perTask).toLocaleString('en')} items recorded in ${seconds.toFixed(1)} s = ${Math.round((tasks * perTask) / seconds).toLocaleString('en')} items/s`,
  );
  if (kind === 'postgres') await rawSql(kind, store, 'ANALYZE');
  const items = (query: Parameters<Store['listItems']>[1]) => async () => {
    const page = await store.listItems(job.id, query);
    if (page.items.length === 0 && !query.path?.includes('nothing')) throw new Error(`no items for ${JSON.stringify(query)}`);
  };
  const cases: [string, () => Promise<unknown>][] = [
    ['job stats (getJob)', () => store.getJob(job.id)],
    ['tasks, first page', () => store.listTasks(job.id, { limit: 50 })],
    ['items: all, first page', items({ limit: 50 })],
    ['items: completed tab', items({ outcome: 'completed', limit: 50 })],
    ['items: failed tab', items({ outcome: 'failed', limit: 50 })],
    ['items: queued tab', items({ outcome: 'queued', limit: 50 })],
    ['items: path filter (/t25/)', items({ path: '/t25/', limit: 50 })],
    ['items: path filter (last file of each task)', items({ path: `file-${perTask - 1}.dat`, limit: 50 })],
    ['items: path filter matching nothing', items({ path: 'nothing-here', limit: 50 })],
    ['items: completed & path /t40/', items({ outcome: 'completed', path: '/t40/', limit: 50 })],
    ['item history', () => store.itemHistory(job.id, `/sim/t30/dir7/file-${perTask - 93}.dat`)],
  ];
  for (const [what, body] of cases) rows.push({ what: `1 job, ${(tasks * perTask).toLocaleString('en')} items: ${what}`, ...(await timeIt(20, body)) });
}

function printTable(kind: StoreKind, rows: Row[], facts: string[]): void {
  const width = Math.max(...rows.map((r) => r.what.length));
  console.log(`\n  scale on ${kind}: first page of 50, 20 calls each (5 for the dashboard)`);
  console.log(`  ${'read'.padEnd(width)}  ${'p95 ms'.padStart(9)}  ${'median'.padStart(9)}`);
  for (const row of rows) {
    const flag = row.p95 > 50 ? '  > 50 ms' : '';
    console.log(`  ${row.what.padEnd(width)}  ${row.p95.toFixed(1).padStart(9)}  ${row.median.toFixed(1).padStart(9)}${flag}`);
  }
  for (const fact of facts) console.log(`  ${fact}`);
}
