import type { Database } from 'better-sqlite3';
import { notifyRowMapper } from '../notify-rows.js';
import type { DbRow } from '../rows.js';
import type { DeliveryQuery, DeliveryRecord, DeliveryStatus, NewDelivery, NewSubscription, SubscriptionRecord } from '../store.js';

const map = notifyRowMapper(true);

/** Subscriptions and the delivery outbox on SQLite (see NotifyStore). */
export class SqliteNotify {
  constructor(private readonly db: Database) {}

  createSubscription(s: NewSubscription): SubscriptionRecord {
    const info = this.db
      .prepare(
        `INSERT INTO subscriptions (username, job_id, envelope_id, schedule_id, site, all_sites, channel, address, url, secret, on_when, events, delivery, timezone, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.username,
        s.jobId,
        s.envelopeId,
        s.scheduleId,
        s.site,
        s.allSites ? 1 : 0,
        s.channel,
        s.address,
        s.url,
        s.secret,
        s.on,
        JSON.stringify(s.events),
        s.delivery,
        s.timezone,
        s.createdAt,
      );
    return { ...s, id: Number(info.lastInsertRowid) };
  }

  getSubscription(id: number): SubscriptionRecord | null {
    const row = this.db.prepare('SELECT * FROM subscriptions WHERE id = ?').get(id) as DbRow | undefined;
    return row ? map.subscription(row) : null;
  }

  listSubscriptions(username: string | null): SubscriptionRecord[] {
    const rows =
      username === null
        ? this.db.prepare('SELECT * FROM subscriptions ORDER BY id').all()
        : this.db.prepare('SELECT * FROM subscriptions WHERE username = ? ORDER BY id').all(username);
    return (rows as DbRow[]).map(map.subscription);
  }

  subscriptionsFor(jobIds: number[], envelopeIds: number[] = []): SubscriptionRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM subscriptions
         WHERE job_id IN (SELECT value FROM json_each(?))
            OR schedule_id IN (SELECT schedule_id FROM jobs WHERE id IN (SELECT value FROM json_each(?)) AND schedule_id IS NOT NULL)
            OR envelope_id IN (SELECT value FROM json_each(?))
            OR (job_id IS NULL AND envelope_id IS NULL AND schedule_id IS NULL)
         ORDER BY id`,
      )
      .all(JSON.stringify(jobIds), JSON.stringify(jobIds), JSON.stringify(envelopeIds)) as DbRow[];
    return rows.map(map.subscription);
  }

  deleteSubscription(id: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM deliveries WHERE subscription_id = ?').run(id);
      return this.db.prepare('DELETE FROM subscriptions WHERE id = ?').run(id).changes > 0;
    })();
  }

  hasSubscriptions(): boolean {
    return (this.db.prepare('SELECT EXISTS (SELECT 1 FROM subscriptions) AS found').get() as DbRow).found === 1;
  }

  notifyCursor(): number {
    return Number((this.db.prepare("SELECT last_event_id FROM notify_cursor WHERE name = 'notifier'").get() as DbRow).last_event_id);
  }

  enqueueDeliveries(deliveries: NewDelivery[], from: number, to: number, now: number): boolean {
    return this.db.transaction(() => {
      const moved = this.db.prepare("UPDATE notify_cursor SET last_event_id = ? WHERE name = 'notifier' AND last_event_id = ?").run(to, from);
      if (moved.changes === 0) return false;
      const insert = this.db.prepare(
        `INSERT INTO deliveries (subscription_id, event_id, job_id, username, channel, status, next_attempt_at, payload, created_at, sent_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subscription_id, event_id) DO NOTHING`,
      );
      for (const d of deliveries) {
        const status = d.delivered ? 'sent' : 'pending';
        insert.run(
          d.subscriptionId,
          d.eventId,
          d.jobId,
          d.username,
          d.channel,
          status,
          d.dueAt ?? now,
          JSON.stringify(d.payload),
          now,
          d.delivered ? now : null,
        );
      }
      return true;
    })();
  }

  dueDeliveries(now: number, limit: number): DeliveryRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?")
      .all(now, limit) as DbRow[];
    return rows.map(map.delivery);
  }

  settleDelivery(id: number, r: { status: DeliveryStatus; attempts: number; nextAttemptAt: number; lastError: string | null; now: number }): void {
    this.db
      .prepare('UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = ? WHERE id = ?')
      .run(r.status, r.attempts, r.nextAttemptAt, r.lastError, r.status === 'sent' ? r.now : null, id);
  }

  listDeliveries(q: DeliveryQuery): DeliveryRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, value: unknown) => {
      where.push(`${column} = ?`);
      params.push(value);
    };
    if (q.username !== undefined) add('username', q.username);
    if (q.subscriptionId !== undefined) add('subscription_id', q.subscriptionId);
    if (q.channel !== undefined) add('channel', q.channel);
    const sql = `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, q.limit) as DbRow[]).map(map.delivery);
  }

  markDeliveriesRead(username: string, ids: number[] | null, now: number): number {
    const sql = `UPDATE deliveries SET read_at = ? WHERE username = ? AND channel = 'console' AND read_at IS NULL${ids ? ' AND id IN (SELECT value FROM json_each(?))' : ''}`;
    const params: unknown[] = [now, username];
    if (ids) params.push(JSON.stringify(ids));
    return this.db.prepare(sql).run(...params).changes;
  }
}
