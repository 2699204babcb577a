import type { Json } from '../model/index.js';
import type { DbRow } from './rows.js';
import type { DeliveryRecord, NotifyChannel, SubscriptionRecord } from './store.js';

const num = (v: unknown) => Number(v);
const optNum = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const parse = (v: unknown, jsonAsText: boolean): unknown => (jsonAsText && typeof v === 'string' ? JSON.parse(v) : v);

/** Subscription and delivery rows as records, for both stores (SQLite keeps JSON as text). */
export function notifyRowMapper(jsonAsText: boolean) {
  return {
    subscription: (r: DbRow): SubscriptionRecord => ({
      id: num(r.id),
      username: r.username as string,
      jobId: optNum(r.job_id),
      envelopeId: optNum(r.envelope_id),
      scheduleId: optNum(r.schedule_id),
      site: (r.site as string | null) ?? null,
      allSites: r.all_sites === true || r.all_sites === 1,
      channel: r.channel as NotifyChannel,
      address: (r.address as string | null) ?? null,
      url: (r.url as string | null) ?? null,
      secret: (r.secret as string | null) ?? null,
      on: r.on_when as SubscriptionRecord['on'],
      events: parse(r.events, jsonAsText) as string[],
      delivery: r.delivery as SubscriptionRecord['delivery'],
      timezone: r.timezone as string,
      createdAt: num(r.created_at),
    }),
    delivery: (r: DbRow): DeliveryRecord => ({
      id: num(r.id),
      subscriptionId: num(r.subscription_id),
      eventId: num(r.event_id),
      jobId: optNum(r.job_id),
      username: r.username as string,
      channel: r.channel as NotifyChannel,
      status: r.status as DeliveryRecord['status'],
      attempts: num(r.attempts),
      nextAttemptAt: num(r.next_attempt_at),
      lastError: (r.last_error as string | null) ?? null,
      payload: parse(r.payload, jsonAsText) as Record<string, Json>,
      createdAt: num(r.created_at),
      sentAt: optNum(r.sent_at),
      readAt: optNum(r.read_at),
    }),
  };
}
