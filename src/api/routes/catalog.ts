import type { ApiContext, App } from '../api-context.js';

/** What the hub knows: workflows (with their field schemas for forms), sites and workers. */
export function catalogRoutes(app: App, { engine }: ApiContext): void {
  const iso = (ms: number) => new Date(ms).toISOString();

  app.get('/workflows', {
    config: { access: 'viewer' },
    schema: { tags: ['catalog'], summary: 'Workflows this hub can run, with the JSON Schema of their fields' },
    handler: async () => ({ items: engine.workflows.list().map((w) => engine.workflows.info(w)) }),
  });

  app.get('/sites', {
    config: { access: 'viewer' },
    schema: { tags: ['catalog'], summary: 'Sites the caller may see, with their workers' },
    handler: async (request) => {
      const visible = request.actor.sites;
      const workers = await engine.store.listWorkers();
      const sites = (await engine.store.listSites()).filter((s) => visible === null || visible.includes(s.name));
      const now = engine.clock();
      return {
        items: sites.map((site) => {
          const here = workers.filter((w) => w.site === site.name);
          return {
            name: site.name,
            createdAt: iso(site.createdAt),
            workers: here.length,
            // A worker heartbeats every few seconds while busy and leases at least once a minute while idle.
            workersOnline: here.filter((w) => now - w.lastSeenAt < 90_000).length,
            lastSeenAt: here.length > 0 ? iso(Math.max(...here.map((w) => w.lastSeenAt))) : null,
          };
        }),
      };
    },
  });

  app.get('/workers', {
    config: { access: 'viewer' },
    schema: { tags: ['catalog'], summary: 'Workers that have registered, by site' },
    handler: async (request) => {
      const visible = request.actor.sites;
      const now = engine.clock();
      const workers = (await engine.store.listWorkers()).filter((w) => visible === null || visible.includes(w.site));
      return { items: workers.map((w) => ({ ...w, startedAt: iso(w.startedAt), lastSeenAt: iso(w.lastSeenAt), online: now - w.lastSeenAt < 90_000 })) };
    },
  });
}
