import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresMigrations } from '../../src/store/postgres/postgres-migrations.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { WakeSignal } from '../../src/store/store.js';
import { dropSchema, newJob, postgresHarness, TEST_PG_URL, testSchemaName } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { site: 'local', workflows: ['demo'], limit: 10, leaseMs: 30_000, now: T0 + 1 };

/**
 * What only the PostgreSQL store promises: several hub processes on one schema. Each "hub"
 * here is its own PostgresStore (own pool, own listening connection), as separate processes
 * would have.
 */
describe('postgres store: several hubs on one schema', () => {
  let unavailable: string | null = null;
  let schema = '';
  const open: PostgresStore[] = [];

  const hub = (options: { schema?: string; connectionString?: string } = {}) => {
    const store = new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 4, random: () => 0.5, ...options });
    open.push(store);
    return store;
  };
  const hubs = async (n: number) => {
    const stores = Array.from({ length: n }, () => hub());
    await stores[0].migrate();
    return stores;
  };

  beforeAll(async () => {
    unavailable = await postgresHarness().available();
    if (unavailable) console.warn(`\n!!! SKIPPING postgres hubs: ${unavailable}\n`);
  });
  beforeEach((context) => {
    if (unavailable) context.skip();
    schema = testSchemaName(context.task.name);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
    if (!unavailable && process.env.SWITCHYARD_TEST_PG_KEEP !== '1') await dropSchema(TEST_PG_URL, schema);
  });

  it('migrates once when several hubs start at once', async () => {
    const stores = Array.from({ length: 4 }, () => hub());
    await Promise.all(stores.map((store) => store.migrate()));
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    const { rows } = await client.query(`SELECT version FROM "${schema}".schema_migrations`);
    await client.end();
    expect(rows.map((r) => r.version).sort((a, b) => a - b)).toEqual(postgresMigrations.map((m) => m.version));
  });

  it('wakes the other hubs through NOTIFY, and a hub only once for its own commits', async () => {
    const [a, b] = await hubs(2);
    const seen: WakeSignal[] = [];
    b.onWake((signal) => seen.push(signal));
    await b.whenListening();
    const fromA = nextSignal(b, (s) => s.kind === 'tasks' && s.site === 'west');
    await b.submitJobs([newJob({ site: 'east' })], T0);
    await a.submitJobs([newJob({ site: 'west' })], T0);
    await fromA;
    // B's own NOTIFY was committed before A's, so it would have arrived by now.
    expect(seen.filter((s) => s.kind === 'tasks' && s.site === 'east')).toHaveLength(1);
    expect(seen).toContainEqual({ kind: 'events' });
  });

  it('wakes other hubs when a queue is resumed', async () => {
    const [a, b] = await hubs(2);
    await a.ensureQueues(['bulk'], T0);
    b.onWake(() => {});
    await b.whenListening();
    const woken = nextSignal(b, (s) => s.kind === 'tasks' && s.site === '*');
    await a.updateQueue('bulk', { paused: false }, T0);
    await woken;
  });

  it('listens again after its connection drops, and wakes everyone once it is back', async () => {
    const [a, b] = await hubs(2);
    b.onWake(() => {});
    await b.whenListening();
    const caughtUp = nextSignal(b, (s) => s.kind === 'tasks' && s.site === '*');
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    const { rowCount } = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, [`LISTEN "swy_${schema}"`]);
    await admin.end();
    expect(rowCount).toBe(1);
    await caughtUp;
    const fromA = nextSignal(b, (s) => s.kind === 'tasks' && s.site === 'after');
    await a.submitJobs([newJob({ site: 'after' })], T0);
    await fromA;
  });

  it('never leases one task to two hubs', async () => {
    const stores = await hubs(3);
    await stores[0].submitJobs(
      Array.from({ length: 45 }, () => newJob()),
      T0,
    );
    const batches = await Promise.all([0, 1, 2, 0, 1, 2].map((i, n) => stores[i].leaseTasks({ ...LEASE, workerId: `w${n}` })));
    const ids = batches.flat().map((l) => l.task.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(45);
  });

  it('starts one job at a time in a sequential queue, whichever hub leases', async () => {
    const stores = await hubs(3);
    await stores[0].ensureQueues(['serial'], T0);
    await stores[0].updateQueue('serial', { concurrency: 1 }, T0);
    await stores[0].submitJobs(
      Array.from({ length: 6 }, () => newJob({ queue: 'serial' })),
      T0,
    );
    const batches = await Promise.all([0, 1, 2, 0, 1, 2].map((i, n) => stores[i].leaseTasks({ ...LEASE, workerId: `w${n}`, limit: 1 })));
    expect(batches.flat().map((l) => l.job.id)).toHaveLength(1);
    expect((await stores[1].getQueue('serial', null))?.activeJobs).toBe(1);
  });

  it('answers one job when two hubs submit the same idempotency key at once', async () => {
    const stores = await hubs(2);
    // With the site and queue rows in place, nothing else orders the two transactions.
    await Promise.all(stores.map((store) => store.submitJobs([newJob()], T0)));
    const answers = await Promise.all(stores.map((store) => store.submitJobs([newJob({ idempotencyKey: 'same' })], T0)));
    const outcomes = answers.flat();
    expect(new Set(outcomes.map((o) => o.job.id)).size).toBe(1);
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
  });

  it('keeps int8 as numbers for its own pool only', async () => {
    const [a] = await hubs(1);
    const [{ job }] = await a.submitJobs([newJob()], T0);
    expect(job.createdAt).toBe(T0);
    expect(await a.lastEventId()).toBe(1);
    expect(pg.types.getTypeParser(20)('5')).toBe('5');
  });

  it('reports an unreachable server as SWY_ERR_STORE_UNAVAILABLE', async () => {
    const store = hub({ connectionString: 'postgres://postgres@127.0.0.1:1/nowhere' });
    await expect(store.migrate()).rejects.toMatchObject({ code: 'SWY_ERR_STORE_UNAVAILABLE', message: expect.stringContaining('127.0.0.1:1/nowhere') });
    await expect(store.getJob(1)).rejects.toMatchObject({ code: 'SWY_ERR_STORE_UNAVAILABLE' });
    await expect(store.leaseTasks({ ...LEASE, workerId: 'w' })).rejects.toMatchObject({ code: 'SWY_ERR_STORE_UNAVAILABLE' });
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => hub({ schema: 'x"; DROP' })).toThrow(expect.objectContaining({ code: 'SWY_ERR_VALIDATION' }));
  });
});

/** The first signal matching `match`; fails the test after 5 s rather than hanging it. */
function nextSignal(store: PostgresStore, match: (signal: WakeSignal) => boolean): Promise<WakeSignal> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no matching wake-up within 5 s'));
    }, 5_000);
    const off = store.onWake((signal) => {
      if (!match(signal)) return;
      clearTimeout(timer);
      off();
      resolve(signal);
    });
  });
}
