import { z } from 'zod';
import { CatchUpRules, type Json, OverlapRules } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { jobDto, REDACTED, scheduleDto } from '../dto.js';
import { idParam, list, listedName, name } from '../schemas.js';

const TAG = { tags: ['schedules'] };

const scheduleFields = {
  name,
  workflow: name,
  fields: z.record(z.string(), z.unknown()).optional(),
  site: name.optional(),
  queue: listedName.optional(),
  cron: z.string().min(1).max(200).nullable().optional(),
  everyMs: z
    .number()
    .int()
    .min(1000)
    .max(366 * 86_400_000)
    .nullable()
    .optional(),
  timezone: z.string().min(1).max(100).optional(),
  overlap: z.enum(OverlapRules).optional(),
  catchUp: z.enum(CatchUpRules).optional(),
  catchUpLimit: z.number().int().min(1).max(10_000).optional(),
  enabled: z.boolean().optional(),
};

/**
 * Schedules: recurring jobs of a workflow at a site (see ScheduleVerbs for who may do what).
 * Enable and disable are PATCH `{ enabled }`; run now is POST /schedules/:id/run, which
 * honours the overlap rule unless `{ force: true }`.
 */
export function scheduleRoutes(app: App, { engine }: ApiContext): void {
  type ScheduleRecord = Awaited<ReturnType<typeof engine.schedules.get>>;
  type Actor = Parameters<typeof engine.schedules.get>[1];
  const dtos = async (schedules: ScheduleRecord[], actor: Actor) => {
    const runs = await engine.schedules.lastRuns(schedules, actor);
    return schedules.map((s) => scheduleDto(s, engine.workflows, runs.get(s.id) ?? null));
  };
  const dto = async (s: ScheduleRecord, actor: Actor) => (await dtos([s], actor))[0];
  // Secret values are answered redacted; an edit that sends the redaction back keeps the stored value.
  const keepSecrets = async (id: number, workflow: string | undefined, fields: Record<string, Json>, actor: Actor) => {
    const current = await engine.schedules.get(id, actor);
    const secret = engine.workflows.get(workflow ?? current.workflow)?.secretFields ?? [];
    const kept = { ...fields };
    for (const name of secret) if (kept[name] === REDACTED && name in current.fields) kept[name] = current.fields[name];
    return kept;
  };

  app.get('/schedules', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'Schedules at your sites', querystring: z.object({ site: list(name) }) },
    handler: async (request) => ({
      items: await dtos(await engine.schedules.list(request.actor, request.query.site ?? null), request.actor),
      nextCursor: null,
    }),
  });

  app.post('/schedules', {
    config: { access: 'operator', status: 201 },
    schema: { ...TAG, summary: 'Create a schedule: a cron expression (seconds allowed) in a time zone, or everyMs', body: z.object(scheduleFields).strict() },
    handler: async (request, reply) => {
      const body = request.body as typeof request.body & { fields?: Record<string, Json> };
      return reply.code(201).send(await dto(await engine.schedules.create(body, request.actor), request.actor));
    },
  });

  app.get('/schedules/:id', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'One schedule', params: idParam },
    handler: async (request) => dto(await engine.schedules.get(request.params.id, request.actor), request.actor),
  });

  app.patch('/schedules/:id', {
    config: { access: 'operator' },
    schema: {
      ...TAG,
      summary: 'Change a schedule, or enable and disable it with { enabled }',
      params: idParam,
      body: z.object(scheduleFields).partial().strict(),
    },
    handler: async (request) => {
      const body = request.body as typeof request.body & { fields?: Record<string, Json> };
      if (body.fields) body.fields = await keepSecrets(request.params.id, body.workflow, body.fields, request.actor);
      return dto(await engine.schedules.update(request.params.id, body, request.actor), request.actor);
    },
  });

  app.delete('/schedules/:id', {
    config: { access: 'operator', status: 204 },
    schema: { ...TAG, summary: 'Delete a schedule (its jobs stay)', params: idParam },
    handler: async (request, reply) => {
      await engine.schedules.remove(request.params.id, request.actor);
      return reply.code(204).send();
    },
  });

  app.post('/schedules/:id/run', {
    config: { access: 'operator' },
    schema: {
      ...TAG,
      summary: 'Run a schedule now; the overlap rule applies unless force is true',
      params: idParam,
      body: z.object({ force: z.boolean().optional() }).strict().optional(),
    },
    handler: async (request) => {
      const result = await engine.schedules.run(request.params.id, request.actor, { force: request.body?.force });
      return { ...result, job: result.job ? jobDto(result.job, engine.workflows) : null };
    },
  });
}
