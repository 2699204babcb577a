import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PRUNE_BATCH } from '../src/engine/retention.js';
import type { PruneCutoffs } from '../src/model/index.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import type { StoreKind } from './bench-store.js';
import { newJobSpec } from './lock-jobs.js';
import type { Measurement } from './measurements.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DAY = 86_400_000;

/** A store plus raw SQL on the same database, for loading a million rows without the engine. */
interface RawStore {
  store: Store;
  sql(text: string): Promise<Record<string, unknown>[]>;
  series(n: number): { with: string; from: string };
  dispose(): Promise<void>;
}

async function rawStore(kind: StoreKind): Promise<RawStore> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'swy-bench-prune-'));
    const path = join(dir, 'bench.db');
    const store = new SqliteStore({ path });
    await store.migrate();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    return {
      store,
      sql: async (text) => {
        if (/^\s*(SELECT|PRAGMA)/i.test(text)) return db.prepare(text).all() as Record<string, unknown>[];
        db.exec(text);
        return [];
      },
      series: (n) => ({ with: `WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < ${n}) `, from: 's' }),
      async dispose() {
        db.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_prune_${Date.now().toString(36)}`;
  const store = new PostgresStore({ connectionString: PG_URL, schema, poolSize: 4 });
  await store.migrate();
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  return {
    store,
    sql: async (text) => (await client.query(text)).rows,
    series: (n) => ({ with: '', from: `generate_series(1, ${n}) AS s(k)` }),
    async dispose() {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      await store.close();
    },
  };
}

async function columns(raw: RawStore, kind: StoreKind, table: string): Promise<string[]> {
  const rows =
    kind === 'sqlite'
      ? await raw.sql(`PRAGMA table_info(${table})`)
      : await raw.sql(`SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}'`);
  return rows.map((r) => r.name as string);
}

/**
 * `copies` clones of the finished job `jobId` (one task, one item, one log line, its events):
 * job and task ids shifted by k, item and event ids left to the database, ended_at as given.
 */
async function cloneJob(raw: RawStore, kind: StoreKind, jobId: number, taskId: number, copies: number, offset: number, endedAt: number): Promise<void> {
  const { with: w, from } = raw.series(copies);
  const clone = async (table: string, where: string, map: Record<string, string>, skip: string[] = []) => {
    const cols = (await columns(raw, kind, table)).filter((c) => !skip.includes(c));
    const exprs = cols.map((c) => map[c] ?? `t.${c}`);
    await raw.sql(`INSERT INTO ${table} (${cols.join(', ')}) ${w}SELECT ${exprs.join(', ')} FROM ${table} t, ${from} WHERE ${where}`);
  };
  const k = `(s.k + ${offset})`;
  await clone('jobs', `t.id = ${jobId}`, { id: `t.id + ${k}`, ended_at: `${endedAt}`, idempotency_key: 'NULL' });
  await clone('tasks', `t.id = ${taskId}`, { id: `t.id + ${k}`, job_id: `t.job_id + ${k}` });
  await clone('items', `t.job_id = ${jobId}`, { job_id: `t.job_id + ${k}`, task_id: `t.task_id + ${k}` }, ['id']);
  await clone('task_logs', `t.task_id = ${taskId}`, { task_id: `t.task_id + ${k}` });
  await clone('events', `t.job_id = ${jobId}`, { job_id: `t.job_id + ${k}`, task_id: `t.task_id + ${k}`, at: `${endedAt}` }, ['id']);
}

/** One real finished job through the store (submit, lease, complete with an item and a log line). */
async function templateJob(store: Store, at: number): Promise<{ jobId: number; taskId: number }> {
  const [{ job }] = await store.submitJobs([newJobSpec([])], at);
  const [leased] = await store.leaseTasks({ workerId: 'bench', site: 'local', workflows: ['demo'], limit: 1, leaseMs: 60_000, now: at });
  await store.completeTasks(
    [
      {
        taskId: leased.task.id,
        leaseToken: leased.leaseToken,
        items: [{ path: '/data/file', operation: 'copy', outcome: 'completed', bytes: 1024 }],
        logs: ['copied /data/file'],
        report: { kind: 'succeeded', changed: true },
      },
    ],
    at,
  );
  return { jobId: job.id, taskId: leased.task.id };
}

/**
 * Retention at scale (R52): `--prune-jobs N` finished jobs (default 100,000; the README
 * quotes 1,000,000), each with a task, an item, a log line and its events, ended 30 days ago,
 * beside N/10 finished yesterday that must stay, are pruned by the store's retention verb in
 * batches of PRUNE_BATCH until none is left, then their events. Reports jobs pruned per
 * second, the total time and the longest single transaction (the longest any lock is held).
 */
export const pruneMeasurements: Measurement[] = [
  {
    name: 'prune',
    label: 'retention: prune finished jobs in batches',
    unit: 'jobs/s',
    run: async ({ kind, pruneJobs }) => {
      const raw = await rawStore(kind);
      try {
        const now = Date.now();
        const old = await templateJob(raw.store, now - 30 * DAY);
        const recent = await templateJob(raw.store, now - DAY);
        const keep = Math.ceil(pruneJobs / 10);
        const loadStarted = performance.now();
        // Old clones take ids after both templates; recent ones after the old ones.
        await cloneJob(raw, kind, old.jobId, old.taskId, pruneJobs - 1, recent.jobId - old.jobId, now - 30 * DAY);
        await cloneJob(raw, kind, recent.jobId, recent.taskId, keep - 1, pruneJobs, now - DAY);
        await raw.sql('ANALYZE');
        const loadSeconds = (performance.now() - loadStarted) / 1000;

        const cutoffs: PruneCutoffs = { byWorkflow: {}, byQueue: {}, otherwise: now - 7 * DAY };
        let longest = 0;
        let removed = 0;
        let batches = 0;
        const started = performance.now();
        for (;;) {
          const t = performance.now();
          const n = await raw.store.pruneJobs(cutoffs, PRUNE_BATCH, now);
          longest = Math.max(longest, performance.now() - t);
          removed += n;
          batches += 1;
          if (n === 0) break;
        }
        const jobSeconds = (performance.now() - started) / 1000;
        let events = 0;
        for (;;) {
          const t = performance.now();
          const n = await raw.store.pruneEvents(now - 7 * DAY, PRUNE_BATCH);
          longest = Math.max(longest, performance.now() - t);
          events += n;
          if (n === 0) break;
        }
        const totalSeconds = (performance.now() - started) / 1000;
        const left = Number((await raw.sql('SELECT count(*) AS n FROM jobs'))[0].n);
        if (removed !== pruneJobs || left !== keep) throw new Error(`pruned ${removed} of ${pruneJobs}; ${left} jobs left, expected ${keep}`);
        return {
          value: removed / jobSeconds,
          detail:
            `${removed.toLocaleString('en')} jobs in ${jobSeconds.toFixed(1)} s (${batches} transactions of ≤ ${PRUNE_BATCH}), ` +
            `then ${events.toLocaleString('en')} events; total ${totalSeconds.toFixed(1)} s; longest transaction ${longest.toFixed(0)} ms; ` +
            `${keep.toLocaleString('en')} recent jobs kept; loading took ${loadSeconds.toFixed(0)} s`,
        };
      } finally {
        await raw.dispose();
      }
    },
  },
];
