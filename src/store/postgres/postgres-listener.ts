import pg from 'pg';
import type { WakeSignal } from '../store.js';
import { quoteIdent } from './postgres-pool.js';

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5_000;
// pg_notify refuses payloads of 8000 bytes or more; a longer site list becomes "every site".
const MAX_PAYLOAD = 7_500;

/** What one commit asks to wake, as sent on the channel. `o` names the sending store. */
interface WakePayload {
  o: string;
  s: string[];
  e: boolean;
}

export function wakePayload(origin: string, sites: string[], events: boolean): string {
  const payload = JSON.stringify({ o: origin, s: sites, e: events } satisfies WakePayload);
  return payload.length < MAX_PAYLOAD ? payload : JSON.stringify({ o: origin, s: ['*'], e: events } satisfies WakePayload);
}

/**
 * The store's one listening connection, outside the pool: it LISTENs on the schema's channel
 * and delivers the wake-ups other stores (other hub processes) committed. A store's own
 * commits are delivered locally right after COMMIT and skipped here by their origin.
 *
 * The connection is opened on first use and reopened, with a growing delay, whenever it
 * drops. Notifications sent while it was down are lost, so after a reconnect it wakes
 * everyone once (`tasks` at `*` and `events`) and listeners look for work themselves.
 * Failures are silent: wake-ups are hints, and the store's verbs report real outages.
 */
export class WakeListener {
  private current: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retryMs = FIRST_RETRY_MS;
  private listened = false;
  private closed = false;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly origin: string,
    private readonly deliver: (signal: WakeSignal) => void,
  ) {}

  /** Starts listening if not already. */
  start(): void {
    if (!this.closed && this.current === null && this.timer === null) this.open();
  }

  /** Resolves once LISTEN is in effect (at once if it already is). */
  listening(): Promise<void> {
    if (this.listened && this.current !== null) return Promise.resolve();
    this.start();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const resolve of this.waiting.splice(0)) resolve();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.current;
    this.current = null;
    if (client) await client.end().catch(() => {});
  }

  private open(): void {
    const client = new pg.Client({ ...this.config, keepAlive: true, keepAliveInitialDelayMillis: 30_000 });
    this.current = client;
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => this.receive(message.payload));
    client
      .connect()
      .then(() => client.query(`LISTEN ${quoteIdent(this.channel)}`))
      .then(
        () => {
          if (this.current !== client) return;
          this.retryMs = FIRST_RETRY_MS;
          if (this.listened) {
            this.deliver({ kind: 'tasks', site: '*' });
            this.deliver({ kind: 'events' });
          }
          this.listened = true;
          for (const resolve of this.waiting.splice(0)) resolve();
        },
        () => this.lost(client),
      );
  }

  private lost(client: pg.Client): void {
    if (this.current !== client) return;
    this.current = null;
    client.end().catch(() => {});
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed) this.open();
    }, this.retryMs);
    // A hub that is otherwise done should not be kept alive by a reconnect attempt.
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
  }

  private receive(payload: string | undefined): void {
    let message: WakePayload;
    try {
      message = JSON.parse(payload ?? '') as WakePayload;
    } catch {
      return;
    }
    if (message.o === this.origin) return;
    for (const site of Array.isArray(message.s) ? message.s : []) this.deliver({ kind: 'tasks', site: String(site) });
    if (message.e) this.deliver({ kind: 'events' });
  }
}
