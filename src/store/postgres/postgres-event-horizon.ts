import { performance } from 'node:perf_hooks';
import type { DbRow } from '../rows.js';
import { firstRow, type Queryable, rows, statementName } from './postgres-pool.js';

/**
 * The most ids one step looks at: an index-only scan of the primary key. A step looks at as
 * many ids as the page wants, more when a sites filter leaves the page short (up to this).
 */
export const MAX_WINDOW = 10_000;
/**
 * How long a gap must have been seen before its transactions are taken from the snapshot. A
 * transaction can draw its event id (nextval) a moment before it gets an xid (its first row
 * write, in the same INSERT); once this long has passed every such INSERT has its xid. Only a
 * gap that does not fill (a rollback, deleted events) ever waits this long.
 */
const MIN_GAP_AGE_MS = 500;
/** Gaps timed at once; a gap past all of them while full is timed later (a delay, never a skip). */
const MAX_PENDING = 8;

/**
 * `step`, a read with a sites filter, in one round trip: where the unbroken run of ids after the start ends, and the page of events
 * after the reader's cursor up to there, in one snapshot. The window is unbroken when its
 * last id is as far from the start as it holds ids (the common case: two aggregates). Only
 * when it is not does the run's end get found row by row: ids are distinct and rising, so
 * `id - k` never falls, and the ids with `id - k = start` are exactly the run.
 */
const SQL = {
  step: `WITH w AS (SELECT id FROM events WHERE id > $1 ORDER BY id LIMIT $2),
    h AS (SELECT count(*) AS n, COALESCE(max(id), $1) AS horizon_last FROM w),
    r AS (SELECT horizon_last, CASE WHEN horizon_last - $1 = n THEN horizon_last
      ELSE (SELECT COALESCE(max(id) FILTER (WHERE id - k = $1), $1) FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM w) run) END AS horizon_run FROM h)
    SELECT r.horizon_run, r.horizon_last, e.* FROM r LEFT JOIN LATERAL (
      SELECT * FROM events ev WHERE ev.id > $3 AND ev.id <= r.horizon_run AND ($4::text[] IS NULL OR ev.site IS NULL OR ev.site = ANY($4::text[])
        -- A job's events (at its own site) also reach users of the other sites it spans.
        OR (ev.job_id IS NOT NULL AND EXISTS (SELECT 1 FROM job_sites s WHERE s.job_id = ev.job_id AND s.site = ANY($4::text[]))))
      ORDER BY ev.id LIMIT $5) e ON true`,
  // Without a sites filter the page itself shows every id after the cursor: no window needed.
  page: 'SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2',
  snapshot: 'SELECT pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax FROM pg_current_snapshot() s',
};

/** Missing ids at or below `upTo`, seen at `seenAt`; `xmax` is the first xid not yet assigned once the gap was old enough. */
interface PendingGap {
  upTo: number;
  seenAt: number;
  xmax: bigint | null;
}

/** One step of a read: the events of the page, where the readable run ends, and whether it ends at the window's end (more may follow at once). */
export interface HorizonStep {
  rows: DbRow[];
  horizon: number;
  /** The step stopped at the window's end, not at a gap nor at the last event. */
  full: boolean;
}

/**
 * The safe horizon of the PostgreSQL event feed: how far after a cursor a reader may go
 * without passing an id that may still commit.
 *
 * Event ids come from a sequence, and transactions commit out of id order: a reader at 49 may
 * see 51 committed while 50 belongs to a transaction still open. Every consumer of the feed
 * moves a cursor (the notifier, the live SSE feed, the hub's listeners), so a reader that went
 * on to 51 would never see 50. A reader therefore stops before the first missing id — until
 * that gap is filled, or final: a rolled-back transaction (or deleted events) leaves a gap for
 * good. Writers are never held up; only readers wait, and only on a gap.
 *
 * A gap is final once every transaction that could hold one of its ids has ended. When a gap
 * is first seen, every id below the highest id present had already been drawn (the sequence
 * hands ids out rising and uncached, and that higher id was committed). After MIN_GAP_AGE_MS
 * each of those transactions has an xid below the snapshot's xmax taken then; once the
 * snapshot's xmin has reached that xmax, all of them have ended and what they committed is
 * visible, so every id up to that highest one is settled — a whole rolled-back bulk insert
 * passes in one step, however many ids it held. A long transaction open meanwhile (anywhere
 * on the server) holds the gap until it ends: correctness over latency.
 *
 * State is per store instance and only ever an optimisation: `settled` (every id up to it is
 * committed or gone for good) lets readers behind it pass old gaps without waiting, and up to
 * MAX_PENDING gaps are being timed. Several hubs each keep their own; a restart forgets it
 * and times gaps afresh — a delay, never a skip. A cursor is trusted to be settled (it came
 * from an earlier horizon); it is never used to move `settled`.
 *
 * SQLite needs none of this: one writer at a time, so ids commit in order.
 */
