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
import { dropSchema, postgresHarness, TEST_PG_URL, testSchemaName } from '../helpers/store-harness.js';

const SEARCH_TEXT_VERSION = 7;
const T0 = 1_700_000_000_000;
const OLD_JOB = `INSERT INTO jobs (workflow, site, queue, creator, state, fields, task_counts, item_counts, created_at, updated_at)
  VALUES ('demo', 'local', 'default', 'ann', 'queued', '{"root":"/legacy/path"}', '{}', '{}', ${T0}, ${T0})`;

/** Jobs written before search_text existed stay findable by their fields' text after the migration. */
describe('search_text backfill', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const expectBackfilled = async (store: Store) => {
    const found = await store.listJobs({ sites: null, q: 'legacy/path', limit: 10 });
    expect(found.items.map((job) => job.fields)).toEqual([{ root: '/legacy/path' }]);
  };

  it('on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-backfill-'));
    const path = join(dir, 'old.db');
    const db = new BetterSqlite3(path);
    sqliteBefore(db, SEARCH_TEXT_VERSION, T0);
    db.exec(OLD_JOB);
    db.close();
    const store = new SqliteStore({ path });
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await store.migrate();
    await expectBackfilled(store);
  });

  it('on PostgreSQL', async (context) => {
    const unavailable = await postgresHarness().available();
    if (unavailable) context.skip();
    const schema = testSchemaName('search_text_backfill');
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await postgresBefore(client, schema, SEARCH_TEXT_VERSION, T0);
      await client.query(OLD_JOB);
    } finally {
      await client.end();
    }
    const store = new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 2 });
    cleanups.push(async () => {
      await store.close();
      await dropSchema(TEST_PG_URL, schema);
    });
    await store.migrate();
    await expectBackfilled(store);
  });
});
