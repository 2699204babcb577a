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

const GRAMS_VERSION = 25;
const T0 = 1_700_000_000_000;
const OLD_JOB = `INSERT INTO jobs (workflow, site, queue, creator, state, reason, fields, search_text, task_counts, item_counts, created_at, updated_at)
  VALUES ('demo', 'local', 'default', 'ann', 'success', NULL, '{}', '', '{}', '{}', ${T0}, ${T0})`;
const OLD_ITEMS = `INSERT INTO items (job_id, task_id, path, operation, outcome, bytes, error, at) VALUES
  (1, 1, '/legacy/Alpha.txt', 'copy', 'completed', 1, NULL, ${T0}),
  (1, 1, '/legacy/beta.txt', 'copy', 'failed', NULL, 'EIO', ${T0})`;

/** Migration 25 on a database written before it: items without batch summaries are still found by path, beside new ones that have them. */
describe('item path summaries migration (25) on an existing database', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const expectFound = async (store: Store, summaries: () => Promise<number>) => {
    const paths = async (jobId: number, path: string) => (await store.listItems(jobId, { path, limit: 10 })).items.map((item) => item.path);
    expect(await paths(1, 'ALPHA')).toEqual(['/legacy/Alpha.txt']);
    expect(await paths(1, '/legacy/')).toEqual(['/legacy/Alpha.txt', '/legacy/beta.txt']);
    expect(await paths(1, 'nothing-like-it')).toEqual([]);
    // Written after the migration: with a summary.
    const [{ job }] = await store.submitJobs([newJob()], T0 + 1);
    const [leased] = await store.leaseTasks({ workerId: 'w1', site: 'local', workflows: ['demo'], limit: 1, leaseMs: 30_000, now: T0 + 2 });
    await store.recordActivity(
      [{ taskId: leased.task.id, leaseToken: leased.leaseToken, items: [{ path: '/fresh/Gamma.txt', operation: 'copy', outcome: 'completed' }] }],
      T0 + 3,
    );
    expect(await paths(job.id, 'gamma')).toEqual(['/fresh/Gamma.txt']);
    expect(await paths(job.id, 'legacy')).toEqual([]);
    expect(await summaries()).toBe(1);
    await store.completeTasks([{ taskId: leased.task.id, leaseToken: leased.leaseToken, report: { kind: 'succeeded', changed: false } }], T0 + 4);
    await store.deleteJob(job.id, T0 + 5);
    expect(await summaries()).toBe(0);
  };

  /**
   * A job whose items were written before and after the migration: `forget` turns the items
   * and jobs so far into ones written before it (drops their summaries, moves item_grams_from).
   */
  const expectAcross = async (store: Store, forget: () => Promise<void>) => {
    const [{ job }] = await store.submitJobs([newJob()], T0 + 10);
    const [leased] = await store.leaseTasks({ workerId: 'w1', site: 'local', workflows: ['demo'], limit: 1, leaseMs: 30_000, now: T0 + 11 });
    const record = (paths: string[]) =>
      store.recordActivity(
        [{ taskId: leased.task.id, leaseToken: leased.leaseToken, items: paths.map((path) => ({ path, operation: 'copy', outcome: 'completed' as const })) }],
        T0 + 12,
      );
    await record(['/span/a1', '/span/a2', '/other/x', '/span/a3']);
    await forget();
    await record(['/span/b1', '/other/y', '/span/b2']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.listItems(job.id, { path: 'SPAN/', limit: 2, cursor });
      seen.push(...page.items.map((item) => item.path));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['/span/a1', '/span/a2', '/span/a3', '/span/b1', '/span/b2']);
  };

  it('on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-item-grams-'));
    const path = join(dir, 'old.db');
    const db = new BetterSqlite3(path);
    sqliteBefore(db, GRAMS_VERSION, T0);
    db.exec(OLD_JOB);
    db.exec(OLD_ITEMS);
    db.close();
    const store = new SqliteStore({ path });
    const probe = new BetterSqlite3(path, { readonly: true });
    cleanups.push(async () => {
      probe.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await store.migrate();
    await expectFound(store, async () => Number((probe.prepare('SELECT count(*) AS n FROM item_grams').get() as { n: number }).n));
  });

  it('pages a job written across the migration on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-item-grams-'));
    const store = new SqliteStore({ path: join(dir, 'new.db') });
    const writer = () => new BetterSqlite3(join(dir, 'new.db'));
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await store.migrate();
    await expectAcross(store, async () => {
      const db = writer();
      db.exec('DELETE FROM item_grams; UPDATE item_grams_from SET upto = (SELECT MAX(id) FROM items), jobs_upto = (SELECT MAX(id) FROM jobs)');
      db.close();
    });
  });

  it('pages a job written across the migration on PostgreSQL', async (context) => {
    if (await postgresHarness().available()) context.skip();
    const schema = testSchemaName('item_grams_across');
    const store = new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 2 });
    cleanups.push(async () => {
      await store.close();
      await dropSchema(TEST_PG_URL, schema);
    });
    await store.migrate();
    await expectAcross(store, async () => {
      const client = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
      await client.connect();
      await client.query('DELETE FROM item_grams; UPDATE item_grams_from SET upto = (SELECT MAX(id) FROM items), jobs_upto = (SELECT MAX(id) FROM jobs)');
      await client.end();
    });
  });

  it('on PostgreSQL', async (context) => {
    const unavailable = await postgresHarness().available();
    if (unavailable) context.skip();
    const schema = testSchemaName('item_grams_migration');
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    cleanups.push(async () => {
      await client.end();
      await dropSchema(TEST_PG_URL, schema);
    });
    await postgresBefore(client, schema, GRAMS_VERSION, T0);
    await client.query(OLD_JOB);
    await client.query(OLD_ITEMS);
    const store = new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 2 });
    cleanups.unshift(() => store.close());
    await store.migrate();
    await expectFound(store, async () => Number((await client.query('SELECT count(*) AS n FROM item_grams')).rows[0].n));
  });
});
