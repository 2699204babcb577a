import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/store/postgres/postgres-pool.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { newJob, postgresHarness, TEST_PG_URL, useFreshStore } from '../helpers/store-harness.js';

/**
 * Counts round trips to PostgreSQL: a statement handed to a connection with none in flight
 * starts one; a statement handed to it while another is in flight (the pool's connections
 * pipeline) travels in the same one. Counted at the driver, whatever the store does.
 */
function roundTrips() {
  const inFlight = new WeakMap<object, number>();
  let trips = 0;
  const original = pg.Client.prototype.query;
  const counting = function (this: pg.Client, ...args: unknown[]) {
    const before = inFlight.get(this) ?? 0;
    if (before === 0) trips += 1;
    inFlight.set(this, before + 1);
    const done = () => inFlight.set(this, (inFlight.get(this) ?? 1) - 1);
    // The pool's own query() passes a callback; the store's statements take the promise.
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (...answer: unknown[]) => {
        done();
        return callback(...answer);
      };
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    }
    const result = (original as (...a: unknown[]) => unknown).apply(this, args) as Promise<unknown>;
    result.then(done, done);
    return result;
  };
  pg.Client.prototype.query = counting as typeof original;
  return {
    take(): number {
      const taken = trips;
      trips = 0;
      return taken;
    },
    restore(): void {
      pg.Client.prototype.query = original;
    },
  };
}

const LEASE = { workerId: 'worker-1', site: 'local', workflows: ['demo'], leaseMs: 30_000 };

/**
 * A worker's lease and completion are a few round trips each, not one per statement: the
 * statements that need no answer of the one before travel together (BEGIN, the queues and
 * the claim; the last writes, the roll-up and the COMMIT). Each trip is ~0.1 ms of CPU on both
 * sides and the job's latency waits for every one.
 */
describe('PostgreSQL worker verbs', () => {
  const store = useFreshStore(postgresHarness());
  let trips: ReturnType<typeof roundTrips>;
  beforeAll(() => {
    trips = roundTrips();
  });
  afterAll(() => trips.restore());

  it('lease a task in 2 round trips and complete it in 2, with the job, its events and counters written', async () => {
    let now = 1_000_000;
    // A first job runs through once: the site and queue exist, the statements are prepared, and
    // the store knows no queue has a concurrency limit (its first lease cannot).
    for (let n = 0; n < 2; n++) {
      await store().submitJobs([newJob({ fields: { n } })], now);
      trips.take();
      const [leased] = await store().leaseTasks({ ...LEASE, limit: 1, now });
      const leasing = trips.take();
      expect(leased.task.state).toBe('running');
      await store().completeTasks([{ taskId: leased.task.id, leaseToken: leased.leaseToken, report: { kind: 'succeeded', changed: false } }], now + 5);
      const completing = trips.take();
      if (n === 0) continue;
      expect(leasing, 'round trips of a lease').toBe(2);
      expect(completing, 'round trips of a completion').toBe(2);
      const job = await store().getJob(leased.job.id);
      expect(job?.state).toBe('success');
      const events = (await store().listEvents(0, 100, null)).filter((event) => event.jobId === leased.job.id);
      expect(events.map((event) => event.type)).toEqual(['job:created', 'task:state:changed', 'job:state:changed', 'task:state:changed', 'job:state:changed']);
      now += 1_000;
    }
    // An idle worker's lease finds nothing in 2: BEGIN with the queues and the claim, then COMMIT.
    trips.take();
    expect(await store().leaseTasks({ ...LEASE, limit: 1, now })).toEqual([]);
    expect(trips.take(), 'round trips of an empty lease').toBe(2);

    // With a queue limited, jobs are locked after the queue's admission, as before: 4.
    await store().ensureQueues(['limited'], now);
    await store().updateQueue('limited', { concurrency: 1 }, now);
    expect(await store().leaseTasks({ ...LEASE, limit: 1, now })).toEqual([]);
    await store().submitJobs([newJob({ queue: 'limited', fields: { n: 3 } }), newJob({ queue: 'limited', fields: { n: 4 } })], now);
    trips.take();
    const leased = await store().leaseTasks({ ...LEASE, limit: 2, now });
    expect(trips.take(), 'round trips of a lease with admission').toBe(4);
    expect(leased.map((task) => task.job.fields)).toEqual([{ n: 3 }]);
  });

  it('lease at once from a queue resumed or paused since the last lease, though its claim guessed the old state', async () => {
    const now = 1_000_000;
    await store().submitJobs([newJob({ fields: { n: 1 } })], now);
    await store().updateQueue('default', { paused: true }, now);
    expect(await store().leaseTasks({ ...LEASE, limit: 1, now })).toEqual([]);
    // This lease's claim skips the queue, paused at the last lease: it claims again.
    await store().updateQueue('default', { paused: false }, now);
    trips.take();
    const [leased] = await store().leaseTasks({ ...LEASE, limit: 1, now });
    expect(leased?.task.state).toBe('running');
    expect(trips.take(), 'round trips of a lease that claims again').toBe(4);
    // And one whose claim took a task of a queue paused since: the task stays queued.
    await store().submitJobs([newJob({ fields: { n: 2 } })], now);
    await store().updateQueue('default', { paused: true }, now);
    expect(await store().leaseTasks({ ...LEASE, limit: 1, now })).toEqual([]);
    const [job] = (await store().listJobs({ sites: null, limit: 1 })).items;
    expect(job.state).toBe('queued');
  });

  it('roll back a completion whose last writes fail though its COMMIT went with them, and keep the connection', async () => {
    const now = 1_000_000;
    const schema = quoteIdent((store() as PostgresStore).schema);
    await store().submitJobs([newJob()], now);
    const [leased] = await store().leaseTasks({ ...LEASE, limit: 1, now });
    // A trigger refuses the job's end: the held task, job and event writes fail, the COMMIT
    // sent behind them answers with a rollback.
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE FUNCTION ${schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
      await admin.query(`CREATE TRIGGER refuse BEFORE UPDATE ON ${schema}.jobs FOR EACH ROW WHEN (NEW.state = 'success') EXECUTE FUNCTION ${schema}.refuse()`);
      const completion = { taskId: leased.task.id, leaseToken: leased.leaseToken, report: { kind: 'succeeded' as const, changed: true } };
      await expect(store().completeTasks([completion], now + 1)).rejects.toThrow(/refused by the test/);
      const [task] = (await store().listTasks(leased.job.id, { limit: 10 })).items;
      expect(task.state).toBe('running');
      expect((await store().getJob(leased.job.id))?.state).toBe('running');
      // The same pool goes on: the lease still holds, and the completion lands.
      await admin.query(`DROP TRIGGER refuse ON ${schema}.jobs`);
      expect(await store().completeTasks([completion], now + 2)).toEqual([{ taskId: leased.task.id, accepted: true, state: 'success' }]);
      expect((await store().getJob(leased.job.id))?.state).toBe('success');
    } finally {
      await admin.end();
    }
  });
});
