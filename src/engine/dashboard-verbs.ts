import { type Actor, authorize, JOB_STATES, type JobState, requireSite, SwitchyardError, scopeSites } from '../model/index.js';
import { MINUTE_MS, minuteOf } from '../store/dashboard-rollup.js';
import type { BucketCount, DurationHistogram } from '../store/store.js';
import type { EngineCore } from './engine-core.js';
import { WORKER_ONLINE_MS } from './read-verbs.js';

export interface DashboardRequest {
  /** One site; absent for Global (every site the actor may see). */
  site?: string;
  from?: number;
  to?: number;
  bucketMs?: number;
}

/** Jobs in one time bucket, by state. */
export interface DashboardBucket {
  at: number;
  total: number;
  states: Partial<Record<JobState, number>>;
}

export interface WorkflowDurations {
  workflow: string;
  /** Jobs that started and ended in the window. */
  count: number;
  p50Ms: number;
  p95Ms: number;
}

/** The dashboard of one site or Global (R30), over `from`–`to`. */
export interface Dashboard {
  site: string | null;
  from: number;
  to: number;
  bucketMs: number;
  /** Jobs created per bucket, by the state they are in now. */
  created: DashboardBucket[];
  /** Jobs that ended per bucket, by end state: the throughput. */
  ended: DashboardBucket[];
  totals: { created: number; ended: number; failure: number; error: number; success: number; cancelled: number };
  /** Of the jobs that ended: the share that failed, and that completed with errors. */
  failureRate: number;
  errorRate: number;
  /** Jobs ended per hour over the window. */
  throughputPerHour: number;
  durations: WorkflowDurations[];
  queues: { name: string; queued: number; active: number; oldestWaitingMs: number | null }[];
  workers: { online: number; total: number; sites: { site: string; online: number; total: number }[] };
}

/** The bucket widths offered, smallest first; a window gets the smallest giving at most ~60 buckets. */
const NICE_BUCKETS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000];
const MAX_BUCKETS = 500;
const DAY = 86_400_000;

/**
 * The dashboard: aggregates the store reads from its per-minute roll-up (see DashboardSql), and
 * the queue and worker counts the queues and sites pages already read. Site-limited actors
 * see only their sites, in Global as in one site.
 */
export class DashboardVerbs {
  constructor(private readonly core: EngineCore) {}

  async dashboard(request: DashboardRequest, actor: Actor): Promise<Dashboard> {
    authorize(actor, 'jobs.read');
    if (request.site !== undefined) requireSite(actor, request.site);
    const { from, to } = wholeMinutes(request.from, request.to ?? this.core.clock());
    if (from >= to) throw invalid('from', 'must be before to');
    const bucketMs = request.bucketMs ?? NICE_BUCKETS.find((ms) => (to - from) / ms <= 60) ?? NICE_BUCKETS[NICE_BUCKETS.length - 1];
    if ((to - from) / bucketMs > MAX_BUCKETS) throw invalid('bucket', `at most ${MAX_BUCKETS} buckets: choose a wider bucket or a shorter window`);
    const sites = scopeSites(actor, request.site === undefined ? null : [request.site]);
    const aggregates = await this.core.store.dashboardAggregates({ sites, from, to, bucketMs });
    const created = buckets(aggregates.created, from, to, bucketMs);
    const ended = buckets(aggregates.ended, from, to, bucketMs);
    const endedBy = (state: JobState) => ended.reduce((sum, b) => sum + (b.states[state] ?? 0), 0);
    const endedTotal = ended.reduce((sum, b) => sum + b.total, 0);
    const now = this.core.clock();
    const queues = await this.core.store.listQueues(sites);
    const workers = (await this.core.store.listWorkers()).filter((w) => sites === null || sites.includes(w.site));
    const bySite = new Map<string, { site: string; online: number; total: number }>();
    for (const worker of workers) {
      const entry = bySite.get(worker.site) ?? { site: worker.site, online: 0, total: 0 };
      entry.total += 1;
      if (now - worker.lastSeenAt < WORKER_ONLINE_MS) entry.online += 1;
      bySite.set(worker.site, entry);
    }
    const siteRows = [...bySite.values()].sort((a, b) => a.site.localeCompare(b.site));
    return {
      site: request.site ?? null,
      from,
      to,
      bucketMs,
      created,
      ended,
      totals: {
        created: created.reduce((sum, b) => sum + b.total, 0),
        ended: endedTotal,
        failure: endedBy('failure'),
        error: endedBy('error'),
        success: endedBy('success'),
        cancelled: endedBy('cancelled'),
      },
      failureRate: endedTotal === 0 ? 0 : endedBy('failure') / endedTotal,
      errorRate: endedTotal === 0 ? 0 : endedBy('error') / endedTotal,
      throughputPerHour: (endedTotal * 3_600_000) / (to - from),
      durations: aggregates.durations.map(percentiles),
      queues: queues.map((q) => ({
        name: q.name,
        queued: q.queuedJobs,
        active: q.activeJobs,
        oldestWaitingMs: q.oldestQueuedAt === null ? null : Math.max(0, now - q.oldestQueuedAt),
      })),
      workers: { online: siteRows.reduce((s, r) => s + r.online, 0), total: workers.length, sites: siteRows },
    };
  }
}

/**
 * The window on whole minutes, the store's resolution (its roll-up counts jobs per minute):
 * `to` moves up to the end of its minute (the current minute, when it is now, is counted
 * whole), and `from` keeps the length asked for, down to the start of its minute. So every
 * count is exact for the window the dashboard answers with; a window already on whole
 * minutes (what the console asks for) is kept as it is. Checked against `from >= to` after.
 */
export function wholeMinutes(from: number | undefined, to: number): { from: number; to: number } {
  const end = minuteOf(to) === to ? to : minuteOf(to) + MINUTE_MS;
  const length = from === undefined ? DAY : to - from;
  return { from: minuteOf(end - length), to: end };
}

/** Every bucket of the window, empty ones included, so charts have no gaps. */
function buckets(rows: BucketCount[], from: number, to: number, bucketMs: number): DashboardBucket[] {
  const out: DashboardBucket[] = [];
  const byAt = new Map<number, DashboardBucket>();
  for (let at = from; at < to; at += bucketMs) {
    const bucket: DashboardBucket = { at, total: 0, states: {} };
    out.push(bucket);
    byAt.set(at, bucket);
  }
  for (const row of rows) {
    const bucket = byAt.get(row.bucket);
    if (!bucket || !JOB_STATES.includes(row.state)) continue;
    bucket.states[row.state] = (bucket.states[row.state] ?? 0) + row.count;
    bucket.total += row.count;
  }
  return out;
}

/** The nearest-rank p50 and p95 of a histogram (each bin's value is its floor: within 10 % of exact). */
export function percentiles(histogram: DurationHistogram): WorkflowDurations {
  const count = histogram.bins.reduce((sum, [, n]) => sum + n, 0);
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil(p * count));
    let seen = 0;
    for (const [value, n] of histogram.bins) {
      seen += n;
      if (seen >= rank) return value;
    }
    return histogram.bins[histogram.bins.length - 1]?.[0] ?? 0;
  };
  return { workflow: histogram.workflow, count, p50Ms: at(0.5), p95Ms: at(0.95) };
}

function invalid(path: string, message: string): SwitchyardError {
  return new SwitchyardError('SWY_ERR_VALIDATION', `${path}: ${message}`, [{ path, message }]);
}
