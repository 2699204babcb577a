import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type LeasedTask, locksConflict, normalizeLocks, type ResourceLock } from '../../src/model/index.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { newJob, postgresHubStores, seededRandom, TEST_PG_URL } from '../helpers/store-harness.js';

const JOBS = Number(process.env.LOCK_JOBS ?? 2_000);
/** Twelve families of overlapping keys: a parent, two children, a grandchild. */
const KEYS = Array.from({ length: 12 }, (_, i) => [`r${i}`, `r${i}/1`, `r${i}/2`, `r${i}/1/x`]).flat();

/**
 * Resource locks across three hubs on one PostgreSQL schema: 2,000 jobs with random
 * overlapping keys (exclusive and shared) are submitted through all three at once while each
 * hub leases and completes. Every lease is checked against the jobs running at that moment:
 * no two conflicting jobs may run together. Afterwards, in the database: every job ended, and
 * no lock is left held.
 */
describe('postgres store: resource locks across three hubs', () => {
  const { stores, schema, unavailable } = postgresHubStores('locks across hubs');

  it('never runs two conflicting jobs together, and releases every lock', async (context) => {
    if (unavailable()) context.skip();
    // A deterministic pseudo-random stream, so that a failure can be replayed.
    const random = seededRandom(42);
    const locksOf = new Map<number, ResourceLock[]>();
    const specs = Array.from({ length: JOBS }, () => {
      const n = 1 + Math.floor(random() * 2);
      return normalizeLocks(
        Array.from({ length: n }, () => ({ key: KEYS[Math.floor(random() * KEYS.length)], mode: random() < 0.4 ? 'shared' : 'exclusive' })),
      );
    });

    const running = new Map<number, ResourceLock[]>();
    const violations: string[] = [];
    let now = Date.now();
    const tick = () => ++now;
    let submitted = 0;
    let finished = 0;

    const submitter = async (store: PostgresStore, share: number[]) => {
      for (let i = 0; i < share.length; i += 25) {
        const batch = share.slice(i, i + 25).map((index) => newJob({ locks: specs[index], fields: { index } }));
        const outcomes = await store.submitJobs(batch, tick());
        outcomes.forEach((o, j) => {
          locksOf.set(o.job.id, specs[share[i + j]]);
        });
        submitted += batch.length;
      }
    };
    const worker = async (store: PostgresStore, id: string) => {
      while (finished < JOBS) {
        const leased: LeasedTask[] = await store.leaseTasks({ workerId: id, site: 'local', workflows: ['demo'], limit: 5, leaseMs: 60_000, now: tick() });
        if (leased.length === 0) {
          if (submitted >= JOBS && finished >= JOBS) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        for (const t of leased) {
          const mine = locksOf.get(t.job.id) ?? specs[(t.job.fields as { index: number }).index];
          for (const [other, theirs] of running) {
            if (mine.some((a) => theirs.some((b) => locksConflict(a, b)))) {
              violations.push(`job ${t.job.id} ${JSON.stringify(mine)} started while job ${other} ${JSON.stringify(theirs)} ran`);
            }
          }
          running.set(t.job.id, mine);
        }
        // Let the others interleave while these "run".
        await new Promise((resolve) => setImmediate(resolve));
        for (const t of leased) running.delete(t.job.id);
        await store.completeTasks(
          leased.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: false } })),
          tick(),
        );
        finished += leased.length;
      }
    };

    const indexes = Array.from({ length: JOBS }, (_, i) => i);
    await Promise.all([
      submitter(
        stores[0],
        indexes.filter((i) => i % 3 === 0),
      ),
      submitter(
        stores[1],
        indexes.filter((i) => i % 3 === 1),
      ),
      submitter(
        stores[2],
        indexes.filter((i) => i % 3 === 2),
      ),
      worker(stores[0], 'w0'),
      worker(stores[1], 'w1'),
      worker(stores[2], 'w2'),
    ]);
    expect(violations).toEqual([]);
    expect(finished).toBe(JOBS);

    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      const jobs = await client.query(`SELECT state, count(*)::int AS n FROM "${schema}".jobs GROUP BY state`);
      expect(jobs.rows).toEqual([{ state: 'success', n: JOBS }]);
      const held = await client.query(`SELECT count(*)::int AS n FROM "${schema}".job_locks WHERE released_at IS NULL`);
      expect(held.rows[0].n).toBe(0);
      const waiting = await client.query(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE lock_wait_on IS NOT NULL`);
      expect(waiting.rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  }, 240_000);

  it('admits jobs with locks in id order: a job whose id was drawn first is never admitted after a later one unseen', async (context) => {
    if (unavailable()) context.skip();
    const [a, b] = stores;
    // Both hubs have met the sites and the queue: neither writes them in the submissions below.
    await a.ensureSites(['local', 'west'], Date.now());
    for (const hub of [a, b]) await hub.submitJobs([newJob({ tasks: [{ type: 'work', input: null, site: 'west' }] })], Date.now());
    const lock = [{ key: 'admission/r', mode: 'exclusive' as const }];
    const blocker = new pg.Client({ connectionString: TEST_PG_URL });
    await blocker.connect();
    /** Whether some transaction waits for a lock of this kind (and, for a transaction's, of that transaction). */
    const someoneWaits = async (locktype: string, xid: string | null = null) =>
      (await blocker.query('SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = $1 AND ($2::xid IS NULL OR transactionid = $2::xid)', [locktype, xid])).rows
        .length > 0;
    const until = async (what: () => Promise<boolean>) => {
      for (const deadline = Date.now() + 30_000; !(await what()); ) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      await blocker.query(`SET search_path TO "${schema}"`);
      const [seq] = (await blocker.query('SELECT last_value, is_called FROM jobs_id_seq')).rows;
      const next = Number(seq.last_value) + (seq.is_called ? 1 : 0);
      // Hub A's job draws id `next`, then stalls on the job_sites row the blocker holds: its
      // ledger has not yet admitted its locks.
      await blocker.query('BEGIN');
      await blocker.query(`INSERT INTO job_sites (job_id, site) VALUES ($1, 'west')`, [next]);
      const [{ xid }] = (await blocker.query('SELECT pg_current_xact_id()::text AS xid')).rows;
      const first = a.submitJobs([newJob({ locks: lock, tasks: [{ type: 'work', input: null, site: 'west' }] })], Date.now());
      await until(() => someoneWaits('transactionid', xid));
      // Hub B submits a conflicting job meanwhile: it must not be admitted ahead of A's unseen.
      let settled = false;
      const second = b.submitJobs([newJob({ locks: lock })], Date.now()).finally(() => {
        settled = true;
      });
      // B either went through (the bug) or waits behind A: for the admission lock, or for a row A wrote.
      await until(async () => settled || (await blocker.query('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted')).rows[0].n >= 2);
      await blocker.query('ROLLBACK');
      const [[one], [two]] = await Promise.all([first, second]);
      expect(one.job.id).toBe(next);
      expect(one.job.lockWaitOn).toBeNull();
      expect(two.job.lockWaitOn).toBe(one.job.id);
    } finally {
      await blocker.end();
    }
  }, 60_000);
});
