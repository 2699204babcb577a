import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { postgresBefore, sqliteBefore } from '../helpers/old-database.js';
import { dropSchema, newJob, postgresHarness, TEST_PG_URL, testSchemaName } from '../helpers/store-harness.js';

const ROLLUP_VERSION = 21;
const M0 = 1_699_999_980_000; // a whole minute
const HOUR = 3_600_000;
const job = (site: string, workflow: string, state: string, created: number, started: number | null, ended: number | null) =>
  `('${workflow}', '${site}', 'default', 'ann', '${state}', '{}', '', '{}', '{}', ${created}, ${started ?? 'NULL'}, ${ended ?? 'NULL'}, ${created})`;
/** Jobs written before the roll-up: queued, succeeded (2 s, 2.05 s), failed (10 s), cancelled before it started. */
const OLD_JOBS = `INSERT INTO jobs (workflow, site, queue, creator, state, fields, search_text, task_counts, item_counts, created_at, started_at, ended_at, updated_at)
  VALUES ${[
    job('east', 'demo', 'queued', M0 + 1000, null, null),
    job('east', 'demo', 'success', M0 + 2000, M0 + HOUR, M0 + HOUR + 2000),
    job('east', 'demo', 'success', M0 + 61_000, M0 + HOUR, M0 + HOUR + 2050),
    job('west', 'other', 'failure', M0 + 62_000, M0 + HOUR + 60_000, M0 + HOUR + 70_000),
    job('west', 'other', 'cancelled', M0 + 63_000, null, M0 + HOUR + 90_000),
  ].join(', ')}`;

/** Migration 21 on a database written before it: the roll-up starts with the jobs already there, and the dashboard indexes are gone. */
describe('dashboard roll-up migration (21) on an existing database', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const expectCounted = async (store: Store) => {
    const window = { sites: null, from: M0, to: M0 + 2 * HOUR, bucketMs: HOUR };
    expect(await store.dashboardAggregates(window)).toEqual({
      created: [
        { bucket: M0, state: 'cancelled', count: 1 },
        { bucket: M0, state: 'failure', count: 1 },
        { bucket: M0, state: 'queued', count: 1 },
        { bucket: M0, state: 'success', count: 2 },
      ],
      ended: [
        { bucket: M0 + HOUR, state: 'cancelled', count: 1 },
        { bucket: M0 + HOUR, state: 'failure', count: 1 },
        { bucket: M0 + HOUR, state: 'success', count: 2 },
      ],
      durations: [
        { workflow: 'demo', bins: [[2000, 2]] },
        { workflow: 'other', bins: [[10_000, 1]] },
      ],
    });
    // The queue counts start from the jobs there too.
    expect((await store.listQueues(null)).find((q) => q.name === 'default')).toMatchObject({ queuedJobs: 1, activeJobs: 0, oldestQueuedAt: M0 + 1000 });
    // Written after the migration: counted by the store's writes. A job created in the first minute, then cancelled.
    const [fresh] = await store.submitJobs([newJob({ site: 'east' })], M0 + 3000);
    await store.controlJob(fresh.job.id, 'cancel', M0 + HOUR + 5000);
    const after = await store.dashboardAggregates({ sites: ['east'], from: M0, to: M0 + 2 * HOUR, bucketMs: HOUR });
    expect(after.created).toEqual([
      { bucket: M0, state: 'cancelled', count: 1 },
      { bucket: M0, state: 'queued', count: 1 },
      { bucket: M0, state: 'success', count: 2 },
    ]);
    expect(after.ended).toEqual([
      { bucket: M0 + HOUR, state: 'cancelled', count: 1 },
      { bucket: M0 + HOUR, state: 'success', count: 2 },
    ]);
  };

  it('on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-rollup-'));
    const path = join(dir, 'old.db');
    const db = new BetterSqlite3(path);
    sqliteBefore(db, ROLLUP_VERSION, M0);
    db.exec(`INSERT INTO sites (name, created_at) VALUES ('east', ${M0}), ('west', ${M0})`);
    db.exec(`INSERT INTO queues (name, created_at, updated_at) VALUES ('default', ${M0}, ${M0})`);
    db.exec(OLD_JOBS);
    db.close();
    const store = new SqliteStore({ path });
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await store.migrate();
    await expectCounted(store);
    const check = new BetterSqlite3(path);
    try {
      expect(check.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%\\_dash' ESCAPE '\\'`).all()).toEqual([]);
    } finally {
      check.close();
    }
  });

  it('on PostgreSQL', async (context) => {
    const unavailable = await postgresHarness().available();
    if (unavailable) context.skip();
    const schema = testSchemaName('rollup_migration');
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await postgresBefore(client, schema, ROLLUP_VERSION, M0);
      await client.query(`INSERT INTO sites (name, created_at) VALUES ('east', ${M0}), ('west', ${M0})`);
      await client.query(`INSERT INTO queues (name, created_at, updated_at) VALUES ('default', ${M0}, ${M0})`);
      await client.query(OLD_JOBS);
    } finally {
      await client.end();
    }
    const store = new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 2 });
    cleanups.push(async () => {
      await store.close();
      await dropSchema(TEST_PG_URL, schema);
    });
    await store.migrate();
    await expectCounted(store);
    const probe = new pg.Client({ connectionString: TEST_PG_URL });
    await probe.connect();
    try {
      const { rows } = await probe.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE '%\\_dash'`, [schema]);
      expect(rows).toEqual([]);
    } finally {
      await probe.end();
    }
  });
});
