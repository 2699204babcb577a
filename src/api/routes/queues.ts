import { z } from 'zod';
import { SwitchyardError } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { nameParam } from '../schemas.js';

const TAG = { tags: ['queues'] };

/** Queues: list, settings, pause and resume processing, clear queued jobs. */
export function queueRoutes(app: App, { engine }: ApiContext): void {
  const { store } = engine;
  const iso = (ms: number) => new Date(ms).toISOString();
  const queueDto = (q: NonNullable<Awaited<ReturnType<typeof store.getQueue>>>) => ({ ...q, createdAt: iso(q.createdAt) });

  async function requireQueue(name: string) {
    const queue = await store.getQueue(name, null);
    if (!queue) throw new SwitchyardError('SWY_ERR_QUEUE_NOT_FOUND', `No queue named "${name}"`);
    return queue;
  }

  app.get('/queues', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'Queues with their settings and active job counts' },
    handler: async (request) => ({ items: (await store.listQueues(request.actor.sites)).map(queueDto) }),
  });

  app.patch('/queues/:name', {
    config: { access: 'admin' },
    schema: {
      ...TAG,
      summary: "Change a queue's settings",
      params: nameParam,
      body: z
        .object({
          concurrency: z.number().int().min(1).max(100_000).nullable().optional(),
          pauseOnFailure: z.boolean().optional(),
          paused: z.boolean().optional(),
        })
        .strict(),
    },
    handler: async (request) => {
      await requireQueue(request.params.name);
      const queue = await store.updateQueue(request.params.name, request.body, engine.clock());
      await engine.audit(request.actor, 'queue.update', `queue:${queue.name}`, null, request.body as Record<string, never>);
      return queueDto(queue);
    },
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post(`/queues/:name/${action}`, {
      config: { access: 'operator' },
      schema: {
        ...TAG,
        summary: `${action === 'pause' ? 'Pause' : 'Resume'} processing: ${action === 'pause' ? 'running jobs go on, no new job starts' : 'queued jobs start again'}`,
        params: nameParam,
      },
      handler: async (request) => {
        await requireQueue(request.params.name);
        const queue = await store.updateQueue(request.params.name, { paused: action === 'pause' }, engine.clock());
        await engine.audit(request.actor, `queue.${action}`, `queue:${queue.name}`, null);
        return queueDto(queue);
      },
    });
  }

  app.post('/queues/:name/clear', {
    config: { access: 'operator' },
    schema: { ...TAG, summary: 'Cancel every job of the queue that has not started; running jobs go on', params: nameParam },
    handler: async (request) => {
      await requireQueue(request.params.name);
      const cancelled = await engine.clearQueue(request.params.name, request.actor);
      return { queue: request.params.name, cancelled };
    },
  });
}
