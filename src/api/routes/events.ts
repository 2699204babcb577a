import { z } from 'zod';
import type { EventRecord } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';

const PAGE = 500;
const KEEP_ALIVE_MS = 15_000;
/** Wake-ups from the store are the fast path; this poll is the safety net. */
const POLL_MS = 2_000;

export function eventDto(event: EventRecord) {
  return { ...event, at: new Date(event.at).toISOString() };
}

/**
 * The live feed: Server-Sent Events of every state change at the caller's sites, in order,
 * each with its event id so a reconnecting client (Last-Event-ID) misses nothing. Without
 * `after` the feed starts from now.
 */
export function eventRoutes(app: App, { engine }: ApiContext): void {
  app.get('/events', {
    config: { access: 'viewer' },
    schema: {
      tags: ['events'],
      summary: 'Server-Sent Events: every state change, live',
      querystring: z.object({ after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }),
    },
    handler: async (request, reply) => {
      const actor = request.actor;
      const lastEventId = Number(request.headers['last-event-id']);
      // A header no schema checks: only an id a store can hold (PostgreSQL bigint) is taken.
      let after =
        Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : (request.query.after ?? (await engine.reads.lastEventId(request.actor)));
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
            for (const event of events) {
              if (closed) return;
              raw.write(`id: ${event.id}\ndata: ${JSON.stringify(eventDto(event))}\n\n`);
              after = event.id;
            }
            if (events.length === PAGE) again = true;
          } while (again && !closed);
          if (!live && !closed) {
            live = true;
            raw.write(': live\n\n');
          }
        } catch (error) {
          request.log.warn({ err: error }, 'event feed could not read events; will retry');
        } finally {
          sending = false;
        }
      };
      const off = engine.onWake((signal) => {
        if (signal.kind === 'events') void pump();
      });
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
      const poll = setInterval(() => void pump(), POLL_MS);
      request.raw.once('close', () => {
        closed = true;
        off();
        clearInterval(keepAlive);
        clearInterval(poll);
      });
      await pump();
    },
  });
}
