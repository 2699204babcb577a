import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { durationBinSql, minuteOf, minuteSql } from '../../src/store/dashboard-rollup.js';
import type { Queryable } from '../../src/store/postgres/postgres-pool.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { BucketCount, DashboardQuery, DurationHistogram, Store } from '../../src/store/store.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';
import { finish as finishReady } from './operations-conformance.js';

const T0 = 1_700_000_000_000;
const M0 = minuteOf(T0);
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Plain SQL on the store's own database (the test reads what the store wrote; it writes nothing). */
async function sql(store: Store, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if (store instanceof SqliteStore) return (store as unknown as { db: Database }).db.prepare(text).all(...params) as Record<string, unknown>[];
  let n = 0;
  const numbered = text.replace(/\?/g, () => `$${++n}`);
  return (await (store as unknown as { db: Queryable }).db.query(numbered, params)).rows;
}

type Row = [kind: number, minute: number, site: string, workflow: string, state: string, bin: number, n: number];
const sorted = (rows: Record<string, unknown>[]): Row[] =>
  rows
    .map((r): Row => [Number(r.kind), Number(r.minute), String(r.site), String(r.workflow), String(r.state), Number(r.bin), Number(r.n)])
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** The roll-up as a GROUP BY over the jobs would count it now. */
const FROM_JOBS = `
  SELECT 0 AS kind, ${minuteSql('created_at')} AS minute, site, '' AS workflow, state, 0 AS bin, COUNT(*) AS n FROM jobs GROUP BY 2, 3, 5
  UNION ALL
  SELECT 1, ${minuteSql('ended_at')}, site, '', state, 0, COUNT(*) FROM jobs WHERE ended_at IS NOT NULL GROUP BY 2, 3, 5
  UNION ALL
  SELECT 2, m, site, workflow, '', bin, COUNT(*) FROM (
    SELECT ${minuteSql('ended_at')} AS m, site, workflow, ${durationBinSql('(ended_at - started_at)')} AS bin
    FROM jobs WHERE ended_at IS NOT NULL AND started_at IS NOT NULL) d GROUP BY m, site, workflow, bin`;

/** The dashboard's aggregates read straight from the jobs (what the store did before the roll-up). */
async function aggregatesFromJobs(store: Store, q: DashboardQuery): Promise<{ created: BucketCount[]; ended: BucketCount[]; durations: DurationHistogram[] }> {
  const siteSql = q.sites === null ? '' : ` AND site IN (${q.sites.map(() => '?').join(', ')})`;
  const sites = q.sites ?? [];
  const bucketed = async (column: string) =>
    (
      await sql(
        store,
        `SELECT CAST((${column} - ?) / ? AS BIGINT) AS slot, state, COUNT(*) AS n FROM jobs
         WHERE ${column} >= ? AND ${column} < ?${siteSql} GROUP BY 1, 2 ORDER BY 1, 2`,
        [q.from, q.bucketMs, q.from, q.to, ...sites],
      )
    ).map((r) => ({ bucket: q.from + Number(r.slot) * q.bucketMs, state: r.state, count: Number(r.n) }) as BucketCount);
  const rows = await sql(
    store,
    `SELECT workflow, bin, COUNT(*) AS n FROM (
       SELECT workflow, ${durationBinSql('(ended_at - started_at)')} AS bin FROM jobs
       WHERE ended_at >= ? AND ended_at < ? AND started_at IS NOT NULL${siteSql}) d GROUP BY workflow, bin ORDER BY workflow, bin`,
    [q.from, q.to, ...sites],
  );
  const durations = new Map<string, [number, number][]>();
  for (const r of rows) durations.set(String(r.workflow), [...(durations.get(String(r.workflow)) ?? []), [Number(r.bin), Number(r.n)]]);
  return {
    created: await bucketed('created_at'),
    ended: await bucketed('ended_at'),
    durations: [...durations].map(([workflow, bins]) => ({ workflow, bins })),
  };
}

/** The queues' live counts as a GROUP BY over the jobs would count them now. */
const QUEUES_FROM_JOBS = `SELECT queue, site, state, CASE WHEN started_at IS NULL THEN 0 ELSE 1 END AS started, COUNT(*) AS n FROM jobs
  WHERE state IN ('created', 'queued', 'running', 'pausing', 'paused', 'cancelling') GROUP BY 1, 2, 3, 4`;
const sortedQueues = (rows: Record<string, unknown>[]) =>
  rows
    .map((r) => [String(r.queue), String(r.site), String(r.state), Number(r.started), Number(r.n)])
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/**
 * The roll-up and the queue counts hold what a GROUP BY over the jobs gives, and the
 * dashboard reads the same numbers from the roll-up as from the jobs.
 */
export async function expectRollupMatchesJobs(store: Store): Promise<void> {
  const table = sorted(await sql(store, 'SELECT kind, minute, site, workflow, state, bin, n FROM dashboard_rollup WHERE n <> 0'));
  expect(table).toEqual(sorted(await sql(store, FROM_JOBS)));
  const counts = sortedQueues(await sql(store, 'SELECT queue, site, state, started, n FROM queue_job_counts WHERE n <> 0'));
  expect(counts).toEqual(sortedQueues(await sql(store, QUEUES_FROM_JOBS)));
  const windows: DashboardQuery[] = [
    { sites: null, from: M0 - HOUR, to: M0 + 3 * HOUR, bucketMs: HOUR },
    { sites: ['east'], from: M0 - HOUR, to: M0 + 3 * HOUR, bucketMs: 15 * MINUTE },
    { sites: ['west', 'east'], from: M0, to: M0 + 2 * HOUR, bucketMs: MINUTE },
    { sites: null, from: M0 + HOUR, to: M0 + 2 * HOUR, bucketMs: 5 * MINUTE },
  ];
  for (const window of windows) {
    const seen = await store.dashboardAggregates(window);
    expect(seen).toEqual(await aggregatesFromJobs(store, window));
  }
}

