import fastifyMultipart from '@fastify/multipart';
import { z } from 'zod';
import type { EnvelopeSubmission } from '../../engine/envelope-verbs.js';
import { ENVELOPE_STATUSES, type Json, SwitchyardError } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { envelopeDto, jobDto } from '../dto.js';
import { idParam, instant, list, listedName, name, pageQuery } from '../schemas.js';
import { eventDto } from './events.js';

const TAG = { tags: ['envelopes'] };

/** An uploaded envelope file may be this large (text; CSV and JSON files of ten thousand rows fit well). */
export const MAX_ENVELOPE_FILE_BYTES = 10 * 1024 * 1024;

const jobEntry = z
  .object({
    workflow: name,
    fields: z.record(z.string(), z.unknown()).optional(),
    site: name.optional(),
    queue: listedName.optional(),
  })
  .strict();

const envelopeBody = z
  .object({
    type: name.default('jobs'),
    jobs: z.array(jobEntry).max(10_000).optional(),
    data: z.unknown().optional(),
    site: name.optional(),
    queue: listedName.optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((body) => body.jobs !== undefined || body.data !== undefined, { message: 'give jobs (type jobs) or data', path: ['jobs'] });

const envelopeFilters = z.object({
  status: list(z.enum(ENVELOPE_STATUSES as [string, ...string[]])),
  type: list(name),
  site: list(name),
  creator: list(name),
  createdFrom: instant.optional(),
  createdTo: instant.optional(),
});

/**
 * Envelopes: submit (JSON, or a multipart upload with fields `type`, `site`, `queue`,
 * `idempotencyKey` and one `file`), list, read one with its members, cancel, retry, roll back, delete.
 */
export function envelopeRoutes(app: App, { engine }: ApiContext): void {
  app.register(async (scope) => {
    await scope.register(fastifyMultipart, {
      limits: { fileSize: MAX_ENVELOPE_FILE_BYTES, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
    });
    const api = scope as unknown as App;

    api.post('/envelopes', {
      config: { access: 'operator', status: 201 },
      schema: {
        ...TAG,
        summary:
          'Submit an envelope: JSON { type, jobs? | data?, site?, queue?, idempotencyKey? }, or multipart/form-data with a file (at most 10 MiB) and the same fields. A submission whose content is not valid is recorded corrupt (201, status corrupt, problem names the line or field); nothing runs.',
        body: envelopeBody.nullish(),
      },
      handler: async (request, reply) => {
        let submission: EnvelopeSubmission;
        if (request.isMultipart()) {
          submission = await readUpload(request);
        } else {
          if (!request.body)
            throw new SwitchyardError('SWY_ERR_VALIDATION', 'body: expected JSON or a multipart upload', [{ path: 'body', message: 'required' }]);
          const body = request.body;
          submission = {
            type: body.type,
            ...(body.jobs ? { jobs: body.jobs as Json[] } : {}),
            ...(body.data !== undefined ? { data: body.data as Json } : {}),
            site: body.site,
            queue: body.queue,
            idempotencyKey: body.idempotencyKey ?? null,
          };
        }
        const { envelope, created } = await engine.envelopes.submit(submission, request.actor);
        return reply.code(created ? 201 : 200).send(envelopeDto(envelope));
      },
    });
  });

  app.get('/envelopes', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'List envelopes, newest first, with filters', querystring: envelopeFilters.extend(pageQuery.shape) },
    handler: async (request) => {
      const q = request.query;
      const page = await engine.envelopes.list(
        {
          sites: q.site ?? null,
          statuses: q.status as never,
          types: q.type,
          creators: q.creator,
          createdFrom: q.createdFrom,
          createdTo: q.createdTo,
          cursor: q.cursor ?? null,
          limit: q.limit,
        },
        request.actor,
      );
      return { items: page.items.map(envelopeDto), nextCursor: page.nextCursor };
    },
  });

  app.get('/envelopes/:id', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'One envelope with its member jobs in order (each with the members it runs after) and its rollback job', params: idParam },
    handler: async (request) => {
      const envelope = await engine.envelopes.get(request.params.id, request.actor);
      const members = await engine.envelopes.members(envelope.id, request.actor);
      const jobs = members.map((m) => m.job);
      const rollbackJob = envelope.rollbackJobId === null ? null : await engine.reads.job(envelope.rollbackJobId, request.actor).catch(() => null);
      const reasons = await engine.reads.explain(rollbackJob ? [...jobs, rollbackJob] : jobs);
      return {
        ...envelopeDto(envelope),
        jobs: members.map((m) => ({ ...jobDto(m.job, engine.workflows, reasons.get(m.job.id) ?? null), after: m.after })),
        rollbackJob: rollbackJob ? jobDto(rollbackJob, engine.workflows, reasons.get(rollbackJob.id) ?? null) : null,
      };
    },
  });

  app.get('/envelopes/:id/events', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary:
        "An envelope's history, oldest first (at most the newest 500): its own events (envelope:created, envelope:status:changed) and its jobs' (job:created, job:state:changed)",
      params: idParam,
    },
    handler: async (request) => ({ items: (await engine.envelopes.events(request.params.id, request.actor)).map(eventDto), nextCursor: null }),
  });

  app.post('/envelopes/:id/cancel', {
    config: { access: 'operator' },
    schema: { ...TAG, summary: 'Cancel an envelope: no further job starts, running ones are cancelled', params: idParam },
    handler: async (request) => envelopeDto(await engine.envelopes.cancel(request.params.id, request.actor)),
  });

  app.post('/envelopes/:id/retry', {
    config: { access: 'operator' },
    schema: {
      ...TAG,
      summary: 'Run the jobs of an envelope that ended with errors (or was cancelled) again, chained as before: failed, completed with errors, cancelled',
      params: idParam,
    },
    handler: async (request) => envelopeDto(await engine.envelopes.retry(request.params.id, request.actor)),
  });

  app.post('/envelopes/:id/rollback', {
    config: { access: 'operator' },
    schema: {
      ...TAG,
      summary:
        'Roll an envelope back: the compensations of what its jobs changed run newest first as one rollback job (again, after a failed rollback). 409 while a job runs, or when a later job acted on the same resources.',
      params: idParam,
    },
    handler: async (request) => envelopeDto(await engine.envelopes.rollback(request.params.id, request.actor)),
  });

  app.delete('/envelopes/:id', {
    config: { access: 'admin', status: 204 },
    schema: {
      ...TAG,
      summary:
        'Delete an envelope that is through, with its jobs and its rollback job. 409 while it runs or rolls back, or while any of its jobs has not ended.',
      params: idParam,
    },
    handler: async (request, reply) => {
      await engine.envelopes.delete(request.params.id, request.actor);
      return reply.code(204).send();
    },
  });

  app.post('/jobs/:id/rollback', {
    config: { access: 'operator', status: 201 },
    schema: {
      tags: ['jobs'],
      summary: "Roll one finished job back: its workflow's compensations run newest first as a rollback job linked to it",
      params: idParam,
    },
    handler: async (request, reply) => reply.code(201).send(jobDto(await engine.rollback(request.params.id, request.actor), engine.workflows)),
  });

  app.get('/envelope-types', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'The envelope types this hub reads' },
    handler: async () => ({ items: engine.workflows.envelopeTypeInfos(), nextCursor: null }),
  });
}

