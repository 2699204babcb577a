import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { dropSchema, postgresHarness, TEST_PG_URL, testSchemaName } from '../helpers/store-harness.js';

const FUTURE = 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, $name, 0)';
const refused = { code: 'SWY_ERR_SCHEMA_NEWER', message: expect.stringMatching(/schema version 9999.*knows versions up to \d+/) };

/** A hub refuses a database a newer Switchyard migrated, rather than write rows without what the newer schema keeps beside them. */
describe('a database migrated by a newer Switchyard', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('is refused on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-schema-'));
    const path = join(dir, 'newer.db');
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const first = new SqliteStore({ path });
    await first.migrate();
    await first.close();
    const db = new BetterSqlite3(path);
    db.prepare(FUTURE.replace('$name', '?')).run('from the future');
    db.close();
    const store = new SqliteStore({ path });
    cleanups.unshift(() => store.close());
    await expect(store.migrate()).rejects.toMatchObject(refused);
  });

  it('is refused on PostgreSQL', async (context) => {
    if (await postgresHarness().available()) context.skip();
    const schema = testSchemaName('schema_newer');
    cleanups.push(() => dropSchema(TEST_PG_URL, schema));
    const first = new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 1 });
    await first.migrate();
    await first.close();
    const client = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
    await client.connect();
    await client.query(FUTURE.replace('$name', '$1'), ['from the future']);
    await client.end();
    const store = new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 1 });
    cleanups.unshift(() => store.close());
    await expect(store.migrate()).rejects.toMatchObject(refused);
  });
});
