import pg from 'pg';
import { createHub, defineWorkflow, type Hub, z } from 'switchyard';
import { afterEach, describe, expect, it } from 'vitest';
import { PLAN_ONCE, PostgresLedgerTx } from '../../src/store/postgres/postgres-ledger-tx.js';
import { preparedClient } from '../../src/store/postgres/postgres-pool.js';
import { createRowMapper } from '../../src/store/rows.js';
import { hubStores, TEST_PG_URL } from '../helpers/store-harness.js';

const noop = defineWorkflow({
  name: 'plans-noop',
  fields: z.object({ n: z.number() }),
  plan: () => [{ type: 'work' }],
  tasks: { work: () => ({ changed: false }) },
});

const JOBS = 150;

/**
 * Worker transactions keep one plan per statement for as long as a connection lives (see
 * PLAN_ONCE in postgres-ledger-tx.ts). On a new store those plans are made while the tables
 * are nearly empty, when reading a table whole is cheapest; kept, such a plan went on reading
 * it whole at every lease and completion as it grew (jobs and tasks read about JOBS²/2 rows
 * for JOBS jobs). Here a new store runs jobs one after another: no lease or completion reads
 * its jobs and tasks whole.
 */
const [, postgres] = hubStores('worker plans');

describe('worker transactions on a new PostgreSQL store', () => {
  let hub: Hub | null = null;
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
    await cleanup?.();
    cleanup = null;
  });

  it('find jobs and tasks through their indexes however the tables grew since their plans were made', async (context) => {
    const db = await postgres.db();
    if (db === null) return context.skip();
    cleanup = db.cleanup;
    const schema = new URL(db.url as string).searchParams.get('schema');
    hub = await createHub({ db: db.url as string, workflows: [noop] });
    await hub.startWorker({ isolation: 'in-process', concurrency: 2 });
    for (let n = 0; n < JOBS; n++) {
      const job = await hub.submit({ workflow: 'plans-noop', fields: { n } });
      expect((await hub.waitForJob(job.id, { timeoutMs: 60_000 })).state).toBe('success');
    }
    // A connection that ends reports its statistics as it goes.
    await hub.close();
    hub = null;

    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ relname: string; read: string }>(
        "SELECT relname, seq_tup_read AS read FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('jobs', 'tasks') ORDER BY relname",
        [schema],
      );
      expect(rows.map((row) => row.relname)).toEqual(['jobs', 'tasks']);
      // The hub's duties (the watchdog's timed-out jobs, say) may read a table this small whole, a
      // few times a second at most: far below the JOBS²/2 rows of one full read per lease.
      for (const row of rows) expect(Number(row.read), `rows of ${row.relname} read by full scans`).toBeLessThan(JOBS * 20);
    } finally {
      await client.end();
    }
  });

  it("plan any SQL but the ledger's own statements as PostgreSQL would (items by path, envelopes, schedules)", async (context) => {
    const db = await postgres.db();
    if (db === null) return context.skip();
    cleanup = db.cleanup;
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    const settings =
      "SELECT current_setting('plan_cache_mode') AS mode, current_setting('enable_seqscan') AS scans, current_setting('enable_hashjoin') AS hash";
    try {
      await client.query(`BEGIN; ${PLAN_ONCE}`);
      const tx = new PostgresLedgerTx(
        preparedClient(client),
        createRowMapper({ jsonAsText: false }),
        Date.now(),
        true,
        new Set(),
        { blocked: [], limits: null, claimed: 0 },
        true,
      );
      expect((await client.query(settings)).rows[0]).toEqual({ mode: 'force_generic_plan', scans: 'off', hash: 'off' });
      expect(await tx.sql.all(settings, [])).toEqual([{ mode: 'auto', scans: 'on', hash: 'on' }]);
      // For the rest of the transaction.
      expect((await client.query(settings)).rows[0]).toEqual({ mode: 'auto', scans: 'on', hash: 'on' });
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });
});
