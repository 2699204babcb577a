import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeLocks } from '../../src/model/index.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { postgresBefore, sqliteBefore } from '../helpers/old-database.js';
import { dropSchema, newJob, postgresHarness, TEST_PG_URL, testSchemaName } from '../helpers/store-harness.js';

const LOCK_ORDER_VERSION = 22;
const T0 = 1_700_000_000_000;
const job = (id: number, state: string, started: number | null, waitOn: number | null) =>
  `(${id}, 'demo', 'local', 'default', 'ann', '${state}', '{}', '', '{}', '{}', ${T0}, ${started ?? 'NULL'}, ${T0}, ${waitOn ?? 'NULL'})`;
/** Before the admission order: job 1 runs holding `k`, job 2 waits on it, job 3 ended and released it. */
const OLD_ROWS = [
  `INSERT INTO sites (name, created_at) VALUES ('local', ${T0})`,
  `INSERT INTO queues (name, created_at, updated_at) VALUES ('default', ${T0}, ${T0})`,
  `INSERT INTO jobs (id, workflow, site, queue, creator, state, fields, search_text, task_counts, item_counts, created_at, started_at, updated_at, lock_wait_on)
    VALUES ${[job(1, 'running', T0, null), job(2, 'queued', null, 1), job(3, 'success', T0, null)].join(', ')}`,
  `INSERT INTO job_locks (job_id, lock_key, mode, released_at) VALUES (1, 'k', 'exclusive', NULL), (2, 'k', 'exclusive', NULL), (3, 'k', 'exclusive', ${T0})`,
];

/** Migration 22 on a database written before it: the jobs in line keep their order (their ids), and later jobs queue behind them. */
describe('resource lock admission order migration (22) on an existing database', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const expectOrdered = async (store: Store, seqs: () => Promise<[number, number][]>) => {
    expect(await seqs()).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const [{ job: later }] = await store.submitJobs([newJob({ locks: normalizeLocks(['k/sub']) })], T0 + 1);
    expect((await store.getJob(later.id))?.lockWaitOn).toBe(2);
    expect((await seqs()).at(-1)).toEqual([later.id, 4]);
  };

  it('on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-lock-order-'));
    const path = join(dir, 'old.db');
    const db = new BetterSqlite3(path);
    sqliteBefore(db, LOCK_ORDER_VERSION, T0);
    for (const sql of OLD_ROWS) db.exec(sql);
    db.close();
    const store = new SqliteStore({ path });
    const check = new BetterSqlite3(path);
    cleanups.push(async () => {
      check.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await store.migrate();
    await expectOrdered(store, async () =>
      (check.prepare('SELECT job_id, seq FROM job_locks ORDER BY seq').all() as { job_id: number; seq: number }[]).map((r) => [r.job_id, r.seq]),
    );
  });

  it('on PostgreSQL', async (context) => {
    const unavailable = await postgresHarness().available();
    if (unavailable) context.skip();
    const schema = testSchemaName('lock_order_migration');
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    cleanups.push(async () => {
      await client.end();
      await dropSchema(TEST_PG_URL, schema);
    });
    await postgresBefore(client, schema, LOCK_ORDER_VERSION, T0);
    for (const sql of OLD_ROWS) await client.query(sql);
    // Ids drawn from the sequences past the rows written by hand.
    await client.query(`SELECT setval(pg_get_serial_sequence('jobs', 'id'), 3)`);
    const store = new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 2 });
    cleanups.unshift(() => store.close());
    await store.migrate();
    await expectOrdered(store, async () =>
      (await client.query('SELECT job_id, seq FROM job_locks ORDER BY seq')).rows.map((r) => [Number(r.job_id), Number(r.seq)]),
    );
  });
});
