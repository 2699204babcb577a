import { z } from 'zod';
import type { JobListQuery, JobSortKey } from '../../engine/read-verbs.js';
import type { ApiContext, App } from '../api-context.js';
import { jobDto } from '../dto.js';
import { idParam, jobFilters, pageQuery, submitBody } from '../schemas.js';

const TAG = { tags: ['jobs'] };

/** Jobs: submit, list with filters, read one, and the operator controls. */
/** Up to this many matching jobs are counted exactly; above, the total is an estimate. */
const TOTAL_CAP = 10_000;

export function jobRoutes(app: App, { engine }: ApiContext): void {
  const dto = (job: Parameters<typeof jobDto>[0]) => jobDto(job, engine.workflows);
  /** Jobs with why each waits, as lists and job pages show them. */
  const explained = async (jobs: Parameters<typeof jobDto>[0][]) => {
    const reasons = await engine.reads.explain(jobs);
    return jobs.map((job) => jobDto(job, engine.workflows, reasons.get(job.id) ?? null));
  };

  app.post('/jobs', {
    // 201 with the job made; 200 with the earlier one for a repeated idempotency key.
    config: { access: 'operator', status: 201 },
    schema: { ...TAG, summary: 'Submit a job', body: submitBody },
    handler: async (request, reply) => {
      const { job, created } = await engine.submit(request.body, request.actor);
      return reply.code(created ? 201 : 200).send(dto(job));
    },
  });

  app.post('/jobs/bulk', {
    config: { access: 'operator', status: 201 },
    schema: { ...TAG, summary: 'Submit many jobs in one transaction', body: z.object({ jobs: z.array(submitBody).min(1).max(10_000) }) },
    handler: async (request, reply) => {
      const outcomes = await engine.submitMany(request.body.jobs, request.actor);
      return reply.code(201).send({ items: outcomes.map((o) => ({ ...dto(o.job), created: o.created })) });
    },
  });

  app.get('/jobs', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'List jobs, newest first, with filters', querystring: jobFilters.extend(pageQuery.shape) },
    handler: async (request) => {
      const page = await engine.reads.listJobs(jobListQuery(request.query), request.actor);
      return { items: await explained(page.items), nextCursor: page.nextCursor };
    },
  });

  app.get('/jobs/total', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary: 'How many jobs match the filters: exact below 10,000, estimated above (exact: false)',
      querystring: jobFilters,
    },
    handler: async (request) => engine.reads.jobTotal(jobListQuery({ ...request.query, limit: 1 }), request.actor, TOTAL_CAP),
  });

  app.get('/jobs/:id', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'One job', params: idParam },
    handler: async (request) => (await explained([await engine.reads.job(request.params.id, request.actor)]))[0],
  });

  app.post('/jobs/:id/pause', {
    config: { access: 'operator' },
    schema: {
      ...TAG,
      summary: 'Pause a job; with { now: true }, running tasks are told to stop at once and go back to paused',
      params: idParam,
      body: z.object({ now: z.boolean().optional() }).strict().nullish(),
    },
    handler: async (request) => dto(await engine.control(request.params.id, 'pause', request.actor, { immediate: request.body?.now === true })),
  });

  for (const action of ['resume', 'cancel'] as const) {
    app.post(`/jobs/:id/${action}`, {
      config: { access: 'operator' },
      schema: { ...TAG, summary: `${action[0].toUpperCase()}${action.slice(1)} a job`, params: idParam },
      handler: async (request) => dto(await engine.control(request.params.id, action, request.actor)),
    });
  }

  app.post('/jobs/:id/retry', {
    config: { access: 'operator' },
    schema: {
      ...TAG,
      summary:
        "Re-run the tasks of a finished job that did not succeed (409 SWY_ERR_RETRY_SUPERSEDED once a later job acted on its resources; admins may force); with { items: 'failed' }, only the tasks that recorded failed items, each told those paths",
      params: idParam,
      body: z
        .object({ force: z.boolean().optional(), items: z.enum(['failed']).optional() })
        .strict()
        .nullish(),
    },
    handler: async (request) =>
      dto(
        await engine.retry(request.params.id, request.actor, {
          force: request.body?.force === true,
          ...(request.body?.items ? { items: request.body.items } : {}),
        }),
      ),
  });

  app.post('/jobs/:id/resubmit', {
    config: { access: 'operator', status: 201 },
    schema: { ...TAG, summary: 'Launch an identical job', params: idParam },
    handler: async (request, reply) => reply.code(201).send(dto((await engine.resubmit(request.params.id, request.actor)).job)),
  });

  app.delete('/jobs/:id', {
    config: { access: 'admin', status: 204 },
    schema: { ...TAG, summary: 'Delete a finished job and its records', params: idParam },
    handler: async (request, reply) => {
      await engine.delete(request.params.id, request.actor);
      return reply.code(204).send();
    },
  });
}

/** Turns API filters into an engine job-list query (the engine narrows it to the actor's sites). */
export function jobListQuery(query: z.infer<typeof jobFilters> & { cursor?: string; limit: number }): JobListQuery {
  const sort = query.sort ? { key: query.sort.replace(/^-/, '') as JobSortKey, desc: query.sort.startsWith('-') } : undefined;
  return {
    sites: query.site ?? null,
    ids: query.id,
    states: query.state,
    queues: query.queue,
    workflows: query.workflow,
    creators: query.creator,
    schedules: query.schedule,
    createdFrom: query.createdFrom,
    createdTo: query.createdTo,
    hideNoop: query.hideNoop,
    q: query.q,
    sort,
    cursor: query.cursor ?? null,
    limit: query.limit,
  };
}
