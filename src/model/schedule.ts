import { Cron } from 'croner';
import { SwitchyardError } from './errors.js';

/**
 * Schedules: when a recurring job's slots fall, what happens to a slot whose previous run is
 * still active (overlap), and which slots missed while no hub ran still fire (catch-up).
 * Pure: instants are passed in; the engine's scheduler duty applies the answers through the
 * store, which records each fired slot once (a unique (schedule, slot) row).
 */

/** What a slot does while an earlier run of the same schedule is still active. */
export const OverlapRules = ['skip', 'queue', 'cancel-previous', 'allow'] as const;
export type OverlapRule = (typeof OverlapRules)[number];

/** Which missed slots fire when a hub comes back: none, only the latest (default), or all up to `catchUpLimit`. */
export const CatchUpRules = ['none', 'latest', 'all'] as const;
export type CatchUpRule = (typeof CatchUpRules)[number];

/** The timing of a schedule: a cron expression (seconds allowed) in a time zone, or a fixed interval. */
export interface ScheduleTiming {
  cron: string | null;
  everyMs: number | null;
  timezone: string;
  /** Interval schedules count from this instant (their creation). */
  anchorAt: number;
}

/** A slot is on time (not "missed") when it fires within this long of falling due. */
export const SLOT_GRACE_MS = 60_000;
/** Slots fired at most per schedule per round when catching up with `all`, unless the schedule says fewer. */
export const DEFAULT_CATCH_UP_LIMIT = 100;

/** Throws SWY_ERR_SCHEDULE_INVALID unless exactly one of cron and everyMs is set and valid, with a known time zone. */
export function validateTiming(timing: Pick<ScheduleTiming, 'cron' | 'everyMs' | 'timezone'>): void {
  const fail = (path: string, message: string) => {
    throw new SwitchyardError('SWY_ERR_SCHEDULE_INVALID', `${path}: ${message}`, [{ path, message }]);
  };
  if ((timing.cron === null) === (timing.everyMs === null)) fail('cron', 'give either cron or everyMs');
  if (timing.everyMs !== null && (!Number.isInteger(timing.everyMs) || timing.everyMs < 1000)) fail('everyMs', 'must be a whole number of at least 1000');
  try {
    new Intl.DateTimeFormat('en', { timeZone: timing.timezone });
  } catch {
    fail('timezone', `unknown time zone "${timing.timezone}"`);
  }
  if (timing.cron !== null) {
    let cron: Cron | null = null;
    try {
      cron = cronOf(timing.cron, timing.timezone);
    } catch (error) {
      fail('cron', (error as Error).message);
    }
    // A rule no day of the calendar meets ("0 0 30 2 *") would be saved and never fire.
    if (cron && cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) fail('cron', 'no date ever matches it');
  }
}

function cronOf(expression: string, timezone: string): Cron {
  // Croner reads 6 fields as seconds first; legacyMode keeps day-of-month/day-of-week OR-ed as in Vixie cron.
  return new Cron(expression, { timezone, paused: true });
}

/**
 * The first slot strictly after `after`, or null when the rule has no further slot.
 * Cron slots are wall-clock times in the schedule's zone: a time that a spring-forward skips
 * fires once at the shifted instant, and a time a fall-back repeats fires once (croner).
 */
export function nextSlotAfter(timing: ScheduleTiming, after: number): number | null {
  if (timing.everyMs !== null) {
    const every = timing.everyMs;
    if (after < timing.anchorAt) return timing.anchorAt;
    return timing.anchorAt + (Math.floor((after - timing.anchorAt) / every) + 1) * every;
  }
  const next = cronOf(timing.cron as string, timing.timezone).nextRun(new Date(after));
  return next ? next.getTime() : null;
}

/** Slots in (`after`, `until`], oldest first, at most `limit` of them (the earliest). */
export function slotsBetween(timing: ScheduleTiming, after: number, until: number, limit: number): number[] {
  const slots: number[] = [];
  let cursor = after;
  while (slots.length < limit) {
    const next = nextSlotAfter(timing, cursor);
    if (next === null || next > until) break;
    slots.push(next);
    cursor = next;
  }
  return slots;
}

/**
 * The slots to fire now, for a schedule whose next slot was `nextRunAt` (≤ now), and its next
 * slot after them. Slots within SLOT_GRACE_MS of now are on time and always fire (a hub that
 * was down for half a minute fires a 2-second schedule's slots of that half minute); older ones
 * are missed and follow the catch-up rule: `none` drops them, `latest` fires the most recent of
 * them when no slot is on time (one run catches up), `all` fires them, the most recent `limit`
 * of all slots due.
 */
export function dueSlots(
  timing: ScheduleTiming,
  nextRunAt: number,
  now: number,
  catchUp: CatchUpRule,
  limit: number = DEFAULT_CATCH_UP_LIMIT,
): { slots: number[]; nextRunAt: number | null } {
  if (nextRunAt > now) return { slots: [], nextRunAt };
  const recent = lastSlots(timing, nextRunAt, now, limit);
  const onTime = recent.filter((slot) => now - slot <= SLOT_GRACE_MS);
  const missed = recent.filter((slot) => now - slot > SLOT_GRACE_MS);
  let slots: number[];
  switch (catchUp) {
    case 'none':
      slots = onTime;
      break;
    case 'latest':
      // The slots on time stand for the missed ones; with none, the most recent missed does.
      slots = onTime.length > 0 ? onTime : missed.slice(-1);
      break;
    case 'all':
      slots = [...missed, ...onTime].slice(-limit);
      break;
  }
  return { slots, nextRunAt: nextSlotAfter(timing, now) };
}

/** The last `limit` slots in [`from`, `until`], oldest first (`from` is a slot). */
function lastSlots(timing: ScheduleTiming, from: number, until: number, limit: number): number[] {
  if (timing.everyMs !== null) {
    // Arithmetic: an every-second schedule after a day's outage has 86,400 slots, none walked.
    const count = Math.floor((until - from) / timing.everyMs) + 1;
    const first = Math.max(0, count - limit);
    return Array.from({ length: count - first }, (_, i) => from + (first + i) * (timing.everyMs as number));
  }
  const recent: number[] = [];
  for (let slot: number | null = from; slot !== null && slot <= until; slot = nextSlotAfter(timing, slot)) {
    recent.push(slot);
    if (recent.length > limit) recent.shift();
  }
  return recent;
}

/** What one slot does, given the schedule's active runs (oldest first) and whether a slot already waits. */
export type OverlapDecision = { kind: 'submit' } | { kind: 'skip'; reason: string } | { kind: 'wait' } | { kind: 'cancel-then-submit'; cancel: number[] };

/** Decides a slot by the overlap rule; `force` (run now, forced) always submits. */
export function decideOverlap(rule: OverlapRule, activeJobIds: number[], force = false): OverlapDecision {
  if (force || activeJobIds.length === 0) return { kind: 'submit' };
  switch (rule) {
    case 'allow':
      return { kind: 'submit' };
    case 'skip':
      return { kind: 'skip', reason: `job ${activeJobIds[activeJobIds.length - 1]} is still active` };
    case 'queue':
      return { kind: 'wait' };
    case 'cancel-previous':
      return { kind: 'cancel-then-submit', cancel: activeJobIds };
  }
}
