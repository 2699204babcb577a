import type { JobState } from '../model/index.js';
import type { ScheduleExecutor } from './ledger/schedule-tx.js';
import type { BucketCount, DashboardQuery, DurationHistogram } from './store.js';

/**
 * Durations floored to two significant digits (1234 ms → 1200 ms): percentiles read from this
 * histogram are within 10 % of the exact ones, the same on both stores, and the query groups
 * a million jobs into a few hundred rows instead of sending every duration to the hub.
 */
const DURATION = '(ended_at - started_at)';
const BIN = `CASE ${[2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
  .map((digits) => {
    const unit = 10 ** (digits - 2);
    return `WHEN ${DURATION} < ${10 ** digits} THEN ${unit === 1 ? DURATION : `(${DURATION} / ${unit}) * ${unit}`}`;
  })
  .join(' ')} ELSE ${DURATION} END`;

/**
 * The dashboard's aggregate queries, written once for both backends. Each reads one covering
 * index (migration 16: jobs_created_dash on created_at, site, state; jobs_ended_dash on
 * ended_at, site, workflow, state, started_at; and the same two with site first for one
 * site's view), so the cost follows the jobs in the window and never touches the table rows.
 */
export class DashboardSql {
  constructor(private readonly x: ScheduleExecutor) {}

  async aggregates(query: DashboardQuery): Promise<{ created: BucketCount[]; ended: BucketCount[]; durations: DurationHistogram[] }> {
    if (query.sites !== null && query.sites.length === 0) return { created: [], ended: [], durations: [] };
    const siteSql = query.sites === null ? '' : ` AND site IN (${query.sites.map(() => '?').join(', ')})`;
    const sites = query.sites ?? [];
    const bucketed = async (column: 'created_at' | 'ended_at'): Promise<BucketCount[]> => {
      const rows = await this.x.all(
        // The bucket's index, not its instant: SQLite binds JavaScript numbers as REAL, and
        // an integer cast keeps the division whole on both stores.
        `SELECT CAST((${column} - ?) / ? AS BIGINT) AS slot, state, COUNT(*) AS n FROM jobs
         WHERE ${column} >= ? AND ${column} < ?${siteSql} GROUP BY 1, 2 ORDER BY 1, 2`,
        [query.from, query.bucketMs, query.from, query.to, ...sites],
      );
      return rows.map((r) => ({ bucket: query.from + Number(r.slot) * query.bucketMs, state: r.state as JobState, count: Number(r.n) }));
    };
    const created = await bucketed('created_at');
    const ended = await bucketed('ended_at');
    const rows = await this.x.all(
      `SELECT workflow, bin, COUNT(*) AS n FROM (
         SELECT workflow, ${BIN} AS bin FROM jobs WHERE ended_at >= ? AND ended_at < ? AND started_at IS NOT NULL${siteSql}
       ) d GROUP BY workflow, bin ORDER BY workflow, bin`,
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
