import { notifyRowMapper } from '../notify-rows.js';
import type { DeliveryQuery, DeliveryRecord, DeliveryStatus, NewDelivery, NewSubscription, SubscriptionRecord } from '../store.js';
import { firstRow, pgJson, type Queryable, rows } from './postgres-pool.js';

const map = notifyRowMapper(false);

/** Subscriptions and the delivery outbox on PostgreSQL (see NotifyStore). */
export class PostgresNotify {
  constructor(
    private readonly db: Queryable,
    /** Runs `body` in one transaction on one connection. */
    private readonly transaction: <T>(body: (tx: Queryable) => Promise<T>) => Promise<T>,
  ) {}

  async createSubscription(s: NewSubscription): Promise<SubscriptionRecord> {
    const row = await firstRow(
      this.db,
      `INSERT INTO subscriptions (username, job_id, envelope_id, schedule_id, site, all_sites, channel, address, url, secret, on_when, events, delivery, timezone, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15) RETURNING id`,
      [
        s.username,
        s.jobId,
        s.envelopeId,
        s.scheduleId,
        s.site,
        s.allSites,
        s.channel,
        s.address,
        s.url,
        s.secret,
        s.on,
        pgJson(s.events),
        s.delivery,
        s.timezone,
        s.createdAt,
      ],
    );
    return { ...s, id: Number(row?.id) };
  }

  async getSubscription(id: number): Promise<SubscriptionRecord | null> {
    const row = await firstRow(this.db, 'SELECT * FROM subscriptions WHERE id = $1', [id]);
    return row ? map.subscription(row) : null;
  }

  async listSubscriptions(username: string | null): Promise<SubscriptionRecord[]> {
    const found =
      username === null
        ? await rows(this.db, 'SELECT * FROM subscriptions ORDER BY id')
        : await rows(this.db, 'SELECT * FROM subscriptions WHERE username = $1 ORDER BY id', [username]);
    return found.map(map.subscription);
  }

  async subscriptionsFor(jobIds: number[], envelopeIds: number[] = []): Promise<SubscriptionRecord[]> {
    const found = await rows(
      this.db,
      `SELECT * FROM subscriptions
       WHERE job_id = ANY($1::bigint[])
          OR schedule_id IN (SELECT schedule_id FROM jobs WHERE id = ANY($1::bigint[]) AND schedule_id IS NOT NULL)
          OR envelope_id = ANY($2::bigint[])
          OR (job_id IS NULL AND envelope_id IS NULL AND schedule_id IS NULL)
       ORDER BY id`,
      [jobIds, envelopeIds],
    );
    return found.map(map.subscription);
  }

  deleteSubscription(id: number): Promise<boolean> {
    return this.transaction(async (tx) => {
      await tx.query('DELETE FROM deliveries WHERE subscription_id = $1', [id]);
      return ((await tx.query('DELETE FROM subscriptions WHERE id = $1', [id])).rowCount ?? 0) > 0;
    });
  }

  async hasSubscriptions(): Promise<boolean> {
    return (await firstRow(this.db, 'SELECT EXISTS (SELECT 1 FROM subscriptions) AS found'))?.found === true;
  }

  async notifyCursor(): Promise<number> {
    return Number((await firstRow(this.db, "SELECT last_event_id FROM notify_cursor WHERE name = 'notifier'"))?.last_event_id ?? 0);
  }

  enqueueDeliveries(deliveries: NewDelivery[], from: number, to: number, now: number): Promise<boolean> {
    return this.transaction(async (tx) => {
      const moved = await tx.query("UPDATE notify_cursor SET last_event_id = $1 WHERE name = 'notifier' AND last_event_id = $2", [to, from]);
      if ((moved.rowCount ?? 0) === 0) return false;
      if (deliveries.length === 0) return true;
      await tx.query(
        `INSERT INTO deliveries (subscription_id, event_id, job_id, username, channel, status, next_attempt_at, payload, created_at, sent_at)
         SELECT d.subscription_id, d.event_id, d.job_id, d.username, d.channel,
                CASE WHEN d.delivered THEN 'sent' ELSE 'pending' END, coalesce(d.due_at, $2), d.payload, $2,
                CASE WHEN d.delivered THEN $2::bigint END
         FROM jsonb_to_recordset($1::jsonb) AS d(subscription_id bigint, event_id bigint, job_id bigint, username text, channel text, payload jsonb, due_at bigint, delivered boolean)
         ON CONFLICT (subscription_id, event_id) DO NOTHING`,
        [
          pgJson(
            deliveries.map((d) => ({
              subscription_id: d.subscriptionId,
              event_id: d.eventId,
              job_id: d.jobId,
              username: d.username,
              channel: d.channel,
              payload: d.payload,
              due_at: d.dueAt ?? null,
              delivered: d.delivered === true,
            })),
          ),
          now,
        ],
      );
      return true;
    });
  }

  async dueDeliveries(now: number, limit: number): Promise<DeliveryRecord[]> {
    const found = await rows(this.db, "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2", [
      now,
      limit,
    ]);
    return found.map(map.delivery);
  }

  async settleDelivery(
    id: number,
    r: { status: DeliveryStatus; attempts: number; nextAttemptAt: number; lastError: string | null; now: number },
  ): Promise<void> {
    await this.db.query('UPDATE deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, sent_at = $5 WHERE id = $6', [
      r.status,
      r.attempts,
      r.nextAttemptAt,
      r.lastError,
      r.status === 'sent' ? r.now : null,
      id,
    ]);
  }

  async listDeliveries(q: DeliveryQuery): Promise<DeliveryRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, value: unknown) => {
      params.push(value);
      where.push(`${column} = $${params.length}`);
    };
    if (q.username !== undefined) add('username', q.username);
    if (q.subscriptionId !== undefined) add('subscription_id', q.subscriptionId);
    if (q.channel !== undefined) add('channel', q.channel);
    params.push(q.limit);
    const sql = `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`;
    return (await rows(this.db, sql, params)).map(map.delivery);
  }

  async markDeliveriesRead(username: string, ids: number[] | null, now: number): Promise<number> {
    const sql = `UPDATE deliveries SET read_at = $1 WHERE username = $2 AND channel = 'console' AND read_at IS NULL${ids ? ' AND id = ANY($3::bigint[])' : ''}`;
    const result = await this.db.query(sql, ids ? [now, username, ids] : [now, username]);
    return result.rowCount ?? 0;
  }
}
