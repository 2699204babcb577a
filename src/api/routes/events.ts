import { once } from 'node:events';
import { z } from 'zod';
import type { EventRecord } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { recheckCaller } from '../auth/authenticate.js';
import { CallerLimit } from '../caller-limit.js';

const PAGE = 500;
const KEEP_ALIVE_MS = 15_000;
/** Wake-ups from the store are the fast path; this poll is the safety net. */
const POLL_MS = 2_000;
/** How often an open stream asks again who its caller is: a revoked token or a disabled user's stream ends within this. */
const RECHECK_MS = 5_000;
/** How long a client may leave what it was sent unread before its stream is closed. */
const STALLED_MS = 30_000;

export function eventDto(event: EventRecord) {
  return { ...event, at: new Date(event.at).toISOString() };
}

/**
 * The live feed: Server-Sent Events of every state change at the caller's sites, in order,
 * each with its event id so a reconnecting client (Last-Event-ID) misses nothing. Without
 * `after` the feed starts from now.
 */
export function eventRoutes(app: App, { engine }: ApiContext): void {
  // Streams one caller (token, user) may hold open at once, and all callers together.
  const streams = new CallerLimit('event streams', 16, 2_000);
  app.get('/events', {
    config: { access: 'viewer' },
    schema: {
      tags: ['events'],
      summary: 'Server-Sent Events: every state change, live',
      querystring: z.object({ after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }),
    },
    handler: async (request, reply) => {
      let actor = request.actor;
      const lastEventId = Number(request.headers['last-event-id']);
      // A header no schema checks: only an id a store can hold (PostgreSQL bigint) is taken.
      let after =
        Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : (request.query.after ?? (await engine.reads.lastEventId(request.actor)));
      const release = streams.take(actor.ref);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 2000\n: connected\n\n');

      let closed = false;
      let sending = false;
      let again = false;
      // The comment `: live` follows the replay of events after `after`, once: what comes next is new.
      let live = false;
      /** Writes, then waits while the socket holds more than it should: a reader that stops reading holds one page here, not the feed. */
      const send = async (text: string): Promise<void> => {
        if (raw.write(text) || closed) return;
        const settled = new AbortController();
        const signal = AbortSignal.any([settled.signal, AbortSignal.timeout(STALLED_MS)]);
        try {
          await Promise.race([once(raw, 'drain', { signal }), once(raw, 'close', { signal })]);
        } catch {
          if (!settled.signal.aborted) raw.destroy();
        } finally {
          settled.abort();
        }
      };
      const pump = async (): Promise<void> => {
        if (sending) {
          again = true;
          return;
        }
        sending = true;
        try {
          do {
            again = false;
            const events = await engine.reads.events(after, PAGE, actor);
            let page = '';
            for (const event of events) page += `id: ${event.id}\ndata: ${JSON.stringify(eventDto(event))}\n\n`;
            if (closed) return;
            if (page !== '') await send(page);
            if (events.length > 0) after = events[events.length - 1].id;
            if (events.length === PAGE) again = true;
          } while (again && !closed);
          if (!live && !closed) {
            live = true;
            await send(': live\n\n');
          }
        } catch (error) {
          request.log.warn({ err: error }, 'event feed could not read events; will retry');
        } finally {
          sending = false;
        }
      };
      const recheck = async (): Promise<void> => {
        try {
          const now = await recheckCaller(engine, request);
          if (now === null) raw.end();
          else actor = now;
        } catch (error) {
          request.log.warn({ err: error }, 'event feed could not check its caller; will retry');
        }
      };
      const off = engine.onWake((signal) => {
        if (signal.kind === 'events') void pump();
      });
      const keepAlive = setInterval(() => void send(': keep-alive\n\n'), KEEP_ALIVE_MS);
      const poll = setInterval(() => void pump(), POLL_MS);
      const rechecks = setInterval(() => void recheck(), RECHECK_MS);
      const finish = (): void => {
        if (closed) return;
        closed = true;
        off();
        clearInterval(keepAlive);
        clearInterval(poll);
        clearInterval(rechecks);
        release();
      };
      // The response closes when the client goes away or the stream ends here. (Not the
      // request's 'close': that one may come as soon as its body has been read.)
      raw.once('close', finish);
      await pump();
    },
  });
}
