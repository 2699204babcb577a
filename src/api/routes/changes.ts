import { z } from 'zod';
import { CHANGE_KINDS, type ChangeRecord, COMPARISON_KINDS } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { iso } from '../dto.js';
import { decimalId, idParam, pageQuery, searchText } from '../schemas.js';

const TAG = { tags: ['changes'] };

function changeDto<T extends ChangeRecord>(change: T) {
  return { ...change, at: iso(change.at) as string };
}

/**
 * A job's change set (R27), the comparison of its items with its previous run's, and its item
 * statistics per operation. Readable by whoever may read the job (another site's job: 404).
 */
export function changeRoutes(app: App, { engine }: ApiContext): void {
  app.get('/jobs/:id/changes', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary: "A job's changes (added, changed, removed) in the order recorded, with counts per kind; texts are served one change at a time",
      params: idParam,
      querystring: pageQuery.extend({
        change: z.enum(CHANGE_KINDS as [string, ...string[]]).optional(),
        path: searchText(2000),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    },
    handler: async (request) => {
      const { change, path, cursor, limit } = request.query;
      const page = await engine.reads.changes(
        request.params.id,
        { change: change as ChangeRecord['change'] | undefined, path: path || undefined, cursor: cursor ?? null, limit },
        request.actor,
      );
      return { items: page.items.map(changeDto), nextCursor: page.nextCursor, counts: page.counts };
    },
  });

  app.get('/jobs/:id/changes/:changeId', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary: 'One change of a job with its text before and after (small text files only)',
      params: idParam.extend({ changeId: decimalId }),
    },
    handler: async (request) => changeDto(await engine.reads.change(request.params.id, request.params.changeId, request.actor)),
  });

  app.get('/jobs/:id/compare', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary:
        "This job's items compared with the previous run of its workflow at its site (or of its schedule): paths added, removed and changed (bytes or outcome)",
      params: idParam,
      querystring: z.object({
        kind: z.enum(COMPARISON_KINDS as [string, ...string[]]).optional(),
        path: searchText(2000),
        /** The last path of the previous page (`nextAfter`). */
        after: z.string().max(4096).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
    },
    handler: async (request) => {
      const { kind, path, after, limit } = request.query;
      return engine.reads.compare(
        request.params.id,
        { kind: kind as (typeof COMPARISON_KINDS)[number] | undefined, path: path || undefined, after, limit },
        request.actor,
      );
    },
  });

  app.get('/jobs/:id/items/stats', {
    config: { access: 'viewer' },
    schema: { tags: ['items'], summary: "A job's item records counted per operation (copy, delete, verify…) and outcome, with their bytes", params: idParam },
    handler: async (request) => ({ items: await engine.reads.itemStats(request.params.id, request.actor), nextCursor: null }),
  });
}
