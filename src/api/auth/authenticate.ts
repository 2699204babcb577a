import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Engine } from '../../engine/engine.js';
import { type Actor, authorize, type Role, SwitchyardError } from '../../model/index.js';

export const SESSION_COOKIE = 'swy_session';

/** Who may call a route: anyone, a worker token, or a person of at least this role. */
export type Access = 'public' | 'worker' | Exclude<Role, 'worker'>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** The status of the route's success answer when not 200 (documented in the OpenAPI document). */
    status?: 201 | 202 | 204;
  }
  interface FastifyRequest {
    actor: Actor;
    /** The session's CSRF token when the caller signed in with the cookie. */
    csrfToken: string | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the caller before every route but the public ones, through the engine: a bearer
 * token (any route, no CSRF header needed) or the session cookie (state-changing requests must
 * echo the session's CSRF token in `X-CSRF-Token`). Then a coarse check of the route's access
 * level; the engine's verbs check role and site scope again, authoritatively.
 */
export function authenticator(engine: Engine) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const access = request.routeOptions.config?.access ?? 'admin';
    if (access === 'public') return;
    const caller = await callerOf(engine, request);
    request.csrfToken = caller?.csrfToken ?? null;
    if (caller?.csrfToken && !SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== caller.csrfToken)
      throw new SwitchyardError('SWY_ERR_AUTH_CSRF');
    if (!caller) throw new SwitchyardError('SWY_ERR_AUTH_REQUIRED');
    request.actor = caller.actor;
    // No route matched: any caller is told so (404), not that the admin role is needed.
    if (request.routeOptions.url === undefined) return;
    authorize(caller.actor, routePermission(access));
  };
}

function routePermission(access: Exclude<Access, 'public'>) {
  return access === 'worker' ? 'worker.protocol' : ROUTE_PERMISSION[access];
}

/** The caller behind a request's bearer token or session cookie, as the store says now; null when there is none. */
async function callerOf(engine: Engine, request: FastifyRequest): Promise<{ actor: Actor; csrfToken: string | null } | null> {
  const bearer = bearerOf(request);
  if (bearer !== null) return { actor: await engine.auth.fromBearer(bearer), csrfToken: null };
  const sessionId = request.cookies?.[SESSION_COOKIE];
  return sessionId ? await engine.auth.fromSession(sessionId) : null;
}

/**
 * The request's caller again, for a response that outlives its request (an event stream): the
 * actor as the store says now (a changed role or sites apply), or null once the token is
 * revoked or expired, the session ended or its user disabled, or the route's access lost.
 */
export async function recheckCaller(engine: Engine, request: FastifyRequest): Promise<Actor | null> {
  const access = request.routeOptions.config?.access ?? 'admin';
  if (access === 'public') return request.actor;
  try {
    const caller = await callerOf(engine, request);
    if (!caller) return null;
    authorize(caller.actor, routePermission(access));
    return caller.actor;
  } catch (error) {
    if (error instanceof SwitchyardError && error.status < 500) return null;
    throw error;
  }
}

const ROUTE_PERMISSION = { viewer: 'self.read', operator: 'jobs.control', admin: 'users.manage' } as const;

function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S{1,1000})$/i.exec(header);
  if (!match) throw new SwitchyardError('SWY_ERR_AUTH_REQUIRED', 'Authorization must be "Bearer <token>"');
  return match[1];
}
