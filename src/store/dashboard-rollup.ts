import { type JobState, SLOT_HOLDING_JOB_STATES, WAITING_JOB_STATES } from '../model/index.js';

/**
 * The dashboard's roll-up (migration 21): counts of jobs per minute, kept by the ledger in
 * the transactions that change jobs, so the dashboard sums a few thousand rows instead of
 * scanning the jobs of its window. One table, three kinds of rows:
 *
 * - CREATED (site, minute of created_at, state): jobs created in that minute, by the state
 *   they are in now; a state change moves one count from the old state to the new.
 * - ENDED (site, minute of ended_at, state): jobs that ended in that minute, by end state.
 * - DURATION (site, workflow, minute of ended_at, bin): jobs that started and ended, by
 *   their duration floored to two significant digits (`durationBin`).
 *
 * Unused key columns hold '' or 0, so one primary key (kind, minute, site, workflow, state,
 * bin) serves every kind and a transaction's changes are one upsert in one key order (no
 * deadlock between two PostgreSQL transactions adding to the same rows). Counts may fall to
 * zero and stay: the dashboard leaves zero rows out.
 */
export const ROLLUP_TABLE = 'dashboard_rollup';
/**
 * The queues' live counts, kept the same way (migration 21): jobs now waiting (created,
 * queued) or holding a slot (running … cancelling) per (queue, site, state, started 0/1), so
 * the queues page and the dashboard read a few rows instead of counting a queue's jobs.
 */
export const QUEUE_COUNTS_TABLE = 'queue_job_counts';
const QUEUE_COUNTED: ReadonlySet<JobState> = new Set([...WAITING_JOB_STATES, ...SLOT_HOLDING_JOB_STATES]);
export const CREATED = 0;
export const ENDED = 1;
export const DURATION = 2;
export const MINUTE_MS = 60_000;

