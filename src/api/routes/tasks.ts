import { Readable } from 'node:stream';
import { z } from 'zod';
import { SwitchyardError, siteAllowed, type TaskState } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { itemDto, taskDto } from '../dto.js';
import { idParam, itemQuery, taskQuery } from '../schemas.js';

const TAG = { tags: ['tasks'] };

/** A job's tasks, one task and its output, and the items a job touched. */
export function taskRoutes(app: App, { engine }: ApiContext): void {
  const { store } = engine;

  async function visibleTask(id: number, actor: Parameters<typeof engine.visibleJob>[1]) {
    const task = await store.getTask(id);
    if (!task || !siteAllowed(actor.sites, task.site)) throw new SwitchyardError('SWY_ERR_TASK_NOT_FOUND', `No task with id ${id}`);
    return task;
  }

  app.get('/jobs/:id/tasks', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: "A job's tasks, with the task types present for filtering", params: idParam, querystring: taskQuery },
    handler: async (request) => {
      const job = await engine.visibleJob(request.params.id, request.actor);
      const { state, type, cursor, limit } = request.query;
      const page = await store.listTasks(job.id, { states: state as TaskState[] | undefined, types: type, cursor: cursor ?? null, limit });
      return { items: page.items.map(taskDto), nextCursor: page.nextCursor, types: await store.taskTypes(job.id) };
    },
  });

  app.get('/tasks/:id', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'One task', params: idParam },
    handler: async (request) => taskDto(await visibleTask(request.params.id, request.actor)),
  });

  app.get('/tasks/:id/output', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary: "A task's output lines after `after`; `format=text` downloads all of it",
      params: idParam,
      querystring: z.object({
        after: z.coerce.number().int().min(0).default(0),
        limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        format: z.enum(['json', 'text']).default('json'),
      }),
    },
    handler: async (request, reply) => {
      const task = await visibleTask(request.params.id, request.actor);
      const { after, limit, format } = request.query;
      if (format === 'text') {
        reply.header('content-disposition', `attachment; filename="task-${task.id}-output.txt"`).type('text/plain; charset=utf-8');
        async function* all(): AsyncGenerator<string> {
          let seq = after;
          for (;;) {
            const lines = await store.taskOutput(task.id, seq, 5000);
            if (lines.length === 0) return;
            yield `${lines.map((l) => l.line).join('\n')}\n`;
            seq = lines[lines.length - 1].seq;
          }
        }
        return reply.send(Readable.from(all()));
      }
      const lines = await store.taskOutput(task.id, after, limit);
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
      const job = await engine.visibleJob(request.params.id, request.actor);
      const { status, path, cursor, limit } = request.query;
      const page = await store.listItems(job.id, { outcome: status as never, path, cursor: cursor ?? null, limit });
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
      const job = await engine.visibleJob(request.params.id, request.actor);
      return { path: request.query.path, items: (await store.itemHistory(job.id, request.query.path)).map(itemDto) };
    },
  });
}
