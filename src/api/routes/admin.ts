import { z } from 'zod';
import type { TokenView, UserView } from '../../engine/auth-verbs.js';
import { iso } from '../../engine/engine-core.js';
import type { ApiContext, App } from '../api-context.js';
import { decimalId, emailSchema, idParam, instant, name, nameParam, pageQuery, roleSchema, sitesSchema, usernameSchema, userRoleSchema } from '../schemas.js';

const AUTH = { tags: ['auth'] };

function userDto(user: UserView) {
  return { ...user, createdAt: iso(user.createdAt), passwordChangedAt: iso(user.passwordChangedAt) };
}

function tokenDto(token: TokenView) {
  return {
    ...token,
    createdAt: iso(token.createdAt),
    lastUsedAt: iso(token.lastUsedAt),
    expiresAt: iso(token.expiresAt),
    revokedAt: iso(token.revokedAt),
    state: token.revokedAt !== null ? 'revoked' : token.expiresAt !== null && token.expiresAt <= Date.now() ? 'expired' : 'active',
  };
}

const passwordSchema = z.string().min(1).max(1000);

/** Tokens, users and the audit log. Every check and audit entry is the engine's. */
export function adminRoutes(app: App, { engine }: ApiContext): void {
  app.post('/tokens', {
    config: { access: 'admin', status: 201 },
    schema: {
      ...AUTH,
      summary: 'Create an API token; the secret is shown once, in this answer',
      body: z
        .object({
          name,
          role: roleSchema,
          sites: sitesSchema,
          expiresAt: instant.nullable().optional(),
          expiresInDays: z.number().int().min(1).max(3650).optional(),
        })
        .strict()
        .refine((body) => body.expiresAt == null || body.expiresInDays === undefined, {
          path: ['expiresInDays'],
          message: 'give expiresAt or expiresInDays, not both',
        }),
    },
    handler: async (request, reply) => {
      const { name, role, sites, expiresAt, expiresInDays } = request.body;
      const expires = expiresAt ?? (expiresInDays ? engine.clock() + expiresInDays * 86_400_000 : null);
      const token = await engine.auth.createToken(request.actor, { name, role, sites, expiresAt: expires });
      return reply.code(201).send({ ...tokenDto(token), token: token.token });
    },
  });

  app.get('/tokens', {
    config: { access: 'admin' },
    schema: { ...AUTH, summary: 'API tokens (never their secrets), revoked and expired ones included' },
    handler: async (request) => ({ items: (await engine.auth.listTokens(request.actor)).map(tokenDto), nextCursor: null }),
  });

  app.delete('/tokens/:id', {
    config: { access: 'admin' },
    schema: {
      ...AUTH,
      summary: 'Revoke a token: the next request that carries it is refused',
      params: idParam,
    },
    handler: async (request) => tokenDto(await engine.auth.revokeToken(request.actor, request.params.id)),
  });

  app.post('/users', {
    config: { access: 'admin', status: 201 },
    schema: {
      ...AUTH,
      summary: 'Add a user',
      body: z
        .object({ username: usernameSchema, password: passwordSchema, role: userRoleSchema, sites: sitesSchema, email: emailSchema.nullable().optional() })
        .strict(),
    },
    handler: async (request, reply) => {
      const { username, password, role, sites, email } = request.body;
      const user = await engine.auth.createUser(request.actor, { username, password, role, sites, email });
      return reply.code(201).send(userDto(user));
    },
  });

  app.get('/users', {
    config: { access: 'admin' },
    schema: { ...AUTH, summary: 'Users you manage' },
    handler: async (request) => ({ items: (await engine.auth.listUsers(request.actor)).map(userDto), nextCursor: null }),
  });

  app.patch('/users/:name', {
    config: { access: 'admin' },
    schema: {
      ...AUTH,
      summary: "Change a user's role, sites or e-mail address, disable or enable them, or reset their password (signs them out everywhere)",
      params: nameParam,
      body: z
        .object({
          role: userRoleSchema.optional(),
          sites: sitesSchema,
          disabled: z.boolean().optional(),
          password: passwordSchema.optional(),
          email: emailSchema.nullable().optional(),
        })
        .strict(),
    },
    handler: async (request) => {
      const { role, ...rest } = request.body;
      return userDto(await engine.auth.updateUser(request.actor, request.params.name, { ...rest, ...(role ? { role } : {}) }));
    },
  });

  app.post('/me/password', {
    config: { access: 'viewer', status: 204 },
    schema: {
      ...AUTH,
      summary: 'Change your own password (your other sessions end)',
      body: z.object({ currentPassword: passwordSchema, newPassword: passwordSchema }).strict(),
    },
    handler: async (request, reply) => {
      await engine.auth.changeOwnPassword(request.actor, request.body.currentPassword, request.body.newPassword);
      return reply.code(204).send();
    },
  });

  app.get('/audit', {
    config: { access: 'operator' },
    schema: {
      tags: ['audit'],
      summary: 'Who did what, newest first',
      querystring: pageQuery.extend({
        target: z.string().max(200).optional(),
        actor: z.string().max(200).optional(),
        action: z.string().max(200).optional(),
        site: z.string().min(1).max(200).optional(),
        from: instant.optional(),
        to: instant.optional(),
      }),
    },
    handler: async (request) => {
      const { cursor, ...query } = request.query;
      const page = await engine.reads.audit({ ...query, cursor: cursor ?? null }, request.actor);
      return { items: page.items.map((a) => ({ ...a, at: iso(a.at) })), nextCursor: page.nextCursor };
    },
  });

  app.get('/audit/:kind/:id', {
    config: { access: 'operator' },
    schema: {
      tags: ['audit'],
      summary: 'Audit entries about one object, e.g. /audit/job/12',
      params: z
        .object({ kind: z.enum(['job', 'queue', 'user', 'token']), id: z.string().min(1).max(200) })
        // Jobs and tokens are named by their decimal id, as everywhere.
        .refine(({ kind, id }) => (kind !== 'job' && kind !== 'token') || decimalId.safeParse(id).success, {
          path: ['id'],
          message: 'a positive whole number in decimal digits',
        }),
    },
    handler: async (request) => {
      const items = await engine.reads.auditOf(request.params.kind, request.params.id, request.actor);
      return { items: items.map((a) => ({ ...a, at: iso(a.at) })), nextCursor: null };
    },
  });
}
