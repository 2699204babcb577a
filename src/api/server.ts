import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import { clientErrorReply, errorReply } from './errors.js';
import { apiPlugin, BODY_LIMIT } from './plugin.js';

export interface ServerOptions {
  engine: Engine;
  /** The built console (dist/web); null serves the API only. */
  webRoot?: string | null;
  logger?: Logger | false;
  version?: string;
  /** Where the hub's routes live on this server (default: the root). */
  prefix?: string;
  /**
   * Fastify's `serverFactory`: given, the instance answers through the handler it receives
   * instead of a server of its own (see Hub.handler).
   */
  serverFactory?: (handler: (request: IncomingMessage, response: ServerResponse) => void) => Server;
}

/** The HTTP face of a standalone hub: its own Fastify server with the hub's plugin at the root. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const fastify = Fastify({
    loggerInstance: (options.logger || undefined) as FastifyBaseLogger | undefined,
    logger: options.logger ? undefined : false,
    bodyLimit: BODY_LIMIT,
    trustProxy: process.env.SWITCHYARD_TRUST_PROXY === 'true',
    // Live feeds (SSE) and long polls never end by themselves: closing the hub ends them.
    forceCloseConnections: true,
    // Refusals from the router and from Node's HTTP parser answer like every other error.
    frameworkErrors: (error, request, reply) => {
      const { status, body } = errorReply(error, request);
      return (reply as FastifyReply).code(status).send(body);
    },
    clientErrorHandler: clientErrorReply,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  });
  await fastify.register(apiPlugin({ engine: options.engine, webRoot: options.webRoot, version: options.version }), { prefix: options.prefix ?? '' });
  return fastify;
}
