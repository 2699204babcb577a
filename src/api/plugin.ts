import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Engine } from '../engine/engine.js';
import { SwitchyardError } from '../model/index.js';
import type { ApiContext, App } from './api-context.js';
import { authenticator } from './auth/authenticate.js';
import { errorReply } from './errors.js';
import { guardInput } from './input-guard.js';
import { adminRoutes } from './routes/admin.js';
import { catalogRoutes } from './routes/catalog.js';
import { changeRoutes } from './routes/changes.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { envelopeRoutes } from './routes/envelopes.js';
import { eventRoutes } from './routes/events.js';
import { jobExportRoutes } from './routes/job-export.js';
import { jobRoutes } from './routes/jobs.js';
import { metricsRoutes } from './routes/metrics.js';
import { notificationRoutes } from './routes/notifications.js';
import { operationRoutes } from './routes/operations.js';
import { queueRoutes } from './routes/queues.js';
import { scheduleRoutes } from './routes/schedules.js';
import { sessionRoutes } from './routes/session.js';
import { taskRoutes } from './routes/tasks.js';
import { workerRoutes } from './routes/worker.js';
import { transferRoutes } from './routes/worker-transfers.js';

export interface ApiPluginOptions {
  engine: Engine;
  /** The built console (dist/web); null serves the API only. */
  webRoot?: string | null;
  version?: string;
}

/** Largest request body (bulk item reports from workers). */
export const BODY_LIMIT = 8 * 1024 * 1024;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  // The console loads only its own scripts; Mantine sets inline styles.
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

/**
 * Everything a hub serves over HTTP — health, the REST API under /api/v1 with its OpenAPI
 * document, /metrics and the console — as one encapsulated Fastify plugin. `buildServer`
 * registers it at the root of its own server; an application registers it under a prefix of
 * its own (`app.register(hub.plugin, { prefix: '/ops' })`). Its hooks, error handler and
 * not-found handler stay inside the prefix: the host app's routes are left alone.
 */
export function apiPlugin(options: ApiPluginOptions): FastifyPluginAsync {
  return async (fastify) => {
    const { engine } = options;
    const prefix = fastify.prefix;
    fastify.setValidatorCompiler(validatorCompiler);
    fastify.setSerializerCompiler(serializerCompiler);
    // bodyLimit is a server option; routes take it too, which is how a mounted hub gets it.
    fastify.addHook('onRoute', (route) => {
      route.bodyLimit ??= BODY_LIMIT;
    });
    if (!fastify.hasRequestDecorator('cookies')) await fastify.register(fastifyCookie);
    await fastify.register(fastifySwagger, {
      openapi: {
        info: { title: 'Switchyard API', version: options.version ?? '0.0.0', description: 'Jobs, tasks, items, queues and the worker protocol.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'swy_session' } } },
        security: [{ bearer: [] }, { session: [] }],
      },
      transform: documentAnswers,
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
    engine.metrics.observeHttp(fastify);

    fastify.get('/health', { config: { access: 'public' } }, async (_request, reply) => {
      if (await engine.healthy()) return { status: 'ok', store: engine.storeKind, version: options.version ?? null };
      return reply.code(503).send({ status: 'unavailable', store: engine.storeKind });
    });

    const context: ApiContext = { engine };
    await fastify.register(async (scope) => {
      const app = scope.withTypeProvider<ZodTypeProvider>() as App;
      app.addHook('onRequest', authenticator(engine));
      metricsRoutes(app, context);
    });
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
          changeRoutes,
          queueRoutes,
          catalogRoutes,
          workerRoutes,
          transferRoutes,
          eventRoutes,
          sessionRoutes,
          adminRoutes,
          notificationRoutes,
          scheduleRoutes,
          operationRoutes,
          dashboardRoutes,
          envelopeRoutes,
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
    const notFound = async (request: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = errorReply(new SwitchyardError('SWY_ERR_ROUTE_NOT_FOUND'), request);
      return reply.code(status).send(body);
    };
    if (webRoot && existsSync(webRoot)) {
      await serveConsole(fastify, webRoot, prefix, notFound);
    } else {
      fastify.setNotFoundHandler(notFound);
    }
  };
}

/**
 * The console: its assets as static files, and for every other GET outside the API the app
 * shell, with a `<base href>` naming where the hub is mounted. The console's asset URLs, API
 * calls and routes are relative to that base, so the same build works at `/` and under a prefix.
 */
async function serveConsole(
  fastify: FastifyInstance,
  webRoot: string,
  prefix: string,
  notFound: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
): Promise<void> {
  await fastify.register(fastifyStatic, {
    root: webRoot,
    wildcard: false,
    index: false,
    serve: true,
    // The build writes .br and .gz beside each large asset; the smallest one the browser accepts is sent.
    preCompressed: true,
    // Files under assets/ carry a content hash in their names: a new build means a new URL, so the
    // browser may keep them for good. Anything else (the shell is served below) is revalidated.
    cacheControl: false,
    setHeaders: (reply, path) => {
      const hashed = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+(\.(br|gz))?$/.test(path);
      reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const base = `${prefix.replace(/\/$/, '')}/`;
  const shell = async (_request: FastifyRequest, reply: FastifyReply) => {
    // Read per request: a rebuilt console (new asset names) is served without a restart.
    const html = readFileSync(join(webRoot, 'index.html'), 'utf8').replace('<head>', `<head>\n    <base href="${escapeAttribute(base)}" />`);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  };
  fastify.get('/', { config: { access: 'public' }, schema: { hide: true } }, shell);
  // The console routes in the browser: unknown non-API GETs get the app shell.
  fastify.setNotFoundHandler(async (request, reply) => {
    if (request.method === 'GET' && !request.url.startsWith(`${base}api/`)) return shell(request, reply);
    return notFound(request, reply);
  });
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** The error body every route answers with, in the OpenAPI document. */
const ERROR_BODY = {
  description: 'An error: `code` is stable (SWY_ERR_…), `fields` names the parts of the request at fault',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', example: 'SWY_ERR_VALIDATION' },
              message: { type: 'string' },
              fields: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
            },
          },
        },
      },
    },
  },
};

/**
 * The zod transform, then each route's answers as documentation only (the answers themselves
 * are not serialized through a schema): its success status (the route's `config.status`, else
 * 200) and the error body for 4xx and 5xx, where a route declares none of its own.
 */
function documentAnswers(document: Parameters<typeof jsonSchemaTransform>[0]): ReturnType<typeof jsonSchemaTransform> {
  const transformed = jsonSchemaTransform(document);
  const schema = transformed.schema as Record<string, unknown> & { hide?: boolean; response?: Record<string, unknown> };
  if (!schema || schema.hide) return transformed;
  const route = (document as { route?: { config?: { status?: number } } }).route;
  const success = String(route?.config?.status ?? 200);
  const declared = schema.response ?? {};
  const answer = success === '204' ? { description: 'Done; no body', type: 'null' } : { description: 'Success', type: 'object' };
  schema.response = { [success]: declared[success] ?? answer, ...declared, '4XX': ERROR_BODY, '5XX': ERROR_BODY };
  return transformed;
}
