import { z } from 'zod';
import type { ActivityResult, LeasedTask } from '../../model/index.js';
import { CHANGE_KINDS, CHANGE_LIMITS, ItemOutcome, SwitchyardError } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { errorReply } from '../errors.js';
import { listedName, name } from '../schemas.js';

const TAG = { tags: ['worker protocol'] };
const json: z.ZodType<unknown> = z.unknown();

const taskSpec = z.object({
  type: name,
  input: json.optional(),
  // Not empty: the ledger reads "" as no key when it looks for existing ones, the store as a key.
  key: z.string().min(1).max(200).nullable().optional(),
  after: z.array(z.string().max(200)).max(10_000).optional(),
  site: name.nullable().optional(),
});
/**
 * An item's path, at most MAX_ITEM_PATH_BYTES of UTF-8: the stores index it with the job (PostgreSQL
 * btree rows hold at most 2,704 bytes, after compression, which random text escapes), and a
 * longer one answered 500 on PostgreSQL where SQLite kept it.
 */
const MAX_ITEM_PATH_BYTES = 2048;
const itemPath = z
  .string()
  .min(1)
  .max(MAX_ITEM_PATH_BYTES)
  .refine((path) => Buffer.byteLength(path) <= MAX_ITEM_PATH_BYTES, `at most ${MAX_ITEM_PATH_BYTES} bytes of UTF-8`);
/** A change's text: at most 64 KiB of UTF-8 (a worker drops longer ones and says `textOmitted`). */
const changeText = z
  .string()
  .max(CHANGE_LIMITS.textBytes)
  .refine((text) => Buffer.byteLength(text) <= CHANGE_LIMITS.textBytes, `at most ${CHANGE_LIMITS.textBytes} bytes of UTF-8`);
const size = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional();
const leaseRef = { taskId: z.number().int().positive(), leaseToken: z.string().min(1).max(200) };
const activity = z.object({
  ...leaseRef,
  items: z
    .array(
      z.object({
        path: itemPath,
        operation: z.string().min(1).max(100),
        outcome: z.enum(ItemOutcome),
        bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
        error: z.string().max(10_000).nullable().optional(),
      }),
    )
    .max(10_000)
    .optional(),
  // Fewer than items: each may carry two texts of 64 KiB (the 8 MiB body limit bounds them too).
  changes: z
    .array(
      z.object({
        path: itemPath,
        change: z.enum(CHANGE_KINDS as [string, ...string[]]),
        sizeBefore: size,
        sizeAfter: size,
        textBefore: changeText.nullable().optional(),
        textAfter: changeText.nullable().optional(),
        textOmitted: z.boolean().optional(),
      }),
    )
    .max(1000)
    .optional(),
  logs: z.array(z.string().max(65_536)).max(10_000).optional(),
  // Bounded so that every store can keep it (PostgreSQL bigint, SQLite integer) and read it back.
  // Counts are whole numbers in both stores: a fraction is rounded (done down, total up) rather
  // than refused, which would lose the report's items; PostgreSQL refused it with a 500.
  progress: z.object({ done: z.number().min(0).max(1e15).transform(Math.floor), total: z.number().min(0).max(1e15).transform(Math.ceil) }).optional(),
  spawn: z.array(taskSpec).max(10_000).optional(),
});
const errorInfo = z.object({ message: z.string().max(65_536), name: z.string().max(200).optional(), stack: z.string().max(65_536).optional() });
const report = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('succeeded'), changed: z.boolean(), result: json.optional() }),
  z.object({ kind: z.literal('skipped'), reason: z.string().max(10_000).optional() }),
  z.object({ kind: z.literal('failed'), error: errorInfo, retryable: z.boolean() }),
  z.object({ kind: z.literal('stopped'), reason: z.string().max(10_000).optional() }),
  z.object({ kind: z.literal('released') }),
]);

/**
 * The worker protocol: how remote workers pull and settle tasks over HTTP. Only worker (or
 * admin) tokens may call it, for the sites their token allows. Reports carry the lease token;
 * when every report of a request refers to a lease no longer held, the answer is 409
 * SWY_ERR_LEASE_LOST and nothing was written.
 */
