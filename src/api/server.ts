import { existsSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import { SwitchyardError } from '../model/index.js';
import type { ApiContext, App } from './api-context.js';
import { authenticator } from './auth/authenticate.js';
import { errorReply } from './errors.js';
import { guardInput } from './input-guard.js';
import { adminRoutes } from './routes/admin.js';
import { catalogRoutes } from './routes/catalog.js';
import { eventRoutes } from './routes/events.js';
import { jobExportRoutes } from './routes/job-export.js';
import { jobRoutes } from './routes/jobs.js';
import { queueRoutes } from './routes/queues.js';
import { scheduleRoutes } from './routes/schedules.js';
import { sessionRoutes } from './routes/session.js';
import { taskRoutes } from './routes/tasks.js';
import { workerRoutes } from './routes/worker.js';

export interface ServerOptions {
  engine: Engine;
  /** The built console (dist/web); null serves the API only. */
  webRoot?: string | null;
  logger?: Logger | false;
  version?: string;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  // The console loads only its own scripts; Mantine sets inline styles.
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

/** The HTTP face of a hub: REST API under /api/v1, health, OpenAPI, and the console. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { engine } = options;
  const fastify = Fastify({
    loggerInstance: (options.logger || undefined) as FastifyBaseLogger | undefined,
    logger: options.logger ? undefined : false,
    bodyLimit: 8 * 1024 * 1024,
    trustProxy: process.env.SWITCHYARD_TRUST_PROXY === 'true',
    // Live feeds (SSE) and long polls never end by themselves: closing the hub ends them.
    forceCloseConnections: true,
  });
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  await fastify.register(fastifyCookie);
  await fastify.register(fastifySwagger, {
    openapi: {
      info: { title: 'Switchyard API', version: options.version ?? '0.0.0', description: 'Jobs, tasks, items, queues and the worker protocol.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'swy_session' } } },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });

  fastify.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
    return payload;
  });
  fastify.setErrorHandler((error, request, reply) => {
    const { status, body } = errorReply(error, request);
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (status === 429 && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply.code(status).send(body);
  });

  fastify.get('/health', { config: { access: 'public' } }, async (_request, reply) => {
    if (await engine.healthy()) return { status: 'ok', store: engine.storeKind, version: options.version ?? null };
    return reply.code(503).send({ status: 'unavailable', store: engine.storeKind });
  });

  const context: ApiContext = { engine };
  await fastify.register(
    async (api) => {
      const app = api.withTypeProvider<ZodTypeProvider>() as App;
      app.addHook('onRequest', authenticator(engine));
      app.addHook('preValidation', guardInput);
      app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => fastify.swagger());
      for (const routes of [
        jobRoutes,
        jobExportRoutes,
        taskRoutes,
        queueRoutes,
        scheduleRoutes,
        catalogRoutes,
        workerRoutes,
        eventRoutes,
        sessionRoutes,
        adminRoutes,
      ]) {
        routes(app, context);
      }
      app.setNotFoundHandler({ preHandler: undefined }, async () => {
        throw new SwitchyardError('SWY_ERR_ROUTE_NOT_FOUND');
      });
    },
    { prefix: '/api/v1' },
  );

  const webRoot = options.webRoot ?? null;
  if (webRoot && existsSync(webRoot)) {
    await fastify.register(fastifyStatic, { root: webRoot, wildcard: false, index: ['index.html'] });
    // The console routes in the browser: unknown non-API GETs get the app shell.
    fastify.setNotFoundHandler(async (request, reply) => {
      if (request.method === 'GET' && !request.url.startsWith('/api/')) return reply.sendFile('index.html');
      const { status, body } = errorReply(new SwitchyardError('SWY_ERR_ROUTE_NOT_FOUND'), request);
      return reply.code(status).send(body);
    });
  } else {
    fastify.setNotFoundHandler(async (request, reply) => {
      const { status, body } = errorReply(new SwitchyardError('SWY_ERR_ROUTE_NOT_FOUND'), request);
      return reply.code(status).send(body);
    });
  }
  return fastify;
}
