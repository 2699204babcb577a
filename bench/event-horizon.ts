/**
 * What the safe horizon costs the PostgreSQL event feed: listEvents as it is now against the
 * single query it used to be (which could skip ids still to commit), on 100 000 events.
 *
 *   npx tsx bench/event-horizon.ts
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = 100_000;
const ROUNDS = 1_000;

const OLD = {
  all: 'SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2',
  sites: 'SELECT * FROM events WHERE id > $1 AND (site IS NULL OR site = ANY($2::text[])) ORDER BY id LIMIT $3',
};

/** Median µs per call of each body, their calls interleaved so that load on the machine falls on both alike. */
async function compare(rounds: number, bodies: (() => Promise<unknown>)[]): Promise<number[]> {
  const samples: number[][] = bodies.map(() => []);
  for (let i = 0; i < 50; i++) for (const body of bodies) await body();
  for (let i = 0; i < rounds; i++) {
    for (const [k, body] of bodies.entries()) {
      const started = performance.now();
      await body();
      samples[k].push((performance.now() - started) * 1000);
    }
  }
  return samples.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]);
}

async function main(): Promise<void> {
  const schema = `bench_horizon_${Math.random().toString(36).slice(2, 8)}`;
  const store = new PostgresStore({ connectionString: PG_URL, schema, poolSize: 2 });
  await store.migrate();
  const old = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` });
  try {
    await old.query(
      `INSERT INTO events (at, type, site, data) SELECT 0, 'bench:noted', CASE WHEN g % 10 = 0 THEN 'east' ELSE 'west' END, '{"n":1}' FROM generate_series(1, ${EVENTS}) g`,
    );
    await old.query('VACUUM ANALYZE events');
    const cases: [string, number, number, string[] | null][] = [
      ['idle reader (nothing new)', EVENTS, 500, null],
      ['live reader (5 new events)', EVENTS - 5, 500, null],
      ['catching up (page of 500)', EVENTS / 2, 500, null],
      ['live reader, one site (5 new)', EVENTS - 5, 500, ['east']],
      ['catching up, one site (page of 500)', EVENTS / 2, 500, ['east']],
    ];
    console.log(`listEvents on ${EVENTS} events, median µs per call, calls interleaved`);
    for (const [name, after, limit, sites] of cases) {
      const rounds = after === EVENTS / 2 ? ROUNDS / 5 : ROUNDS;
      const [before, now] = await compare(rounds, [
        () => (sites ? old.query(OLD.sites, [after, sites, limit]) : old.query(OLD.all, [after, limit])),
        () => store.listEvents(after, limit, sites),
      ]);
      console.log(`${name.padEnd(38)} before ${before.toFixed(0).padStart(6)}   after ${now.toFixed(0).padStart(6)}`);
    }
  } finally {
    await old.query(`DROP SCHEMA "${schema}" CASCADE`);
    await old.end();
    await store.close();
  }
}

await main();
