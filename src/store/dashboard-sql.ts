import type { JobState } from '../model/index.js';
import { CREATED, DURATION, ENDED, ROLLUP_TABLE } from './dashboard-rollup.js';
import type { ScheduleExecutor } from './ledger/schedule-tx.js';
import type { BucketCount, DashboardQuery, DurationHistogram } from './store.js';

/**
 * The dashboard's aggregate queries, written once for both backends. They read the roll-up
 * (dashboard-rollup.ts: jobs per minute, kept by the ledger), so the cost follows the minutes
 * in the window, not the jobs: a day is at most 1,440 minutes of a few rows each.
 *
 * A minute counts in the window when it starts in [from, to), and in the bucket where it
 * starts: exact when `from` and the bucket width are whole minutes (the dashboard verb moves
 * its window onto whole minutes); a bucket narrower than a minute gets its minute's jobs
 * only in the bucket where the minute starts.
 */
export class DashboardSql {
  constructor(private readonly x: ScheduleExecutor) {}

  async aggregates(query: DashboardQuery): Promise<{ created: BucketCount[]; ended: BucketCount[]; durations: DurationHistogram[] }> {
    if (query.sites !== null && query.sites.length === 0) return { created: [], ended: [], durations: [] };
    const siteSql = query.sites === null ? '' : ` AND site IN (${query.sites.map(() => '?').join(', ')})`;
    const sites = query.sites ?? [];
    const bucketed = async (kind: number): Promise<BucketCount[]> => {
      const rows = await this.x.all(
        // The bucket's index, not its instant: SQLite binds JavaScript numbers as REAL, and
        // an integer cast keeps the division whole on both stores.
        `SELECT CAST((minute - ?) / ? AS BIGINT) AS slot, state, SUM(n) AS n FROM ${ROLLUP_TABLE}
         WHERE kind = ${kind} AND minute >= ? AND minute < ?${siteSql} GROUP BY 1, 2 HAVING SUM(n) <> 0 ORDER BY 1, 2`,
        [query.from, query.bucketMs, query.from, query.to, ...sites],
      );
      return rows.map((r) => ({ bucket: query.from + Number(r.slot) * query.bucketMs, state: r.state as JobState, count: Number(r.n) }));
    };
    const created = await bucketed(CREATED);
    const ended = await bucketed(ENDED);
    const rows = await this.x.all(
      `SELECT workflow, bin, SUM(n) AS n FROM ${ROLLUP_TABLE} WHERE kind = ${DURATION} AND minute >= ? AND minute < ?${siteSql}
       GROUP BY workflow, bin HAVING SUM(n) <> 0 ORDER BY workflow, bin`,
      [query.from, query.to, ...sites],
    );
    const durations = new Map<string, [number, number][]>();
    for (const r of rows) {
      const bins = durations.get(r.workflow as string) ?? [];
      bins.push([Number(r.bin), Number(r.n)]);
      durations.set(r.workflow as string, bins);
    }
    return { created, ended, durations: [...durations].map(([workflow, bins]) => ({ workflow, bins })) };
  }
}
