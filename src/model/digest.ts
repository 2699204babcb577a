import { Cron } from 'croner';

/** How a subscription's notifications go out: each at once, or gathered into a digest. */
export type DigestCadence = 'immediate' | 'hourly' | 'daily';

/**
 * When a digest collected at `now` goes out: at the top of the next hour, or at the next
 * `DAILY_DIGEST_HOUR`:00, in the subscriber's time zone. Wall-clock times, so a daily
 * digest stays at 08:00 across daylight-saving changes (croner moves a skipped hour to
 * the shifted instant and fires a repeated one once).
 */
export function digestDueAt(cadence: Exclude<DigestCadence, 'immediate'>, timezone: string, now: number): number {
  const pattern = cadence === 'hourly' ? '0 0 * * * *' : `0 0 ${DAILY_DIGEST_HOUR} * * *`;
  const next = new Cron(pattern, { timezone, paused: true }).nextRun(new Date(now));
  // A fixed pattern always has a next run; the fallback only satisfies the type.
  return next ? next.getTime() : now + (cadence === 'hourly' ? 3_600_000 : 86_400_000);
}

/** The local hour a daily digest is sent at: the start of a working day. */
export const DAILY_DIGEST_HOUR = 8;
