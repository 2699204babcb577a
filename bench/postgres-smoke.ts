/**
 * A smoke benchmark of the PostgreSQL store with several hubs on one schema: submit jobs
 * whose tasks wait on each other (a diamond a → b, c → d), then let workers on every hub
 * lease, report items and complete them all at once. It prints throughput and latencies, and
 * fails if any job did not end `success` with the counters it should have: the point is as
 * much "no deadlock, no lost update under contention" as speed.
 *
 *   npx tsx bench/postgres-smoke.ts [--hubs 3] [--workers 4] [--jobs 300] [--items 20] [--keep]
 *
 * Uses SWITCHYARD_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test) and a schema
 * of its own, dropped at the end unless --keep.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULT_RETRY_POLICY } from '../src/model/index.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import type { NewJob, Store } from '../src/store/store.js';

const { values: args } = parseArgs({
  options: {
    hubs: { type: 'string', default: '3' },
    workers: { type: 'string', default: '4' },
    jobs: { type: 'string', default: '300' },
    items: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
  },
});
const HUBS = Number(args.hubs);
const WORKERS = Number(args.workers);
const JOBS = Number(args.jobs);
const ITEMS = Number(args.items);
const TASKS_PER_JOB = 4;
const URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bench_${Date.now().toString(36)}`;

function diamondJob(n: number): NewJob {
  return {
    workflow: 'bench',
    site: 'local',
    queue: 'default',
    creator: 'bench',
    priority: 0,
    fields: { n },
    runAt: null,
    idempotencyKey: `bench-${n}`,
    timeoutMs: null,
    retry: DEFAULT_RETRY_POLICY,
    parentJobId: null,
    tasks: [
      { type: 'a', key: 'a', input: { n } },
      { type: 'b', key: 'b', input: null, after: ['a'] },
      { type: 'c', key: 'c', input: null, after: ['a'] },
      { type: 'd', key: 'd', input: null, after: ['b', 'c'] },
    ],
  };
}

const latencies = { lease: [] as number[], activity: [] as number[], complete: [] as number[] };
async function timed<T>(kind: keyof typeof latencies, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await run();
  } finally {
    latencies[kind].push(performance.now() - start);
  }
}

let completed = 0;
const target = JOBS * TASKS_PER_JOB;

async function worker(store: Store, id: string): Promise<void> {
  while (completed < target) {
    const leased = await timed('lease', () =>
      store.leaseTasks({ workerId: id, site: 'local', workflows: ['bench'], limit: 8, leaseMs: 60_000, now: Date.now() }),
    );
    if (leased.length === 0) {
      // Dependents become ready as others complete; yield instead of spinning on the database.
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    const items = (taskId: number) =>
      Array.from({ length: ITEMS }, (_, i) => ({ path: `/bench/${taskId}/${i}`, operation: 'copy', outcome: 'completed' as const, bytes: i }));
    await timed('activity', () =>
      store.recordActivity(
        leased.map((l) => ({ taskId: l.task.id, leaseToken: l.leaseToken, items: items(l.task.id), logs: ['working'] })),
        Date.now(),
      ),
    );
    const results = await timed('complete', () =>
      store.completeTasks(
        leased.map((l) => ({ taskId: l.task.id, leaseToken: l.leaseToken, report: { kind: 'succeeded', changed: true } })),
        Date.now(),
      ),
    );
    completed += results.filter((r) => r.accepted).length;
  }
}

function percentile(values: number[], p: number): string {
  if (values.length === 0) return '-';
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1);
}

async function main(): Promise<void> {
  const hubs = Array.from({ length: HUBS }, () => new PostgresStore({ connectionString: URL, schema, poolSize: WORKERS + 2 }));
  try {
    await Promise.all(hubs.map((hub) => hub.migrate()));
    let start = performance.now();
    for (let n = 0; n < JOBS; n += 50) {
      const batch = Array.from({ length: Math.min(50, JOBS - n) }, (_, i) => diamondJob(n + i));
      await hubs[(n / 50) % HUBS].submitJobs(batch, Date.now());
    }
    const submitMs = performance.now() - start;
    start = performance.now();
    await Promise.all(hubs.flatMap((hub, h) => Array.from({ length: WORKERS }, (_, w) => worker(hub, `h${h}-w${w}`))));
    const runMs = performance.now() - start;

    const bad: string[] = [];
    let cursor: string | null = null;
    let seen = 0;
    do {
      const page: Awaited<ReturnType<Store['listJobs']>> = await hubs[0].listJobs({ sites: null, limit: 500, cursor });
      for (const job of page.items) {
        seen += 1;
        if (job.state !== 'success' || job.taskCounts.success !== TASKS_PER_JOB || job.itemCounts.completed !== TASKS_PER_JOB * ITEMS) {
          bad.push(`job ${job.id}: ${job.state} ${JSON.stringify(job.taskCounts)} ${JSON.stringify(job.itemCounts)}`);
        }
      }
      cursor = page.nextCursor;
    } while (cursor);

    console.log(`hubs ${HUBS} × workers ${WORKERS}; ${JOBS} jobs × ${TASKS_PER_JOB} tasks × ${ITEMS} items`);
    console.log(`submit   ${submitMs.toFixed(0)} ms (${((JOBS / submitMs) * 1000).toFixed(0)} jobs/s)`);
    console.log(`run      ${runMs.toFixed(0)} ms (${((target / runMs) * 1000).toFixed(0)} tasks/s, ${(((target * ITEMS) / runMs) * 1000).toFixed(0)} items/s)`);
    for (const [kind, values] of Object.entries(latencies)) {
      console.log(`${kind.padEnd(8)} p50 ${percentile(values, 50)} ms  p99 ${percentile(values, 99)} ms  (${values.length} calls)`);
    }
    if (seen !== JOBS || bad.length > 0) {
      console.error(`FAILED: ${seen} of ${JOBS} jobs listed; ${bad.length} wrong`);
      for (const line of bad.slice(0, 10)) console.error(`  ${line}`);
      process.exitCode = 1;
    } else {
      console.log('ok: every job succeeded with its counters right');
    }
  } finally {
    await Promise.all(hubs.map((hub) => hub.close()));
    if (!args.keep) {
      const client = new pg.Client({ connectionString: URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }
}

await main();
