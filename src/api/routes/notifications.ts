import { z } from 'zod';
import type { ApiContext, App } from '../api-context.js';
import { deliveryDto, subscriptionDto } from '../dto.js';
import { emailSchema, idParam, name } from '../schemas.js';

const TAG = { tags: ['notifications'] };

const channel = {
  channel: z.enum(['email', 'webhook', 'console']),
  address: emailSchema.optional(),
  url: z.string().url().max(2000).optional(),
};
const END_STATES = ['success', 'error', 'failure', 'skipped', 'cancelled', 'unknown'] as const;

/**
 * Subscriptions to a job's end and site rules; a subscription's delivery log; the console
 * inbox. A caller sees and deletes only its own subscriptions (see NotifyVerbs). A webhook's
 * signing secret is answered once, on creation; its URL is never answered whole.
 */
export function notificationRoutes(app: App, { engine }: ApiContext): void {
  app.post('/jobs/:id/subscriptions', {
    config: { access: 'viewer', status: 201 },
    schema: {
      ...TAG,
      summary: 'Be told when a job ends (or fails): by e-mail (your own address by default), signed webhook or in the console',
      params: idParam,
      body: z.object({ ...channel, on: z.enum(['end', 'failure']).default('end') }).strict(),
    },
    handler: async (request, reply) => reply.code(201).send(subscriptionDto(await engine.notify.subscribeJob(request.params.id, request.body, request.actor))),
  });

  app.post('/envelopes/:id/subscriptions', {
    config: { access: 'viewer', status: 201 },
    schema: {
      ...TAG,
      summary: 'Be told when an envelope ends (or ends with errors or corrupt): by e-mail, signed webhook or in the console',
      params: idParam,
      body: z.object({ ...channel, on: z.enum(['end', 'failure']).default('end') }).strict(),
    },
    handler: async (request, reply) =>
      reply.code(201).send(subscriptionDto(await engine.notify.subscribeEnvelope(request.params.id, request.body, request.actor))),
  });

  app.post('/schedules/:id/subscriptions', {
    config: { access: 'viewer', status: 201 },
    schema: {
      ...TAG,
      summary: 'Be told when each job a schedule fires ends (or fails): by e-mail, signed webhook or in the console',
      params: idParam,
      body: z.object({ ...channel, on: z.enum(['end', 'failure']).default('end') }).strict(),
    },
    handler: async (request, reply) =>
      reply.code(201).send(subscriptionDto(await engine.notify.subscribeSchedule(request.params.id, request.body, request.actor))),
  });

  app.post('/subscriptions', {
    config: { access: 'viewer', status: 201 },
    schema: {
      ...TAG,
      summary: 'A site rule: be told of every job ending at a site (or all your sites) in the states named',
      body: z
        .object({
          ...channel,
          site: name.optional(),
          allSites: z.boolean().optional(),
          events: z.array(z.enum(END_STATES)).max(END_STATES.length).default([]),
          delivery: z.enum(['immediate', 'hourly', 'daily']).default('immediate'),
          timezone: z.string().min(1).max(100).default('UTC'),
        })
        .strict()
        // One or the other: a rule naming a site and all sites at once would silently be the wider.
        .refine((body) => !(body.allSites === true && body.site !== undefined), { message: 'give site or allSites, not both', path: ['allSites'] }),
    },
    handler: async (request, reply) => reply.code(201).send(subscriptionDto(await engine.notify.subscribeSite(request.body, request.actor))),
  });

  app.get('/subscriptions', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'Your subscriptions (each with the job, envelope or schedule it targets) and site rules' },
    handler: async (request) => ({ items: (await engine.notify.list(request.actor)).map(subscriptionDto), nextCursor: null }),
  });

  app.delete('/subscriptions/:id', {
    config: { access: 'viewer', status: 204 },
    schema: { ...TAG, summary: 'Remove one of your subscriptions', params: idParam },
    handler: async (request, reply) => {
      await engine.notify.delete(request.params.id, request.actor);
      return reply.code(204).send();
    },
  });

  app.get('/subscriptions/:id/deliveries', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: "A subscription's delivery log: status, attempts, last error", params: idParam },
    handler: async (request) => ({ items: (await engine.notify.deliveries(request.params.id, request.actor)).map(deliveryDto), nextCursor: null }),
  });

  app.get('/notifications', {
    config: { access: 'viewer' },
    schema: { ...TAG, summary: 'Your console notifications, newest first, with the unread count' },
    handler: async (request) => {
      const inbox = await engine.notify.inbox(request.actor);
      return { items: inbox.items.map(deliveryDto), unread: inbox.unread, nextCursor: null };
    },
  });

  app.post('/notifications/read', {
    config: { access: 'viewer' },
    schema: {
      ...TAG,
      summary: 'Mark console notifications read (all without ids)',
      body: z.object({ ids: z.array(z.number().int().positive()).max(1000).optional() }).strict(),
    },
    handler: async (request) => ({ marked: await engine.notify.markRead(request.body.ids ?? null, request.actor) }),
  });
}
