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

const SEARCH_INDEX_VERSION = 20;
const T0 = 1_700_000_000_000;
const OLD_JOBS = `INSERT INTO jobs (workflow, site, queue, creator, state, reason, fields, search_text, task_counts, item_counts, created_at, updated_at)
  VALUES ('demo', 'local', 'imports', 'ann', 'queued', NULL, '{}', '/legacy/path', '{}', '{}', ${T0}, ${T0}),
         ('demo', 'local', 'default', 'bob', 'failure', 'Disk quota exceeded', '{}', '', '{}', '{}', ${T0}, ${T0})`;

/** Migration 20 on a database written before it: the jobs already there are found through the new text index. */
describe('search index migration (20) on an existing database', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const expectIndexed = async (store: Store) => {
    const found = async (q: string) => (await store.listJobs({ sites: null, q, limit: 10 })).items.map((job) => job.creator);
    expect(await found('legacy/pa')).toEqual(['ann']);
    expect(await found('DISK QUOTA')).toEqual(['bob']);
    expect(await found('nothing-like-it')).toEqual([]);
    expect((await store.listJobs({ sites: null, queues: ['imports'], limit: 10 })).items.map((job) => job.creator)).toEqual(['ann']);
    // Written after the migration: kept in sync by the store's writes.
    await store.submitJobs([newJob({ creator: 'cy', searchText: '/fresh/after' })], T0 + 1);
    expect(await found('fresh/aft')).toEqual(['cy']);
    const [failed] = (await store.listJobs({ sites: null, creators: ['bob'], limit: 1 })).items;
    await store.deleteJob(failed.id, T0 + 2);
    expect(await found('disk quota')).toEqual([]);
  };

  it('on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-search-index-'));
    const path = join(dir, 'old.db');
    const db = new BetterSqlite3(path);
    sqliteBefore(db, SEARCH_INDEX_VERSION, T0);
    db.exec(OLD_JOBS);
    db.close();
    const store = new SqliteStore({ path });
    cleanups.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await store.migrate();
    await expectIndexed(store);
    // New jobs join the index in batches (migration 23): once it has caught up, the
    // external-content index agrees with its content (rank 1: checked against the jobs rows).
    await store.indexSearch();
    const check = new BetterSqlite3(path);
    try {
      expect(() => check.exec(`INSERT INTO jobs_search (jobs_search, rank) VALUES ('integrity-check', 1)`)).not.toThrow();
    } finally {
      check.close();
    }
  });

  it('on PostgreSQL', async (context) => {
    const unavailable = await postgresHarness().available();
    if (unavailable) context.skip();
    const schema = testSchemaName('search_index_migration');
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await postgresBefore(client, schema, SEARCH_INDEX_VERSION, T0);
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
    await expectIndexed(store);
    const probe = new pg.Client({ connectionString: TEST_PG_URL });
    await probe.connect();
    try {
      const { rows } = await probe.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [schema, 'jobs_search_doc_trgm']);
      expect(rows.map((r) => r.indexname)).toEqual(['jobs_search_doc_trgm']);
    } finally {
      await probe.end();
    }
  });
});
