import { z } from 'zod';
import { iso } from '../../engine/engine-core.js';
import type { ApiContext, App } from '../api-context.js';
import { listedNameParam, nameParam } from '../schemas.js';

const TAG = { tags: ['queues'] };

/**
 * Queues: list, settings, pause and resume processing, clear queued jobs. Counts cover the
 * caller's sites; settings, pause and resume need a caller who sees every site (see QueueVerbs).
 */
export function queueRoutes(app: App, { engine }: ApiContext): void {
  type Queue = Awaited<ReturnType<typeof engine.queues.get>>;
  const queueDto = (q: Queue) => ({ ...q, createdAt: iso(q.createdAt), oldestQueuedAt: iso(q.oldestQueuedAt) });

  app.get('/queues', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'Queues with their settings and the active and queued jobs at your sites' },
    handler: async (request) => ({ items: (await engine.queues.list(request.actor)).map(queueDto), nextCursor: null }),
  });

  app.patch('/queues/:name', {
    config: { access: 'admin' },
    schema: {
      ...TAG,
      summary: "Change a queue's settings",
      params: listedNameParam,
      body: z
        .object({
          concurrency: z.number().int().min(1).max(100_000).nullable().optional(),
          pauseOnFailure: z.boolean().optional(),
          paused: z.boolean().optional(),
          /** Days finished jobs of this queue are kept (null: the workflow's, else the hub's default). */
          retainDays: z.number().int().min(1).max(36_500).nullable().optional(),
        })
        .strict(),
    },
    handler: async (request) => queueDto(await engine.queues.update(request.params.name, request.body, request.actor)),
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post(`/queues/:name/${action}`, {
      config: { access: 'operator' },
      schema: {
        ...TAG,
        summary: `${action === 'pause' ? 'Pause' : 'Resume'} processing: ${action === 'pause' ? 'running jobs go on, no new job starts' : 'queued jobs start again'}`,
        params: nameParam,
      },
      handler: async (request) => queueDto(await engine.queues.setPaused(request.params.name, action === 'pause', request.actor)),
    });
  }

  app.post('/queues/:name/clear', {
    config: { access: 'operator' },
    schema: { ...TAG, summary: 'Cancel every job of the queue at your sites that has not started; running jobs go on', params: nameParam },
    handler: async (request) => ({ queue: request.params.name, cancelled: await engine.queues.clear(request.params.name, request.actor) }),
  });
}
