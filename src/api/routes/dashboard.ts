import { z } from 'zod';
import { iso } from '../../engine/engine-core.js';
import type { ApiContext, App } from '../api-context.js';
import { instant, name } from '../schemas.js';

/** Bucket widths as `5m`, `1h`, `1d` or milliseconds. */
const bucket = z
  .string()
  .max(20)
  .regex(/^(\d{1,10})(ms|s|m|h|d)?$/, 'milliseconds, or a number with s, m, h or d (e.g. 15m)')
  .transform((value) => {
    const [, n, unit] = /^(\d+)(ms|s|m|h|d)?$/.exec(value) as RegExpExecArray;
    const factors: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    const factor = factors[unit ?? 'ms'] ?? 1;
    return Number(n) * factor;
  })
  .refine((ms) => ms >= 1000 && ms <= 31 * 86_400_000, 'between 1s and 31d');

/** The dashboard (R30): one site or Global, over a window (default: the last 24 hours). */
export function dashboardRoutes(app: App, { engine }: ApiContext): void {
  app.get('/dashboard', {
    config: { access: 'viewer' },
    schema: {
      tags: ['dashboard'],
      summary: 'Jobs by state over time, throughput, failure and error rates, durations per workflow, queue depth, workers online',
      querystring: z.object({ site: name.optional(), from: instant.optional(), to: instant.optional(), bucket: bucket.optional() }),
    },
    handler: async (request) => {
      const { site, from, to, bucket: bucketMs } = request.query;
      const board = await engine.dashboard.dashboard({ site, from, to, bucketMs }, request.actor);
      const at = (b: { at: number }) => ({ ...b, at: iso(b.at) });
      return { ...board, from: iso(board.from), to: iso(board.to), created: board.created.map(at), ended: board.ended.map(at) };
    },
  });
}