export class EventHorizon {
  private settled = 0;
  private pending: PendingGap[] = [];

  constructor(
    private readonly db: Queryable,
    private readonly minGapAgeMs = MIN_GAP_AGE_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /**
   * Up to `limit` events after `cursor`, at every site, that a reader may take now: the page
   * is read as before and cut at its first gap above what is settled, so the common case (no
   * gap) costs nothing more. While a gap is being timed, one snapshot query more per read once
   * the gap is old enough.
   */
  async page(cursor: number, limit: number): Promise<DbRow[]> {
    if (this.pending.length > 0) await this.settleFinalGaps();
    const start = Math.max(cursor, this.settled);
    // Named: prepared once per connection, not planned on every read of the feed.
    const found = (await this.db.query(SQL.page, [cursor, limit], statementName(SQL.page))).rows;
    let run = start;
    let taken = 0;
    for (const row of found) {
      const id = Number(row.id);
      if (id > start) {
        if (id !== run + 1) break;
        run = id;
      }
      taken++;
    }
    if (taken < found.length) this.timeGap(Number(found[found.length - 1].id));
    if (start === this.settled) this.settle(run);
    return taken < found.length ? found.slice(0, taken) : found;
  }

  /**
   * Up to `limit` events after `cursor` (at `sites` only, null: all) that a reader may take
   * now, looking at `window` ids after it (or after what is settled): one indexed query, plus
   * the snapshot query of `page` while a gap is being timed.
   */
  async step(cursor: number, window: number, limit: number, sites: string[] | null): Promise<HorizonStep> {
    if (this.pending.length > 0) await this.settleFinalGaps();
    const start = Math.max(cursor, this.settled);
    const found = await rows(this.db, SQL.step, [start, window, cursor, sites, limit]);
    const last = Number(found[0].horizon_last);
    const horizon = Number(found[0].horizon_run);
    if (horizon < last) this.timeGap(last);
    if (start === this.settled) this.settle(horizon);
    return { rows: found.filter((row) => row.id != null), horizon, full: horizon === last && horizon - start === window };
  }

  /** Where a feed that starts now begins: the horizon after `maxId - lookBack` (see lastEventId). */
  async latest(maxId: number, lookBack: number): Promise<number> {
    let at = Math.max(this.settled, maxId - lookBack, 0);
    for (;;) {
      const step = await this.step(at, MAX_WINDOW, 0, null);
      if (!step.full) return step.horizon;
      at = step.horizon;
    }
  }

  private timeGap(upTo: number): void {
    const highest = this.pending.at(-1)?.upTo ?? this.settled;
    if (upTo <= highest || this.pending.length >= MAX_PENDING) return;
    this.pending.push({ upTo, seenAt: this.clock(), xmax: null });
  }

  private settle(upTo: number): void {
    if (upTo <= this.settled) return;
    this.settled = upTo;
    this.pending = this.pending.filter((gap) => gap.upTo > upTo);
  }

  private async settleFinalGaps(): Promise<void> {
    const now = this.clock();
    if (!this.pending.some((gap) => now - gap.seenAt >= this.minGapAgeMs)) return;
    const snap = await firstRow(this.db, SQL.snapshot);
    const xmin = BigInt(snap?.xmin as string);
    const xmax = BigInt(snap?.xmax as string);
    let finalUpTo = 0;
    for (const gap of this.pending) {
      if (now - gap.seenAt < this.minGapAgeMs) continue;
      gap.xmax ??= xmax;
      if (xmin >= gap.xmax) finalUpTo = Math.max(finalUpTo, gap.upTo);
    }
    this.settle(finalUpTo);
  }
}