/** Finishes every ready task at `site` (see operations-conformance), of the workflows used here. */
const finish = (store: Store, site: string, leaseAt: number, endAt: number, report: 'succeeded' | 'failed' = 'succeeded') =>
  finishReady(store, site, leaseAt, endAt, report, ['demo', 'other']);

/** The dashboard's roll-up (migration 21) follows every change of a job, on every backend. */
export function describeRollupConformance(harness: StoreHarness): void {
  describe(`dashboard roll-up conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);

    it('stays equal to a GROUP BY over the jobs through submit, success, failure, cancel, pause, resume, retry, delete and prune', async () => {
      const s = store();
      await s.ensureSites(['east', 'west'], T0);
      const submit = async (at: number, count: number, overrides: Parameters<typeof newJob>[0] = {}) =>
        (
          await s.submitJobs(
            Array.from({ length: count }, () => newJob(overrides)),
            at,
          )
        ).map((o) => o.job.id);
      // Submitted in three minutes at two sites, in two workflows.
      await submit(T0, 3, { site: 'east' });
      const west = await submit(T0 + 61_000, 2, { site: 'west', workflow: 'other', queue: 'imports' });
      await submit(T0 + 5 * MINUTE, 1, { site: 'east', workflow: 'other' });
      await expectRollupMatchesJobs(s);

      // Run to success (four jobs, 2 s) and to failure (two more, 10 s).
      await finish(s, 'east', T0 + HOUR, T0 + HOUR + 2000);
      await expectRollupMatchesJobs(s);
      const failed = await submit(T0 + 10 * MINUTE, 2, { site: 'east' });
      await finish(s, 'east', T0 + HOUR + 30_000, T0 + HOUR + 40_000, 'failed');
      await expectRollupMatchesJobs(s);

      // Cancel one queued job; pause and resume the other.
      await s.controlJob(west[0], 'cancel', T0 + 70 * MINUTE);
      await expectRollupMatchesJobs(s);
      await s.controlJob(west[1], 'pause', T0 + 71 * MINUTE);
      expect((await s.getJob(west[1]))?.state).toBe('paused');
      await expectRollupMatchesJobs(s);
      await s.controlJob(west[1], 'resume', T0 + 72 * MINUTE);
      await expectRollupMatchesJobs(s);
      // A running job paused (pausing, then paused when its task stops) and resumed.
      const [running] = await submit(T0 + 73 * MINUTE, 1, { site: 'west' });
      const leased = await s.leaseTasks({ workerId: 'w', site: 'west', workflows: ['demo'], limit: 1, leaseMs: 600_000, now: T0 + 74 * MINUTE });
      expect(leased.map((t) => t.task.jobId)).toEqual([running]);
      await s.controlJob(running, 'pause', T0 + 75 * MINUTE);
      await expectRollupMatchesJobs(s);
      await s.controlJob(running, 'resume', T0 + 76 * MINUTE);
      await expectRollupMatchesJobs(s);

      // Retry an ended job: it leaves its end (and its end minute), then ends again later.
      await s.retryJob(failed[0], T0 + 80 * MINUTE);
      expect((await s.getJob(failed[0]))?.state).toBe('queued');
      await expectRollupMatchesJobs(s);
      await finish(s, 'east', T0 + 90 * MINUTE, T0 + 90 * MINUTE + 5000);
      expect((await s.getJob(failed[0]))?.state).toBe('success');
      await expectRollupMatchesJobs(s);

      // The queues' counts and oldest waiting job, read from the counts.
      await submit(T0 + 95 * MINUTE, 1, { site: 'west', queue: 'imports' });
      const imports = (await s.listQueues(null)).find((q) => q.name === 'imports');
      expect(imports).toMatchObject({ queuedJobs: 2, activeJobs: 0, oldestQueuedAt: T0 + 61_000 });
      expect((await s.listQueues(['east'])).find((q) => q.name === 'imports')).toMatchObject({ queuedJobs: 0, oldestQueuedAt: null });
      expect((await s.getQueue('default', ['west']))?.activeJobs).toBe(1);

      // Delete one finished job, then prune the rest of the jobs that ended before T0 + 70 min.
      await s.deleteJob(failed[1], T0 + 100 * MINUTE);
      await expectRollupMatchesJobs(s);
      expect(await s.pruneJobs({ byWorkflow: {}, byQueue: {}, otherwise: T0 + 70 * MINUTE }, 100, T0 + 101 * MINUTE)).toBe(4);
      await expectRollupMatchesJobs(s);
      // Counts that fell to zero are rows of 0 (or gone): the dashboard shows nothing for them.
      const board = await s.dashboardAggregates({ sites: ['east'], from: M0 + HOUR, to: M0 + HOUR + MINUTE, bucketMs: MINUTE });
      expect(board.ended).toEqual([]);
    });
  });
}