/** The start of the minute holding `at` (epoch ms). */
export const minuteOf = (at: number): number => at - (((at % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);

/** The same in SQL, for both stores (the migration's fill). */
export const minuteSql = (column: string): string => `(${column} - ((${column} % ${MINUTE_MS}) + ${MINUTE_MS}) % ${MINUTE_MS})`;

/**
 * A duration floored to two significant digits (1234 ms → 1200 ms): percentiles read from
 * these bins are within 10 % of the exact ones, and a million jobs fall into a few hundred.
 */
export function durationBin(ms: number): number {
  for (let digits = 2; digits <= 12; digits += 1) {
    if (ms < 10 ** digits) {
      const unit = 10 ** (digits - 2);
      return unit === 1 ? ms : Math.trunc(ms / unit) * unit;
    }
  }
  return ms;
}

/** `durationBin` in SQL (integer division truncates on both stores), for the migration's fill. */
export function durationBinSql(duration: string): string {
  const cases = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((digits) => {
    const unit = 10 ** (digits - 2);
    return `WHEN ${duration} < ${10 ** digits} THEN ${unit === 1 ? duration : `(${duration} / ${unit}) * ${unit}`}`;
  });
  return `CASE ${cases.join(' ')} ELSE ${duration} END`;
}

/** What of a job the roll-up counts. */
export interface RollupJob {
  site: string;
  queue: string;
  workflow: string;
  createdAt: number;
  state: JobState;
  startedAt: number | null;
  endedAt: number | null;
}

/** A job's row as read from the database (a DELETE's RETURNING) as the roll-up counts it. */
export function rollupJobOf(r: Record<string, unknown>): RollupJob {
  return {
    site: r.site as string,
    queue: r.queue as string,
    workflow: r.workflow as string,
    createdAt: Number(r.created_at),
    state: r.state as JobState,
    startedAt: r.started_at === null ? null : Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
  };
}

/** One row's change: `n` is added to the row of this key. */
export interface RollupDelta {
  kind: number;
  minute: number;
  site: string;
  workflow: string;
  state: string;
  bin: number;
  n: number;
}

/** A change of one queue count row: `n` is added to the row of (queue, site, state, started). */
export interface QueueDelta {
  queue: string;
  site: string;
  state: string;
  started: number;
  n: number;
}

/**
 * The roll-up's bookkeeping for one transaction. The backend's ledger primitives report
 * every job they read (lockJobs), insert, update and delete; the book keeps what each job
 * counts for now, adds the difference of every change by key, and `drain` answers the
 * non-zero sums in key order: one upsert at the end of the transaction.
 */
export class RollupBook {
  private readonly jobs = new Map<number, RollupJob>();
  private readonly deltas = new Map<string, RollupDelta>();
  private readonly queueDeltas = new Map<string, QueueDelta>();

  /** A job as read in this transaction (what it counts for in the table now). */
  seen(id: number, job: Omit<RollupJob, 'createdAt'>, createdAt: number): void {
    this.jobs.set(id, {
      site: job.site,
      queue: job.queue,
      workflow: job.workflow,
      createdAt,
      state: job.state,
      startedAt: job.startedAt,
      endedAt: job.endedAt,
    });
  }

  inserted(id: number, job: RollupJob): void {
    this.jobs.set(id, copy(job));
    this.count(job, 1);
  }

  /** A job written back: its old counts leave, its new ones arrive. It must have been read (seen) or inserted in this transaction. */
  updated(id: number, row: Pick<RollupJob, 'state' | 'startedAt' | 'endedAt'>): void {
    const before = this.jobs.get(id);
    if (!before) throw new Error(`job ${id} was written without being read in this transaction: the dashboard roll-up cannot follow it`);
    if (before.state === row.state && before.startedAt === row.startedAt && before.endedAt === row.endedAt) return;
    this.count(before, -1);
    // The book's own copy: changed in place.
    before.state = row.state;
    before.startedAt = row.startedAt;
    before.endedAt = row.endedAt;
    this.count(before, 1);
  }

  deleted(id: number, job: RollupJob): void {
    this.jobs.delete(id);
    this.count(job, -1);
  }

  /** The changes so far, zero sums left out, each table's in its key order; the book starts empty again. */
  drain(): { rollup: RollupDelta[]; queues: QueueDelta[] } {
    const rollup = [...this.deltas.values()].filter((d) => d.n !== 0).sort(compareKeys);
    const queues = [...this.queueDeltas.values()]
      .filter((d) => d.n !== 0)
      .sort((a, b) => compareText(a.queue, b.queue) || compareText(a.site, b.site) || compareText(a.state, b.state) || a.started - b.started);
    this.deltas.clear();
    this.queueDeltas.clear();
    return { rollup, queues };
  }

  private count(job: RollupJob, n: number): void {
    if (QUEUE_COUNTED.has(job.state)) {
      const started = job.startedAt === null ? 0 : 1;
      const key = `${job.queue}\u0000${job.site}\u0000${job.state}\u0000${started}`;
      const delta = this.queueDeltas.get(key);
      if (delta) delta.n += n;
      else this.queueDeltas.set(key, { queue: job.queue, site: job.site, state: job.state, started, n });
    }
    this.add(CREATED, minuteOf(job.createdAt), job.site, '', job.state, 0, n);
    if (job.endedAt === null) return;
    const minute = minuteOf(job.endedAt);
    this.add(ENDED, minute, job.site, '', job.state, 0, n);
    if (job.startedAt !== null) this.add(DURATION, minute, job.site, job.workflow, '', durationBin(job.endedAt - job.startedAt), n);
  }

  private add(kind: number, minute: number, site: string, workflow: string, state: string, bin: number, n: number): void {
    const key = `${kind}\u0000${minute}\u0000${site}\u0000${workflow}\u0000${state}\u0000${bin}`;
    const delta = this.deltas.get(key);
    if (delta) delta.n += n;
    else this.deltas.set(key, { kind, minute, site, workflow, state, bin, n });
  }
}

/** The fields counted, apart from the caller's row (which the ledger goes on changing). */
const copy = (j: RollupJob): RollupJob => ({
  site: j.site,
  queue: j.queue,
  workflow: j.workflow,
  createdAt: j.createdAt,
  state: j.state,
  startedAt: j.startedAt,
  endedAt: j.endedAt,
});

/** Primary key order (text compared by code unit; both stores only need one order used by every transaction). */
function compareKeys(a: RollupDelta, b: RollupDelta): number {
  return (
    a.kind - b.kind ||
    a.minute - b.minute ||
    compareText(a.site, b.site) ||
    compareText(a.workflow, b.workflow) ||
    compareText(a.state, b.state) ||
    a.bin - b.bin
  );
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
