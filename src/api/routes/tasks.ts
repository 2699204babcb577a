import { Readable } from 'node:stream';
import { z } from 'zod';
import type { ApiContext, App } from '../api-context.js';
import { itemDto, taskDto } from '../dto.js';
import { idParam, itemQuery, taskQuery } from '../schemas.js';

const TAG = { tags: ['tasks'] };
/** How many lines one search request reads at most: bounds its time on any output's length. */
const SEARCH_SCAN_LINES = 200_000;

/** A job's tasks, one task and its output, and the items a job touched. */
export function taskRoutes(app: App, { engine }: ApiContext): void {
  app.get('/jobs/:id/tasks', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: "A job's tasks, with the task types present for filtering", params: idParam, querystring: taskQuery },
    handler: async (request) => {
      const { state, type, cursor, limit } = request.query;
      const page = await engine.reads.tasks(request.params.id, { states: state, types: type, cursor: cursor ?? null, limit }, request.actor);
      const job = await engine.reads.job(request.params.id, request.actor);
      const reasons = await engine.reads.explainTasks(job, page.items);
      return { items: page.items.map((task) => taskDto(task, reasons.get(task.id) ?? null)), nextCursor: page.nextCursor, types: page.types };
    },
  });

  app.get('/jobs/:id/sites', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary: "Where a job's tasks ran: task counts by state per site and worker (workerId null: not leased yet)",
      params: idParam,
    },
    handler: async (request) => {
      const job = await engine.reads.job(request.params.id, request.actor);
      return { sites: job.sites, items: await engine.reads.placement(job.id, request.actor), nextCursor: null };
    },
  });

  app.get('/tasks/:id', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'One task', params: idParam },
    handler: async (request) => taskDto(await engine.reads.task(request.params.id, request.actor)),
  });

  app.get('/tasks/:id/output', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary:
        "A task's output lines after `after`; `format=text` downloads all of it; `search` answers the numbers (seq) of the lines after `after` that contain it",
      description:
        'With `search`: `{ matches, next, finished }` — up to `limit` line numbers in order, reading at most 200,000 lines per request; ' +
        'ask again with `after=next` while `next` is not null. ASCII letters match either case; the visible text is searched (ANSI colour and other escape codes left out).',
      params: idParam,
      querystring: z.object({
        // Line numbers are 32-bit in the stores (PostgreSQL integer): a larger one is refused here, not by the driver.
        after: z.coerce
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .default(0),
        limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        format: z.enum(['json', 'text']).default('json'),
        search: z.string().min(1).max(200).optional(),
      }),
    },
    handler: async (request, reply) => {
      const task = await engine.reads.task(request.params.id, request.actor);
      const { after, limit, format, search } = request.query;
      if (search !== undefined) {
        const found = await engine.reads.searchTaskOutput(task, search, after, limit, SEARCH_SCAN_LINES);
        return { ...found, finished: task.endedAt !== null };
      }
      if (format === 'text') {
        reply.header('content-disposition', `attachment; filename="task-${task.id}-output.txt"`).type('text/plain; charset=utf-8');
        async function* all(): AsyncGenerator<string> {
          let seq = after;
          for (;;) {
            const lines = await engine.reads.taskOutput(task, seq, 5000);
            if (lines.length === 0) return;
            yield `${lines.map((l) => l.line).join('\n')}\n`;
            seq = lines[lines.length - 1].seq;
          }
        }
        return reply.send(Readable.from(all()));
      }
      const lines = await engine.reads.taskOutput(task, after, limit);
      return {
        lines: lines.map((l) => ({ seq: l.seq, at: new Date(l.at).toISOString(), line: l.line })),
        next: lines.length === limit ? lines[lines.length - 1].seq : null,
        finished: task.endedAt !== null,
      };
    },
  });

  app.get('/jobs/:id/items', {
    config: { access: 'viewer' },
    schema: { tags: ['items'], summary: 'Item records of a job by status, optionally by path', params: idParam, querystring: itemQuery },
    handler: async (request) => {
      const { status, path, cursor, limit } = request.query;
      const page = await engine.reads.items(request.params.id, { outcome: status, path, cursor: cursor ?? null, limit }, request.actor);
      return { items: page.items.map(itemDto), nextCursor: page.nextCursor };
    },
  });

  app.get('/jobs/:id/items/history', {
    config: { access: 'viewer' },
    schema: {
      tags: ['items'],
      summary: "One item's records across the job's tasks",
      params: idParam,
      querystring: z.object({ path: z.string().min(1).max(4000) }),
    },
    handler: async (request) => {
      const items = await engine.reads.itemHistory(request.params.id, request.query.path, request.actor);
      return { path: request.query.path, items: items.map(itemDto), nextCursor: null };
    },
  });
}
