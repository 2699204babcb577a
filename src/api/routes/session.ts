import { z } from 'zod';
import { SESSION_TTL_MS } from '../../engine/auth-verbs.js';
import type { ApiContext, App } from '../api-context.js';
import { SESSION_COOKIE } from '../auth/authenticate.js';
import { actorDto } from '../dto.js';

/** Sign in and out of the console, and who am I. */
export function sessionRoutes(app: App, { engine }: ApiContext): void {
  app.post('/session', {
    config: { access: 'public' },
    schema: {
      tags: ['auth'],
      summary: 'Sign in: sets the session cookie and returns the CSRF token (throttled after failures: 429 with Retry-After)',
      body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
    },
    handler: async (request, reply) => {
      const { username, password } = request.body;
      const signedIn = await engine.auth.signIn({ username, password, address: request.ip });
      reply.setCookie(SESSION_COOKIE, signedIn.sessionId, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: request.protocol === 'https',
        maxAge: SESSION_TTL_MS / 1000,
      });
      return { user: actorDto(signedIn.actor), csrfToken: signedIn.csrfToken };
    },
  });

  app.delete('/session', {
    config: { access: 'viewer', status: 204 },
    schema: { tags: ['auth'], summary: 'Sign out' },
    handler: async (request, reply) => {
      const sessionId = request.cookies[SESSION_COOKIE];
      if (sessionId) await engine.auth.signOut(sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  });

  app.get('/me', {
    config: { access: 'viewer' },
    schema: { tags: ['auth'], summary: 'The caller, and for a session its CSRF token' },
    handler: async (request) => ({ user: actorDto(request.actor), csrfToken: request.csrfToken }),
  });
}
