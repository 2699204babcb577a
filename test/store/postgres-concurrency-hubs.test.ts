import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type JobConcurrency, type LeasedTask, normalizeLocks, type ResourceLock } from '../../src/model/index.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { newJob, postgresHubStores, seededRandom, TEST_PG_URL } from '../helpers/store-harness.js';

const JOBS = Number(process.env.CONCURRENCY_JOBS ?? 300);
const LIMIT = 4;
const PER_KEY = 2;
const KEYS = ['tenant-a', 'tenant-b', 'tenant-c', 'tenant-d', 'tenant-e', 'tenant-f'];

/**
 * Concurrency limits across three hubs on one PostgreSQL schema: a few hundred jobs of a
 * workflow limited to 4 at once and 2 per key (some also taking an exclusive lock) are
 * submitted through all three at once while each hub leases and completes. Every lease is
 * checked against the jobs running at that moment, and a sampler counts the admitted jobs in
 * the database throughout: never more than the limits. Afterwards every job ended and no slot
 * is left held.
 */
describe('postgres store: concurrency limits across three hubs', () => {
  const { stores, schema, unavailable } = postgresHubStores('concurrency across hubs');

  it('never admits past the workflow limit or the per-key limit, and releases every slot', async (context) => {
    if (unavailable()) context.skip();
    const random = seededRandom(7);
    const specs = Array.from({ length: JOBS }, () => {
      const key = KEYS[Math.floor(random() * KEYS.length)];
      const concurrency: JobConcurrency = { limit: LIMIT, perKey: PER_KEY, key };
      const locks: ResourceLock[] = random() < 0.3 ? normalizeLocks([`res/${Math.floor(random() * 3)}`]) : [];
      return { key, concurrency, locks };
    });

    const running = new Map<number, string>();
    const violations: string[] = [];
    let now = Date.now();
    const tick = () => ++now;
    let submitted = 0;
    let finished = 0;
    let done = false;

    const submitter = async (store: PostgresStore, share: number[]) => {
      // Small batches spread over the run, so that submissions race with releases on other hubs.
      for (let i = 0; i < share.length; i += 4) {
        const batch = share.slice(i, i + 4).map((index) => newJob({ concurrency: specs[index].concurrency, locks: specs[index].locks, fields: { index } }));
        await store.submitJobs(batch, tick());
        submitted += batch.length;
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    };
    const worker = async (store: PostgresStore, id: string) => {
      while (finished < JOBS) {
        const leased: LeasedTask[] = await store.leaseTasks({ workerId: id, site: 'local', workflows: ['demo'], limit: 3, leaseMs: 60_000, now: tick() });
        if (leased.length === 0) {
          if (submitted >= JOBS && finished >= JOBS) break;
          await new Promise((resolve) => setTimeout(resolve, 2));
          continue;
        }
        for (const t of leased) {
          const key = specs[(t.job.fields as { index: number }).index].key;
          running.set(t.job.id, key);
          const sameKey = [...running.values()].filter((k) => k === key).length;
          if (running.size > LIMIT) violations.push(`job ${t.job.id} started with ${running.size - 1} others running`);
          if (sameKey > PER_KEY) violations.push(`job ${t.job.id} (${key}) started with ${sameKey - 1} others of its key running`);
        }
        await new Promise((resolve) => setImmediate(resolve));
        for (const t of leased) running.delete(t.job.id);
        await store.completeTasks(
          leased.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: false } })),
          tick(),
        );
        finished += leased.length;
      }
    };

    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    const samples: number[] = [];
    const sampler = async () => {
      while (!done) {
        const { rows } = await client.query(
          `SELECT count(*)::int AS n, COALESCE(max(per_key), 0)::int AS worst FROM (
             SELECT count(*) AS per_key FROM "${schema}".jobs WHERE concurrency_slot = 'held' GROUP BY concurrency_key) k`,
        );
        const held = (await client.query(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE concurrency_slot = 'held'`)).rows[0].n;
        samples.push(held);
        if (held > LIMIT) violations.push(`${held} jobs admitted at once in the database`);
        if (rows[0].worst > PER_KEY) violations.push(`${rows[0].worst} jobs of one key admitted at once in the database`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };

    const indexes = Array.from({ length: JOBS }, (_, i) => i);
    const sampling = sampler();
    try {
      await Promise.all([
        ...stores.map((store, s) =>
          submitter(
            store,
            indexes.filter((i) => i % 3 === s),
          ),
        ),
        ...stores.map((store, s) => worker(store, `w${s}`)),
      ]);
      done = true;
      await sampling;
      expect(violations).toEqual([]);
      expect(finished).toBe(JOBS);
      // The limit was reached, not just respected by running one at a time.
      expect(Math.max(...samples)).toBeGreaterThan(1);

      const jobs = await client.query(`SELECT state, count(*)::int AS n FROM "${schema}".jobs GROUP BY state`);
      expect(jobs.rows).toEqual([{ state: 'success', n: JOBS }]);
      const left = await client.query(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE concurrency_slot <> 'released'`);
      expect(left.rows[0].n).toBe(0);
      const heldTasks = await client.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE held`);
      expect(heldTasks.rows[0].n).toBe(0);
    } finally {
      done = true;
      await sampling;
      await client.end();
    }
  }, 120_000);
});
