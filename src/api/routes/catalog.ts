import { iso } from '../../engine/engine-core.js';
import { WORKER_ONLINE_MS } from '../../engine/read-verbs.js';
import type { ApiContext, App } from '../api-context.js';

/** What the hub knows: workflows (with their field schemas for forms), sites and workers. */
export function catalogRoutes(app: App, { engine }: ApiContext): void {
  app.get('/workflows', {
    config: { access: 'viewer' },
    schema: { tags: ['catalog'], summary: 'Workflows this hub can run, with the JSON Schema of their fields' },
    handler: async () => ({ items: engine.workflows.list().map((w) => engine.workflows.info(w)), nextCursor: null }),
  });

  app.get('/sites', {
    config: { access: 'viewer' },
    schema: { tags: ['catalog'], summary: 'Sites the caller may see, with their workers' },
    handler: async (request) => ({
      items: (await engine.reads.sites(request.actor)).map((site) => ({ ...site, createdAt: iso(site.createdAt), lastSeenAt: iso(site.lastSeenAt) })),
      nextCursor: null,
    }),
  });

  app.get('/workers', {
    config: { access: 'viewer' },
    schema: { tags: ['catalog'], summary: 'Workers that have registered at the sites the caller may see: online, last seen, running tasks, version' },
    handler: async (request) => {
      const now = engine.clock();
      const workers = await engine.reads.workers(request.actor);
      return {
        items: workers.map(({ owner: _owner, ...w }) => ({
          ...w,
          startedAt: iso(w.startedAt),
          lastSeenAt: iso(w.lastSeenAt),
          online: now - w.lastSeenAt < WORKER_ONLINE_MS,
        })),
        nextCursor: null,
      };
    },
  });
}
