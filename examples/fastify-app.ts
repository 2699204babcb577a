/**
 * A Fastify service that embeds Switchyard: its own routes, the hub's API and console under
 * /ops, and a worker in the same process.
 *
 *   npx tsx examples/fastify-app.ts        → http://127.0.0.1:3000/reports, console at /ops/
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { createHub, defineWorkflow, type Hub, z } from 'switchyard';

/** The service's own workflow: builds a report in one task per section. */
export const buildReport = defineWorkflow({
  name: 'build-report',
  label: 'Build a report',
  fields: z.object({ title: z.string().min(1), sections: z.number().int().min(1).max(20).default(3) }),
  plan: (fields) => Array.from({ length: fields.sections }, (_, i) => ({ type: 'section', input: { section: i + 1 } })),
  tasks: {
    section: async (ctx) => {
      const { section } = ctx.task.input as { section: number };
      ctx.log(`writing section ${section} of "${ctx.job.fields.title}"`);
      ctx.item(`${ctx.job.fields.title}/section-${section}.md`, { operation: 'write', outcome: 'completed', bytes: 100 });
      return { changed: true, result: { section } };
    },
  },
});

export interface ExampleApp {
  app: FastifyInstance;
  hub: Hub;
}

/** Builds the service; `db` defaults to an SQLite file in .switchyard. */
export async function buildApp(options: { db?: string } = {}): Promise<ExampleApp> {
  const hub = await createHub({ db: options.db, workflows: [buildReport] });
  const app = Fastify();

  // The service's own routes, next to the hub.
  app.post<{ Body: { title: string } }>('/reports', async (request, reply) => {
    const job = await hub.submit({ workflow: 'build-report', fields: { title: request.body.title } });
    return reply.code(202).send({ jobId: job.id });
  });
  app.get<{ Params: { id: string } }>('/reports/:id', async (request) => {
    const job = await hub.job(Number(request.params.id));
    return { state: job.state, percent: Math.round((100 * job.progress.done) / Math.max(job.progress.total, 1)) };
  });

  // The hub's API, console and metrics under /ops; a worker in this process.
  await app.register(hub.plugin, { prefix: '/ops' });
  await hub.startWorker({ concurrency: 4 });
  hub.on('job:finished', (event) => app.log.info({ jobId: event.jobId, state: event.state }, 'report finished'));
  app.addHook('onClose', () => hub.close());
  return { app, hub };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await buildApp();
  await app.listen({ port: 3000 });
  console.log('reports at http://127.0.0.1:3000/reports, console at http://127.0.0.1:3000/ops/');
}
