import { z } from 'zod';
import { MAX_BULK_IDS } from '../../engine/bulk-verbs.js';
import { iso } from '../../engine/engine-core.js';
import { BULK_ACTIONS, type OperationRecord } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { emailSchema, idParam, jobFilters } from '../schemas.js';
import { jobListQuery } from './jobs.js';

const TAG = { tags: ['operations'] };

/** The jobs list's filters (the same names and forms as `GET /jobs`), without ids and sort. */
const bulkFilter = jobFilters.omit({ id: true, sort: true }).strict();

const bulkBody = z
  .object({
    action: z.enum(BULK_ACTIONS),
    ids: z.array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).min(1).max(MAX_BULK_IDS).optional(),
    filter: bulkFilter.optional(),
    /** Count what the action would apply to, and do nothing. */
    preview: z.boolean().optional(),
    /** subscribe: the channel (console or email), the address for email, and when (end or failure). */
    options: z
      .object({ channel: z.enum(['console', 'email']).optional(), address: emailSchema.optional(), on: z.enum(['end', 'failure']).optional() })
      .strict()
      .optional(),
  })
  .strict();

/** An operation as answered: instants as ISO 8601, with its percent done. */
export function operationDto(operation: OperationRecord) {
  const { maxJobId: _max, cursor: _cursor, ...rest } = operation;
  return {
    ...rest,
    percent: operation.total === 0 ? (operation.state === 'running' ? 0 : 100) : Math.min(100, Math.round((100 * operation.done) / operation.total)),
    createdAt: iso(operation.createdAt),
    startedAt: iso(operation.startedAt),
    endedAt: iso(operation.endedAt),
    updatedAt: iso(operation.updatedAt),
  };
}

/**
 * Bulk actions (R7, R59): one control over jobs chosen by ids or by the jobs list's filter.
 * With `preview: true` the answer is the count and nothing is done; otherwise the answer (202)
 * is the tracked operation, which the hub runs in batches; `GET /operations/:id` follows it.
 */
export function operationRoutes(app: App, { engine }: ApiContext): void {
  app.post('/jobs/bulk-actions', {
    // Subscribing needs only the viewer role; the engine checks each action's own permission.
    config: { access: 'viewer', status: 202 },
    schema: {
      ...TAG,
      summary: 'Cancel, pause, resume, retry, delete or subscribe to many jobs (by ids or by filter) as a tracked operation; preview counts first',
      body: bulkBody,
    },
    handler: async (request, reply) => {
      const { action, ids, filter, preview, options } = request.body;
      const selection = {
        action,
        ids,
        filter: filter ? (({ limit: _l, cursor: _c, sort: _s, ids: _i, ...rest }) => rest)(jobListQuery({ ...filter, limit: 1 })) : undefined,
        options: options as Record<string, string> | undefined,
      };
      if (preview) return { preview: true, ...(await engine.bulk.preview(selection, request.actor)) };
      return reply.code(202).send(operationDto(await engine.bulk.start(selection, request.actor)));
    },
  });

  app.get('/operations', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary: 'Bulk operations at your sites, newest first',
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
    },
    handler: async (request) => ({ items: (await engine.bulk.list(request.actor, request.query.limit)).map(operationDto), nextCursor: null }),
  });

  app.get('/operations/:id', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'One bulk operation: progress and the result summary (skips and failures grouped by reason)', params: idParam },
    handler: async (request) => operationDto(await engine.bulk.get(request.params.id, request.actor)),
  });

  app.post('/operations/:id/cancel', {
    config: { access: 'operator' },
    schema: { ...TAG, summary: 'Stop a running bulk operation between batches (what was done stays done)', params: idParam },
    handler: async (request) => operationDto(await engine.bulk.cancel(request.params.id, request.actor)),
  });
}