const UPLOAD_FIELDS = new Set(['type', 'site', 'queue', 'idempotencyKey']);

/** Reads a multipart upload: one file, and short text fields. */
async function readUpload(request: Parameters<Parameters<App['post']>[1]['handler']>[0]): Promise<EnvelopeSubmission> {
  const fields: Record<string, string> = {};
  let file: EnvelopeSubmission['file'];
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (file) throw new SwitchyardError('SWY_ERR_VALIDATION', 'file: one file per envelope', [{ path: 'file', message: 'one file only' }]);
      const buffer = await part.toBuffer();
      if (part.file.truncated) {
        throw new SwitchyardError('SWY_ERR_PAYLOAD_TOO_LARGE', `file: larger than ${MAX_ENVELOPE_FILE_BYTES} bytes`);
      }
      file = { name: part.filename ? part.filename.slice(0, 255) : null, contentType: part.mimetype ?? '', text: buffer.toString('utf8') };
    } else if (UPLOAD_FIELDS.has(part.fieldname)) {
      fields[part.fieldname] = String(part.value);
    } else {
      throw new SwitchyardError('SWY_ERR_VALIDATION', `${part.fieldname}: not a field of an envelope upload`, [
        { path: part.fieldname, message: 'unknown field' },
      ]);
    }
  }
  if (!file) throw new SwitchyardError('SWY_ERR_VALIDATION', 'file: required in a multipart upload', [{ path: 'file', message: 'required' }]);
  const parsed = z
    .object({ type: name.default('jobs'), site: name.optional(), queue: listedName.optional(), idempotencyKey: z.string().min(1).max(200).optional() })
    .safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join('.');
    throw new SwitchyardError('SWY_ERR_VALIDATION', `${path}: ${issue.message}`, [{ path, message: issue.message }]);
  }
  return { ...parsed.data, idempotencyKey: parsed.data.idempotencyKey ?? null, file };
}