export function workerRoutes(app: App, { engine }: ApiContext): void {
  app.post('/worker/register', {
    config: { access: 'worker' },
    schema: {
      ...TAG,
      summary: 'Announce a worker and the workflows it runs',
      body: z.object({ id: name, name, site: listedName, host: name, workflows: z.array(name).max(1000), version: z.string().min(1).max(100).optional() }),
    },
    handler: async (request) => {
      await engine.workerPort(request.actor).register(request.body);
      return { ok: true, leaseMs: engine.leaseMs };
    },
  });

  app.post('/worker/lease', {
    config: { access: 'worker' },
    schema: {
      ...TAG,
      summary: 'Lease ready tasks; waits up to waitMs for work (long poll)',
      body: z.object({
        workerId: name,
        site: name,
        workflows: z.array(name).min(1).max(1000),
        limit: z.number().int().min(1).max(1000),
        waitMs: z.number().int().min(0).max(60_000).default(0),
      }),
    },
    handler: async (request, reply) => {
      // The response closes unfinished when the worker hangs up (it stopped, or gave up): a
      // lease still waiting stops waiting, and tasks leased for a worker that is gone are
      // handed back at once, their attempts refunded, rather than held until their leases
      // expire. (The request's own 'close' came once its body was read.)
      const port = engine.workerPort(request.actor);
      const hungUp = new AbortController();
      let leased: LeasedTask[] = [];
      const handBack = (tasks: LeasedTask[]) =>
        port.complete(tasks.map(({ task, leaseToken }) => ({ taskId: task.id, leaseToken, report: { kind: 'released' as const } })));
      reply.raw.once('close', () => {
        if (reply.raw.writableFinished) return;
        hungUp.abort();
        if (leased.length > 0) handBack(leased).catch((error) => request.log.warn({ err: error }, 'could not hand back the tasks of a worker that hung up'));
      });
      const tasks = await port.lease({ ...request.body, signal: hungUp.signal });
      if (hungUp.signal.aborted) {
        if (tasks.length > 0) await handBack(tasks);
        return { tasks: [] };
      }
      leased = tasks;
      return { tasks };
    },
  });

  app.post('/worker/heartbeat', {
    config: { access: 'worker' },
    schema: {
      ...TAG,
      summary: 'Renew leases; answers which are lost and which tasks must stop',
      body: z.object({
        workerId: name,
        leases: z.array(z.object(leaseRef)).max(10_000),
        unstarted: z.array(z.number().int().positive()).max(10_000).optional(),
      }),
    },
    handler: async (request, reply) => {
      const result = await engine.workerPort(request.actor).heartbeat(request.body);
      if (request.body.leases.length > 0 && result.lost.length === request.body.leases.length) return lost(reply, request, result);
      return result;
    },
  });

  app.post('/worker/items', {
    config: { access: 'worker' },
    schema: {
      ...TAG,
      summary: "Record running tasks' items, changes, log lines, progress and spawned tasks",
      body: z.object({ reports: z.array(activity).min(1).max(1000) }),
    },
    handler: async (request, reply) => {
      const results = await engine.workerPort(request.actor).report(request.body.reports as Parameters<typeof engine.report>[0]);
      return allRefused(results) ? lost(reply, request, { results }) : { results };
    },
  });

  app.post('/worker/complete', {
    config: { access: 'worker' },
    schema: {
      ...TAG,
      summary: 'Settle finished tasks with their last activity',
      body: z.object({ completions: z.array(activity.extend({ report })).min(1).max(1000) }),
    },
    handler: async (request, reply) => {
      const results = await engine.workerPort(request.actor).complete(request.body.completions as Parameters<typeof engine.complete>[0]);
      return allRefused(results) ? lost(reply, request, { results }) : { results };
    },
  });
}

function allRefused(results: ActivityResult[]): boolean {
  return results.length > 0 && results.every((r) => !r.accepted);
}

function lost(reply: import('fastify').FastifyReply, request: import('fastify').FastifyRequest, extra: object) {
  const { status, body } = errorReply(
    new SwitchyardError('SWY_ERR_LEASE_LOST', 'No lease in this request is held any more: another attempt owns these tasks'),
    request,
  );
  return reply.code(status).send({ ...body, ...extra });
}
