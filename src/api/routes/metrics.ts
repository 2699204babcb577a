import type { ApiContext, App } from '../api-context.js';

/**
 * Prometheus metrics in text format, for an admin of every site (a scraper uses an admin
 * token: `authorization: Bearer …` in its scrape config). Without a token, `start
 * --metrics-port` serves the same text on a loopback port of its own.
 */
export function metricsRoutes(app: App, { engine }: ApiContext): void {
  app.get('/metrics', {
    config: { access: 'admin' },
    schema: { tags: ['metrics'], summary: 'Prometheus metrics (text exposition format)' },
    handler: async (request, reply) => {
      const text = await engine.metrics.scrape(request.actor);
      return reply.type(engine.metrics.contentType).send(text);
    },
  });
}
