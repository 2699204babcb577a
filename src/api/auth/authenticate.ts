import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../engine/actor.js';
import { type Role, roleAllows, SwitchyardError } from '../../model/index.js';
import type { Store } from '../../store/store.js';

export const SESSION_COOKIE = 'swy_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Who may call a route: anyone, a worker token, or a person of at least this role. */
export type Access = 'public' | 'worker' | Exclude<Role, 'worker'>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    actor: Actor;
  }
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the caller before every route but the public ones: a bearer token (any route, no
 * CSRF header needed) or the session cookie (state-changing requests must echo the session's
 * CSRF token in `X-CSRF-Token`). Then checks the route's access level. Site scope is checked
 * where a site is known (engine and routes), never trusted from the client.
 */
export function authenticator(store: Store, clock: () => number) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const access = request.routeOptions.config?.access ?? 'admin';
    if (access === 'public') return;
    const actor = (await fromBearer(request)) ?? (await fromSession(request));
    if (!actor) throw new SwitchyardError('SWY_ERR_AUTH_REQUIRED');
    request.actor = actor;
    if (access === 'worker') {
      if (actor.role !== 'worker' && actor.role !== 'admin')
        throw new SwitchyardError('SWY_ERR_AUTH_FORBIDDEN', 'Only worker or admin tokens may use the worker protocol');
      return;
    }
    if (!roleAllows(actor.role, access)) throw new SwitchyardError('SWY_ERR_AUTH_FORBIDDEN', `This needs the ${access} role; you are ${actor.role}`);
  };

  async function fromBearer(request: FastifyRequest): Promise<Actor | null> {
    const header = request.headers.authorization;
    if (!header) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new SwitchyardError('SWY_ERR_AUTH_REQUIRED', 'Authorization must be "Bearer <token>"');
    const token = await store.findToken(sha256(match[1]));
    if (!token) throw new SwitchyardError('SWY_ERR_AUTH_REQUIRED', 'Unknown or revoked token');
    const now = clock();
    // Coarse: one write per token a minute is enough to show when a token was last used.
    if (token.lastUsedAt === null || now - token.lastUsedAt > 60_000) await store.touchToken(token.id, now);
    return { name: `token:${token.name}`, role: token.role, sites: token.sites };
  }

  async function fromSession(request: FastifyRequest): Promise<Actor | null> {
    const sessionId = request.cookies?.[SESSION_COOKIE];
    if (!sessionId) return null;
    const session = await store.findSession(sha256(sessionId), clock());
    if (!session) return null;
    if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
      throw new SwitchyardError('SWY_ERR_AUTH_CSRF');
    }
    const user = await store.getUser(session.userId);
    if (!user) return null;
    return { name: user.username, role: user.role, sites: user.sites };
  }
}
