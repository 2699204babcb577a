import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { EventHorizon } from '../../src/store/postgres/postgres-event-horizon.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/store/store.js';
import { postgresHarness, TEST_PG_URL } from '../helpers/store-harness.js';
import { createTestHub, waitFor } from '../helpers/test-hub.js';

/**
 * The PostgreSQL event feed never moves past an id that may still commit: transactions take
 * event ids from a sequence and commit out of id order. A second connection holds a
 * transaction open with an event in it while later events commit.
 */
describe('postgres event feed across ids that may still commit', () => {
  const harness = postgresHarness();
  let unavailable: string | null = null;
  const opened: { store: Store; schema: string; clients: pg.Client[] }[] = [];

  beforeAll(async () => {
    unavailable = await harness.available();
  });

  afterEach(async () => {
    for (const { store, clients } of opened.splice(0)) {
      for (const client of clients) await client.end().catch(() => {});
      await harness.destroy(store);
    }
  });

  /** A fresh store, and `connect()` for raw connections to its schema (the "other writers"). */
  const setup = async (name: string, skip: () => void) => {
    if (unavailable) skip();
    const store = await harness.create(name);
    const schema = (store as unknown as { schema: string }).schema;
    const entry = { store, schema, clients: [] as pg.Client[] };
    opened.push(entry);
    const connect = async () => {
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      client.on('error', () => {});
      await client.connect();
      await client.query(`SET search_path TO "${schema}"`);
      entry.clients.push(client);
      return client;
    };
    return { store, schema, connect };
  };

  const insert = async (client: pg.Client, site: string | null = null, type = 'test:noted') =>
    Number(
      (
        await client.query<{ id: string }>(`INSERT INTO events (at, type, job_id, task_id, site, data) VALUES (0, $1, NULL, NULL, $2, '{}') RETURNING id`, [
          type,
          site,
        ])
      ).rows[0].id,
    );
  const ids = async (store: Store, after = 0, sites: string[] | null = null) => (await store.listEvents(after, 500, sites)).map((e) => e.id);

  it('stops before an event of an open transaction, then returns it and the later ones in order once it commits', async ({ skip }) => {
    const { store, connect } = await setup('gap open then commit', skip);
    const [held, other] = [await connect(), await connect()];
    const first = await insert(other);
    await held.query('BEGIN');
    const open = await insert(held);
    const later = await insert(other);
    const last = await insert(other);
    expect([open, later, last]).toEqual([first + 1, first + 2, first + 3]);

    expect(await ids(store)).toEqual([first]);
    expect(await ids(store, first)).toEqual([]);
    // A feed that starts now starts before the open one, not past it.
    expect(await store.lastEventId()).toBe(first);

    await held.query('COMMIT');
    expect(await ids(store, first)).toEqual([open, later, last]);
    expect(await store.lastEventId()).toBe(last);
  });

  it('passes the gap a rolled-back transaction left once every transaction that could fill it has ended', async ({ skip }) => {
    const { store, connect } = await setup('gap rolled back', skip);
    const [held, other] = [await connect(), await connect()];
    await held.query('BEGIN');
    const lost = await insert(held);
    await insert(held);
    const later = await insert(other);
    expect(await ids(store)).toEqual([]);
    await held.query('ROLLBACK');
    const seen = await waitFor(store, async () => ((await ids(store)).length > 0 ? await ids(store) : null), 30_000, 'the gap to become final');
    expect(seen).toEqual([later]);
    expect(later).toBe(lost + 2);
    // Settled now: other readers, with a sites filter or without, pass it at once.
    expect(await ids(store, 0, ['east'])).toEqual([later]);
    expect(await ids(store, 0)).toEqual([later]);
  });

  it('holds a gap that is not final yet until it is old enough, whatever the snapshot says', async ({ skip }) => {
    const { store, connect } = await setup('gap min age', skip);
    const other = await connect();
    await other.query('BEGIN');
    await insert(other);
    await other.query('ROLLBACK');
    const later = await insert(other);
    let now = 0;
    const pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 1, options: `-c search_path=${(store as unknown as { schema: string }).schema}` });
    try {
      const horizon = new EventHorizon(pool, 500, () => now);
      expect(await horizon.step(0, 100, 100, null)).toEqual({ rows: [], horizon: 0, full: false });
      now = 499;
      expect((await horizon.step(0, 100, 100, null)).horizon).toBe(0);
      now = 500;
      await waitFor(store, async () => ((await horizon.step(0, 100, 100, null)).horizon === later ? true : null), 30_000, 'the gap to become final');
    } finally {
      await pool.end();
    }
  });

  it('passes a huge rolled-back bulk insert in one step', async ({ skip }) => {
    const { store, connect } = await setup('gap huge bulk', skip);
    const [held, other] = [await connect(), await connect()];
    await held.query('BEGIN');
    await held.query(`INSERT INTO events (at, type, site, data) SELECT 0, 'test:bulk', NULL, '{}' FROM generate_series(1, 30000)`);
    const later = await insert(other);
    await held.query('ROLLBACK');
    const seen = await waitFor(store, async () => ((await ids(store)).length > 0 ? await ids(store) : null), 30_000, 'the bulk gap to become final');
    expect(seen).toEqual([later]);
    expect(later).toBe(30_001);
  });

  it('keeps the sites filter: the horizon is found on all ids, then only the sites asked for come back', async ({ skip }) => {
    const { store, connect } = await setup('gap sites filter', skip);
    const [held, other] = [await connect(), await connect()];
    const east1 = await insert(other, 'east');
    const west = await insert(other, 'west');
    await held.query('BEGIN');
    const openWest = await insert(held, 'west');
    const east2 = await insert(other, 'east');
    const global = await insert(other, null);
    expect(await ids(store, 0, ['east'])).toEqual([east1]);
    await held.query('COMMIT');
    expect(await ids(store, east1, ['east'])).toEqual([east2, global]);
    expect(await ids(store, east1, ['west'])).toEqual([west, openWest, global]);
  });

  it('skips any number of events at other sites (past one horizon window) without a gap', async ({ skip }) => {
    const { store, connect } = await setup('gap sites wide', skip);
    const other = await connect();
    await other.query(`INSERT INTO events (at, type, site, data) SELECT 0, 'test:bulk', 'west', '{}' FROM generate_series(1, 12000)`);
    const east = await insert(other, 'east');
    expect(await ids(store, 0, ['east'])).toEqual([east]);
  });

  it('does not skip an event of an open transaction after a restart nor on another hub', async ({ skip }) => {
    const { store, schema, connect } = await setup('gap restart hubs', skip);
    const [held, other] = [await connect(), await connect()];
    await held.query('BEGIN');
    const open = await insert(held);
    const later = await insert(other);
    expect(await ids(store)).toEqual([]);
    const secondHub = new PostgresStore({ connectionString: TEST_PG_URL, schema, poolSize: 2 });
    try {
      expect(await ids(secondHub)).toEqual([]);
      const restarted = await harness.reopen(store);
      opened[0].store = restarted;
      expect(await ids(restarted)).toEqual([]);
      await held.query('COMMIT');
      expect(await ids(restarted)).toEqual([open, later]);
      expect(await ids(secondHub)).toEqual([open, later]);
    } finally {
      await secondHub.close();
    }
  });

  it('a reader following concurrent writers (some rolling back) sees every committed event once, in order', async ({ skip }) => {
    const { store, connect } = await setup('gap concurrent writers', skip);
    const writers = await Promise.all([connect(), connect(), connect(), connect()]);
    let writing = true;
    const seen: number[] = [];
    const reader = (async () => {
      let cursor = 0;
      while (writing) {
        for (const event of await store.listEvents(cursor, 50, null)) {
          seen.push(event.id);
          cursor = event.id;
        }
      }
    })();
    await Promise.all(
      writers.map(async (client, w) => {
        for (let round = 0; round < 40; round++) {
          await client.query('BEGIN');
          for (let k = 0; k <= (round + w) % 3; k++) await insert(client);
          // Let the others commit while this one is open.
          await new Promise((resolve) => setImmediate(resolve));
          await client.query((round * 7 + w) % 5 === 0 ? 'ROLLBACK' : 'COMMIT');
        }
      }),
    );
    writing = false;
    await reader;
    const committed = (await writers[0].query<{ id: string }>('SELECT id FROM events ORDER BY id')).rows.map((r) => Number(r.id));
    let cursor = seen.at(-1) ?? 0;
    await waitFor(
      store,
      async () => {
        for (const event of await store.listEvents(cursor, 500, null)) {
          seen.push(event.id);
          cursor = event.id;
        }
        return seen.length >= committed.length ? true : null;
      },
      30_000,
      'the reader to catch up',
    );
    expect(seen).toEqual(committed);
  });

  it('the notifier does not lose a job end whose transaction commits after later events', async ({ skip }) => {
    const { store, connect } = await setup('gap notifier job end', skip);
    const sent: number[] = [];
    const job = defineWorkflow({ name: 'job', fields: z.object({}), plan: () => [{ type: 'run' }], tasks: { run: () => ({ changed: true }) } });
    const hub = await createTestHub({
      workflows: [job],
      store,
      engine: {
        notifier: {
          send: async (batch) => {
            sent.push(...batch.map((d) => d.eventId));
          },
        },
      },
    });
    try {
      await store.createUser({ username: 'ann', passwordHash: 'x', role: 'viewer', sites: null, createdAt: Date.now(), email: 'ann@example.test' });
      const ann = { name: 'ann', role: 'viewer' as const, sites: null, ref: 'user:1' };
      const { job: first } = await hub.engine.submit({ workflow: 'job', fields: {} }, hub.actor);
      await hub.waitForJob(first.id);
      await hub.engine.notify.subscribeJob(first.id, { channel: 'email', on: 'failure' }, ann);

      // Another transaction reports the first job's end but has not committed yet…
      const held = await connect();
      await held.query('BEGIN');
      const heldEnd = Number(
        (
          await held.query<{ id: string }>(
            `INSERT INTO events (at, type, job_id, task_id, site, data) VALUES (0, 'job:state:changed', $1, NULL, 'local', '{"from":"running","to":"failure"}') RETURNING id`,
            [first.id],
          )
        ).rows[0].id,
      );
      // …while a later job ends and commits, and the notifier runs.
      const { job: second } = await hub.engine.submit({ workflow: 'job', fields: {} }, hub.actor);
      await hub.waitForJob(second.id);
      await hub.engine.duties.tick();
      expect(await store.notifyCursor()).toBeLessThan(heldEnd);

      await held.query('COMMIT');
      await waitFor(
        store,
        async () => {
          await hub.engine.duties.tick();
          return sent.includes(heldEnd) ? true : null;
        },
        15_000,
        'the held job end to be delivered',
      );
      expect(await store.notifyCursor()).toBeGreaterThan(heldEnd);
    } finally {
      await hub.close();
    }
  });
});
