import { z } from 'zod';
import type { Role } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { sha256 } from '../auth/authenticate.js';
import { hashPassword, newSecret } from '../auth/passwords.js';
import { pageQuery, roleSchema, sitesSchema } from '../schemas.js';

/** Tokens, users and the audit log. */
export function adminRoutes(app: App, { engine }: ApiContext): void {
  const { store } = engine;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

  app.post('/tokens', {
    config: { access: 'admin' },
    schema: {
      tags: ['auth'],
      summary: 'Create an API token; the secret is shown once, in this answer',
      body: z.object({ name: z.string().min(1).max(200), role: roleSchema, sites: sitesSchema }),
    },
    handler: async (request, reply) => {
      const secret = newSecret('swy_');
      const token = await store.createToken({
        name: request.body.name,
        tokenHash: sha256(secret),
        role: request.body.role as Role,
        sites: request.body.sites ?? null,
        createdBy: request.actor.name,
        createdAt: engine.clock(),
      });
      await engine.audit(request.actor, 'token.create', `token:${token.id}`, null, { name: token.name, role: token.role });
      return reply.code(201).send({ id: token.id, name: token.name, role: token.role, sites: token.sites, createdAt: iso(token.createdAt), token: secret });
    },
  });

  app.get('/tokens', {
    config: { access: 'admin' },
    schema: { tags: ['auth'], summary: 'API tokens (without their secrets)' },
    handler: async () => ({
      items: (await store.listTokens()).map((t) => ({
        id: t.id,
        name: t.name,
        role: t.role,
        sites: t.sites,
        createdBy: t.createdBy,
        createdAt: iso(t.createdAt),
        lastUsedAt: iso(t.lastUsedAt),
      })),
    }),
  });

  app.post('/users', {
    config: { access: 'admin' },
    schema: {
      tags: ['auth'],
      summary: 'Add a user',
      body: z.object({
        username: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits and . _ @ - only, at most 64'),
        password: z.string().min(8, 'at least 8 characters').max(1000),
        role: roleSchema.refine((role) => role !== 'worker', 'people are viewer, operator or admin'),
        sites: sitesSchema,
      }),
    },
    handler: async (request, reply) => {
      const { username, password, role, sites } = request.body;
      const user = await store.createUser({
        username,
        passwordHash: await hashPassword(password),
        role: role as Role,
        sites: sites ?? null,
        createdAt: engine.clock(),
      });
      await engine.audit(request.actor, 'user.create', `user:${user.username}`, null, { role: user.role });
      return reply.code(201).send({ id: user.id, username: user.username, role: user.role, sites: user.sites, createdAt: iso(user.createdAt) });
    },
  });

  app.get('/users', {
    config: { access: 'admin' },
    schema: { tags: ['auth'], summary: 'Users' },
    handler: async () => ({
      items: (await store.listUsers()).map((u) => ({ id: u.id, username: u.username, role: u.role, sites: u.sites, createdAt: iso(u.createdAt) })),
    }),
  });

  app.get('/audit', {
    config: { access: 'operator' },
    schema: { tags: ['audit'], summary: 'Who did what, newest first', querystring: pageQuery.extend({ target: z.string().max(200).optional() }) },
    handler: async (request) => {
      const page = await store.listAudit({
        sites: request.actor.sites,
        target: request.query.target,
        cursor: request.query.cursor ?? null,
        limit: request.query.limit,
      });
      return { items: page.items.map((a) => ({ ...a, at: iso(a.at) })), nextCursor: page.nextCursor };
    },
  });

  app.get('/audit/:kind/:id', {
    config: { access: 'operator' },
    schema: {
      tags: ['audit'],
      summary: 'Audit entries about one object, e.g. /audit/job/12',
      params: z.object({ kind: z.enum(['job', 'queue', 'user', 'token']), id: z.string().max(200) }),
    },
    handler: async (request) => {
      if (request.params.kind === 'job') await engine.visibleJob(Number(request.params.id), request.actor);
      const page = await store.listAudit({ sites: request.actor.sites, target: `${request.params.kind}:${request.params.id}`, limit: 500 });
      return { items: page.items.map((a) => ({ ...a, at: iso(a.at) })) };
    },
  });
}
