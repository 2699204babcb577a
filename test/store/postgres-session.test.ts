import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { connectionConfig } from '../../src/store/postgres/postgres-pool.js';
import { postgresHarness, TEST_PG_URL } from '../helpers/store-harness.js';

/** What every connection of the PostgreSQL store sets for its session. */
describe('PostgreSQL session settings', () => {
  const show = async (url: string, schema: string) => {
    const client = new pg.Client(connectionConfig({ connectionString: url, schema, poolSize: 1 }));
    await client.connect();
    try {
      const [jit, path] = await Promise.all([client.query('SHOW jit'), client.query('SHOW search_path')]);
      return { jit: jit.rows[0].jit, searchPath: path.rows[0].search_path };
    } finally {
      await client.end();
    }
  };

  it('names the schema and turns JIT off, unless the URL turns it on', async (context) => {
    if (await postgresHarness().available()) context.skip();
    expect(await show(TEST_PG_URL, 'some_schema')).toEqual({ jit: 'off', searchPath: '"some_schema"' });
    const separator = TEST_PG_URL.includes('?') ? '&' : '?';
    expect(await show(`${TEST_PG_URL}${separator}options=${encodeURIComponent('-c jit=on')}`, 'other')).toEqual({ jit: 'on', searchPath: '"other"' });
  });
});
