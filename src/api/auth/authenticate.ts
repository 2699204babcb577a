import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Engine } from '../../engine/engine.js';
import { type Actor, authorize, type Role, SwitchyardError } from '../../model/index.js';

export const SESSION_COOKIE = 'swy_session';

/** Who may call a route: anyone, a worker token, or a person of at least this role. */
export type Access = 'public' | 'worker' | Exclude<Role, 'worker'>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
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
    const bearer = bearerOf(request);
    let actor: Actor | null = null;
    request.csrfToken = null;
    if (bearer !== null) actor = await engine.auth.fromBearer(bearer);
    else {
      const sessionId = request.cookies?.[SESSION_COOKIE];
      const session = sessionId ? await engine.auth.fromSession(sessionId) : null;
      if (session) {
        if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) throw new SwitchyardError('SWY_ERR_AUTH_CSRF');
        actor = session.actor;
        request.csrfToken = session.csrfToken;
      }
    }
    if (!actor) throw new SwitchyardError('SWY_ERR_AUTH_REQUIRED');
    request.actor = actor;
    authorize(actor, access === 'worker' ? 'worker.protocol' : ROUTE_PERMISSION[access]);
  };
}

const ROUTE_PERMISSION = { viewer: 'self.read', operator: 'jobs.control', admin: 'users.manage' } as const;

function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S{1,1000})$/i.exec(header);
  if (!match) throw new SwitchyardError('SWY_ERR_AUTH_REQUIRED', 'Authorization must be "Bearer <token>"');
  return match[1];
}
