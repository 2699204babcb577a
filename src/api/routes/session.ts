import { z } from 'zod';
import { SwitchyardError } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { SESSION_COOKIE, SESSION_TTL_MS, sha256 } from '../auth/authenticate.js';
import { newSecret, verifyPassword } from '../auth/passwords.js';
import { actorDto } from '../dto.js';

/** Sign in and out of the console, and who am I. */
export function sessionRoutes(app: App, { engine }: ApiContext): void {
  const { store } = engine;

  app.post('/session', {
    config: { access: 'public' },
    schema: {
      tags: ['auth'],
      summary: 'Sign in: sets the session cookie and returns the CSRF token',
      body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
    },
    handler: async (request, reply) => {
      const { username, password } = request.body;
      const user = await store.findUser(username);
      // Verify against a dummy hash when the user is unknown so timing does not reveal which names exist.
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !ok) {
        await store.appendAudit({ at: engine.clock(), actor: username, action: 'login.failed', data: { ip: request.ip } });
        throw new SwitchyardError('SWY_ERR_AUTH_CREDENTIALS');
      }
      const sessionId = newSecret();
      const csrfToken = newSecret();
      const now = engine.clock();
      await store.createSession({ idHash: sha256(sessionId), userId: user.id, csrfToken, expiresAt: now + SESSION_TTL_MS });
      await store.appendAudit({ at: now, actor: user.username, action: 'login', data: { ip: request.ip } });
      reply.setCookie(SESSION_COOKIE, sessionId, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: request.protocol === 'https',
        maxAge: SESSION_TTL_MS / 1000,
      });
      return { user: actorDto({ name: user.username, role: user.role, sites: user.sites }), csrfToken };
    },
  });

  app.delete('/session', {
    config: { access: 'viewer' },
    schema: { tags: ['auth'], summary: 'Sign out' },
    handler: async (request, reply) => {
      const sessionId = request.cookies[SESSION_COOKIE];
      if (sessionId) await store.deleteSession(sha256(sessionId));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  });

  app.get('/me', {
    config: { access: 'viewer' },
    schema: { tags: ['auth'], summary: 'The caller, and for a session its CSRF token' },
    handler: async (request) => {
      const sessionId = request.cookies[SESSION_COOKIE];
      const session = sessionId && !request.headers.authorization ? await store.findSession(sha256(sessionId), engine.clock()) : null;
      return { user: actorDto(request.actor), csrfToken: session?.csrfToken ?? null };
    },
  });
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
