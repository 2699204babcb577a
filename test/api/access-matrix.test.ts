import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type RunningHub, startTestHub } from '../helpers/hub-process.js';
import { hubStores } from '../helpers/store-harness.js';

/**
 * Every route of the OpenAPI document × every kind of caller × a target at the caller's own
 * site and at another site, on both stores. Asserts the status class each combination must get
 * and that no answer a site-limited caller receives mentions another site's data. A route
 * missing from ROUTES fails the test: a new route must say who may call it.
 *
 * Sites: `east` (the limited callers' own) and `west` (another site). Names that carry site
 * data (workers, tokens, users) contain the site's name, so a leak is a substring away.
 */

type Level = 'public' | 'viewer' | 'operator' | 'admin' | 'worker';
type Target = 'own' | 'other';

interface Identity {
  name: string;
  role: 'viewer' | 'operator' | 'admin' | 'worker' | null;
  /** null: every site. */
  sites: string[] | null;
  /** How the caller presents itself; null: anonymous. */
  auth: { token: string } | { cookie: string; csrf: string } | null;
  /** A credential that must be refused (revoked, expired, disabled). */
  dead?: boolean;
}

interface Fixture {
  hub: RunningHub;
  job: Record<Target, number>;
  task: Record<Target, number>;
  /** Leases a fresh task at a site as that site's worker. */
  lease(site: string): Promise<{ taskId: number; leaseToken: string } | null>;
  /** West leases handed to east-limited callers: they must still be held, untouched, at the end. */
  foreignLeases: { taskId: number; leaseToken: string }[];
  westWorkerToken: string;
  freshJob(site: string): Promise<number>;
  /** A fresh job at a site with a complete transfer blob uploaded for it. */
  freshBlob(site: string): Promise<{ jobId: number; sha256: string }>;
  freshToken(site: string): Promise<number>;
  /** A new schedule at a site (named after it, so a leak shows). */
  freshSchedule(site: string): Promise<number>;
  user: Record<Target, string>;
}

interface Call {
  path: string;
  body?: unknown;
}

interface RouteSpec {
  level: Level;
  /** Bound to a site through its target (a job, task, user, token, site name). */
  siteBound: boolean;
  /** Only callers who see every site may do it (queue settings). */
  allSitesOnly?: boolean;
  /** Tokens get 403: only signed-in users may do it. */
  usersOnly?: boolean;
  call(fx: Fixture, target: Target, who: Identity): Promise<Call> | Call;
  /** Overrides the statuses a caller that passed the access checks gets. */
  reached?: (who: Identity) => number[];
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

const site = (target: Target) => (target === 'own' ? 'east' : 'west');

/** Schedules, walked before the worker routes so that the leases those take stay fresh. */
let scheduleNames = 0;
const SCHEDULE_ROUTES: Record<string, RouteSpec> = {
  'GET /api/v1/schedules': { level: 'viewer', siteBound: false, call: () => ({ path: '/schedules' }) },
  'POST /api/v1/schedules': {
    level: 'operator',
    siteBound: true,
    call: (_fx, t) => ({
      path: '/schedules',
      body: {
        name: `sched-${site(t)}-new-${++scheduleNames}`,
        workflow: 'simulate',
        site: site(t),
        fields: { tasks: 1, items: 1, delayMs: 0 },
        everyMs: 3_600_000,
      },
    }),
  },
  'GET /api/v1/schedules/{id}': { level: 'viewer', siteBound: true, call: async (fx, t) => ({ path: `/schedules/${await fx.freshSchedule(site(t))}` }) },
  'PATCH /api/v1/schedules/{id}': {
    level: 'operator',
    siteBound: true,
    call: async (fx, t) => ({ path: `/schedules/${await fx.freshSchedule(site(t))}`, body: { enabled: false } }),
  },
  'DELETE /api/v1/schedules/{id}': { level: 'operator', siteBound: true, call: async (fx, t) => ({ path: `/schedules/${await fx.freshSchedule(site(t))}` }) },
  'POST /api/v1/schedules/{id}/run': {
    level: 'operator',
    siteBound: true,
    call: async (fx, t) => ({ path: `/schedules/${await fx.freshSchedule(site(t))}/run`, body: {} }),
  },
};

/** A new envelope at a site (one small job), submitted by the hub's own admin token. */
const freshEnvelope = async (fx: Fixture, s: string): Promise<number> => {
  const body = { type: 'jobs', site: s, jobs: [{ workflow: 'simulate', site: s, fields: { tasks: 1, items: 1, delayMs: 0 } }] };
  return ((await (await fx.hub.api('/api/v1/envelopes', { method: 'POST', json: body })).json()) as { id: number }).id;
};

const ENVELOPE_ROUTES: Record<string, RouteSpec> = {
  'GET /api/v1/envelopes': { level: 'viewer', siteBound: false, call: () => ({ path: '/envelopes' }) },
  'GET /api/v1/envelope-types': { level: 'viewer', siteBound: false, call: () => ({ path: '/envelope-types' }) },
  'POST /api/v1/envelopes': {
    level: 'operator',
    siteBound: true,
    call: (_fx, t) => ({
      path: '/envelopes',
      body: { type: 'jobs', site: site(t), jobs: [{ workflow: 'simulate', site: site(t), fields: { tasks: 1, items: 1, delayMs: 0 } }] },
    }),
  },
  'GET /api/v1/envelopes/{id}': { level: 'viewer', siteBound: true, call: async (fx, t) => ({ path: `/envelopes/${await freshEnvelope(fx, site(t))}` }) },
  'GET /api/v1/envelopes/{id}/events': {
    level: 'viewer',
    siteBound: true,
    call: async (fx, t) => ({ path: `/envelopes/${await freshEnvelope(fx, site(t))}/events` }),
  },
  'POST /api/v1/envelopes/{id}/cancel': {
    level: 'operator',
    siteBound: true,
    call: async (fx, t) => ({ path: `/envelopes/${await freshEnvelope(fx, site(t))}/cancel` }),
  },
  'POST /api/v1/envelopes/{id}/retry': {
    level: 'operator',
    siteBound: true,
    call: async (fx, t) => ({ path: `/envelopes/${await freshEnvelope(fx, site(t))}/retry` }),
  },
  'POST /api/v1/envelopes/{id}/rollback': {
    level: 'operator',
    siteBound: true,
    call: async (fx, t) => ({ path: `/envelopes/${await freshEnvelope(fx, site(t))}/rollback` }),
  },
  'DELETE /api/v1/envelopes/{id}': {
    level: 'admin',
    siteBound: true,
    call: async (fx, t) => ({ path: `/envelopes/${await freshEnvelope(fx, site(t))}` }),
  },
  'POST /api/v1/jobs/{id}/rollback': { level: 'operator', siteBound: true, call: async (fx, t) => ({ path: `/jobs/${await fx.freshJob(site(t))}/rollback` }) },
};

const ROUTES: Record<string, RouteSpec> = {
  'GET /health': { level: 'public', siteBound: false, call: () => ({ path: '/health' }) },
  // Metrics span every site: admins of all sites only.
  'GET /metrics': { level: 'admin', siteBound: false, allSitesOnly: true, call: () => ({ path: '/metrics' }) },
  'POST /api/v1/session': {
    level: 'public',
    siteBound: false,
    // Wrong on purpose: refused, and throttled once the same name failed from here a few times.
    reached: () => [401, 429],
    call: () => ({ path: '/session', body: { username: 'nobody', password: 'wrong' } }),
  },
  'DELETE /api/v1/session': { level: 'viewer', siteBound: false, call: () => ({ path: '/session' }) },
  'GET /api/v1/me': { level: 'viewer', siteBound: false, call: () => ({ path: '/me' }) },
  'POST /api/v1/me/password': {
    level: 'viewer',
    siteBound: false,
    usersOnly: true,
    // The current password is wrong on purpose (a right one would end the caller's sessions).
    reached: () => [401],
    call: () => ({ path: '/me/password', body: { currentPassword: 'wrong wrong wrong', newPassword: 'never applied here 123' } }),
  },
  'POST /api/v1/jobs': {
    level: 'operator',
    siteBound: true,
    call: (_fx, t) => ({ path: '/jobs', body: { workflow: 'simulate', site: site(t), fields: { tasks: 1, items: 1, delayMs: 0 } } }),
  },
  'POST /api/v1/jobs/bulk': {
    level: 'operator',
    siteBound: true,
    call: (_fx, t) => ({ path: '/jobs/bulk', body: { jobs: [{ workflow: 'simulate', site: site(t), fields: { tasks: 1, items: 1, delayMs: 0 } }] } }),
  },
  'GET /api/v1/jobs': { level: 'viewer', siteBound: false, call: () => ({ path: '/jobs?limit=500' }) },
  'GET /api/v1/jobs/export': { level: 'viewer', siteBound: false, call: () => ({ path: '/jobs/export?format=csv' }) },
  'GET /api/v1/jobs/total': { level: 'viewer', siteBound: false, call: () => ({ path: '/jobs/total' }) },
  'GET /api/v1/jobs/{id}': { level: 'viewer', siteBound: true, call: (fx, t) => ({ path: `/jobs/${fx.job[t]}` }) },
  'DELETE /api/v1/jobs/{id}': { level: 'admin', siteBound: true, call: async (fx, t) => ({ path: `/jobs/${await fx.freshJob(site(t))}` }) },
  'GET /api/v1/jobs/{id}/tasks': { level: 'viewer', siteBound: true, call: (fx, t) => ({ path: `/jobs/${fx.job[t]}/tasks` }) },
  'GET /api/v1/jobs/{id}/items': { level: 'viewer', siteBound: true, call: (fx, t) => ({ path: `/jobs/${fx.job[t]}/items` }) },
  'GET /api/v1/jobs/{id}/sites': { level: 'viewer', siteBound: true, call: (fx, t) => ({ path: `/jobs/${fx.job[t]}/sites` }) },
  'GET /api/v1/jobs/{id}/items/history': {
    level: 'viewer',
    siteBound: true,
    call: (fx, t) => ({ path: `/jobs/${fx.job[t]}/items/history?path=${encodeURIComponent(`/${site(t)}/item-0`)}` }),
  },
  'GET /api/v1/jobs/{id}/changes': { level: 'viewer', siteBound: true, call: (fx, t) => ({ path: `/jobs/${fx.job[t]}/changes` }) },
  // The fixture's jobs record no changes: a caller who may read the job learns only that this one is not there.
  'GET /api/v1/jobs/{id}/changes/{changeId}': {
    level: 'viewer',
    siteBound: true,
    reached: () => [404],
    call: (fx, t) => ({ path: `/jobs/${fx.job[t]}/changes/1` }),
  },
  'GET /api/v1/jobs/{id}/compare': { level: 'viewer', siteBound: true, call: (fx, t) => ({ path: `/jobs/${fx.job[t]}/compare` }) },
  'GET /api/v1/jobs/{id}/items/stats': { level: 'viewer', siteBound: true, call: (fx, t) => ({ path: `/jobs/${fx.job[t]}/items/stats` }) },
  'GET /api/v1/tasks/{id}': { level: 'viewer', siteBound: true, call: (fx, t) => ({ path: `/tasks/${fx.task[t]}` }) },
  'GET /api/v1/tasks/{id}/output': { level: 'viewer', siteBound: true, call: (fx, t) => ({ path: `/tasks/${fx.task[t]}/output` }) },
  'GET /api/v1/queues': { level: 'viewer', siteBound: false, call: () => ({ path: '/queues' }) },
  'PATCH /api/v1/queues/{name}': {
    level: 'admin',
    siteBound: false,
    allSitesOnly: true,
    call: () => ({ path: '/queues/default', body: { pauseOnFailure: false } }),
  },
  'POST /api/v1/jobs/{id}/subscriptions': {
    level: 'viewer',
    siteBound: true,
    call: (fx, t) => ({ path: `/jobs/${fx.job[t]}/subscriptions`, body: { channel: 'console', on: 'end' } }),
  },
  'POST /api/v1/envelopes/{id}/subscriptions': {
    level: 'viewer',
    siteBound: true,
    call: async (fx, t) => ({ path: `/envelopes/${await freshEnvelope(fx, site(t))}/subscriptions`, body: { channel: 'console', on: 'end' } }),
  },
  'POST /api/v1/schedules/{id}/subscriptions': {
    level: 'viewer',
    siteBound: true,
    call: async (fx, t) => ({ path: `/schedules/${await fx.freshSchedule(site(t))}/subscriptions`, body: { channel: 'console', on: 'failure' } }),
  },
  'POST /api/v1/subscriptions': {
    level: 'viewer',
    siteBound: true,
    call: (_fx, t) => ({ path: '/subscriptions', body: { channel: 'console', site: site(t) } }),
  },
  'GET /api/v1/subscriptions': { level: 'viewer', siteBound: false, call: () => ({ path: '/subscriptions' }) },
  // Subscriptions are their owner's: another's (or none) answers 404 whoever asks.
  'DELETE /api/v1/subscriptions/{id}': { level: 'viewer', siteBound: false, call: () => ({ path: '/subscriptions/999999' }) },
  'GET /api/v1/subscriptions/{id}/deliveries': { level: 'viewer', siteBound: false, call: () => ({ path: '/subscriptions/999999/deliveries' }) },
  'GET /api/v1/notifications': { level: 'viewer', siteBound: false, call: () => ({ path: '/notifications' }) },
  'POST /api/v1/notifications/read': { level: 'viewer', siteBound: false, call: () => ({ path: '/notifications/read', body: {} }) },
  // Bulk actions: a preview counts only the caller's sites and does nothing; the operations
  // asked for here do not exist (404 for whoever passes the access checks).
  'POST /api/v1/jobs/bulk-actions': {
    level: 'operator',
    siteBound: false,
    call: () => ({ path: '/jobs/bulk-actions', body: { action: 'cancel', filter: {}, preview: true } }),
  },
  'GET /api/v1/operations': { level: 'viewer', siteBound: false, call: () => ({ path: '/operations' }) },
  'GET /api/v1/operations/{id}': { level: 'viewer', siteBound: false, reached: () => [404], call: () => ({ path: '/operations/999999' }) },
  'POST /api/v1/operations/{id}/cancel': { level: 'operator', siteBound: false, reached: () => [404], call: () => ({ path: '/operations/999999/cancel' }) },
  'GET /api/v1/dashboard': { level: 'viewer', siteBound: true, call: (_fx, t) => ({ path: `/dashboard?site=${site(t)}` }) },
  'GET /api/v1/workflows': { level: 'viewer', siteBound: false, call: () => ({ path: '/workflows' }) },
  'GET /api/v1/sites': { level: 'viewer', siteBound: false, call: () => ({ path: '/sites' }) },
  'GET /api/v1/workers': { level: 'viewer', siteBound: false, call: () => ({ path: '/workers' }) },
  'GET /api/v1/events': { level: 'viewer', siteBound: false, call: () => ({ path: '/events?after=0' }) },
  'GET /api/v1/audit': { level: 'operator', siteBound: false, call: () => ({ path: '/audit?limit=500' }) },
  'GET /api/v1/audit/{kind}/{id}': { level: 'operator', siteBound: true, call: (fx, t) => ({ path: `/audit/job/${fx.job[t]}` }) },
  'POST /api/v1/tokens': {
    level: 'admin',
    siteBound: true,
    call: (_fx, t) => ({ path: '/tokens', body: { name: `made-${site(t)}`, role: 'viewer', sites: [site(t)] } }),
  },
  'GET /api/v1/tokens': { level: 'admin', siteBound: false, call: () => ({ path: '/tokens' }) },
  'DELETE /api/v1/tokens/{id}': { level: 'admin', siteBound: true, call: async (fx, t) => ({ path: `/tokens/${await fx.freshToken(site(t))}` }) },
  'POST /api/v1/users': {
    level: 'admin',
    siteBound: true,
    call: (_fx, t) => ({
      path: '/users',
      body: { username: `u-${site(t)}-${Math.random().toString(36).slice(2, 8)}`, password: 'a fine long passphrase', role: 'viewer', sites: [site(t)] },
    }),
  },
  'GET /api/v1/users': { level: 'admin', siteBound: false, call: () => ({ path: '/users' }) },
  'PATCH /api/v1/users/{name}': { level: 'admin', siteBound: true, call: (fx, t) => ({ path: `/users/${fx.user[t]}`, body: { role: 'viewer' } }) },
  ...SCHEDULE_ROUTES,
  ...ENVELOPE_ROUTES,
  'GET /api/v1/worker/transfers/{jobId}/{sha256}/status': {
    level: 'worker',
    siteBound: true,
    call: async (fx, t) => {
      const blob = await fx.freshBlob(site(t));
      return { path: `/worker/transfers/${blob.jobId}/${blob.sha256}/status` };
    },
  },
  'GET /api/v1/worker/transfers/{jobId}/{sha256}': {
    level: 'worker',
    siteBound: true,
    call: async (fx, t) => {
      const blob = await fx.freshBlob(site(t));
      return { path: `/worker/transfers/${blob.jobId}/${blob.sha256}` };
    },
  },
  'PUT /api/v1/worker/transfers/{jobId}/{sha256}': {
    level: 'worker',
    siteBound: true,
    // An empty blob: no body to send.
    call: async (fx, t) => ({ path: `/worker/transfers/${await fx.freshJob(site(t))}/${EMPTY_SHA256}?size=0&offset=0` }),
  },
  'POST /api/v1/worker/register': {
    level: 'worker',
    siteBound: true,
    call: (_fx, t, who) => ({
      path: '/worker/register',
      body: { id: `probe-${site(t)}-${who.name}`, name: `probe-${site(t)}`, site: site(t), host: 'test', workflows: ['simulate'] },
    }),
  },
  'POST /api/v1/worker/lease': {
    level: 'worker',
    siteBound: true,
    call: (_fx, t) => ({ path: '/worker/lease', body: { workerId: `probe-${site(t)}`, site: site(t), workflows: ['nothing-to-lease'], limit: 1, waitMs: 0 } }),
  },
  'POST /api/v1/worker/heartbeat': {
    level: 'worker',
    siteBound: true,
    call: async (fx, t, who) => ({ path: '/worker/heartbeat', body: { workerId: 'probe', leases: [await leaseFor(fx, t, who)] } }),
  },
  'POST /api/v1/worker/items': {
    level: 'worker',
    siteBound: true,
    call: async (fx, t, who) => ({
      path: '/worker/items',
      body: { reports: [{ ...(await leaseFor(fx, t, who)), items: [{ path: `/${site(t)}/from-${who.name}`, operation: 'probe', outcome: 'completed' }] }] },
    }),
  },
  'POST /api/v1/worker/complete': {
    level: 'worker',
    siteBound: true,
    call: async (fx, t, who) => ({
      path: '/worker/complete',
      body: { completions: [{ ...(await leaseFor(fx, t, who)), report: { kind: 'succeeded', changed: false } }] },
    }),
  },
};
for (const action of ['pause', 'resume', 'cancel', 'retry', 'resubmit']) {
  ROUTES[`POST /api/v1/jobs/{id}/${action}`] = {
    level: 'operator',
    siteBound: true,
    call: async (fx, t) => ({ path: `/jobs/${await fx.freshJob(site(t))}/${action}` }),
  };
}
for (const action of ['pause', 'resume']) {
  ROUTES[`POST /api/v1/queues/{name}/${action}`] = {
    level: 'operator',
    siteBound: false,
    allSitesOnly: true,
    call: () => ({ path: `/queues/default/${action}` }),
  };
}
ROUTES['POST /api/v1/queues/{name}/clear'] = { level: 'operator', siteBound: false, call: () => ({ path: '/queues/default/clear' }) };

/** A live lease on a fresh task at the target's site; those handed to site-limited callers are checked afterwards. */
async function leaseFor(fx: Fixture, target: Target, who: Identity) {
  const lease = (await fx.lease(site(target))) ?? { taskId: 1, leaseToken: 'none' };
  if (target === 'other' && who.sites !== null) fx.foreignLeases.push(lease);
  return lease;
}

const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

/** What a call must get: 'ok' (any 2xx, or a 4xx about the request itself), or exact statuses. */
function expected(spec: RouteSpec, who: Identity, target: Target): 'ok' | number[] {
  if (spec.level === 'public') return spec.reached?.(who) ?? 'ok';
  if (!who.auth || who.dead) return [401];
  const role = who.role as NonNullable<Identity['role']>;
  if (spec.level === 'worker') {
    if (role !== 'worker' && role !== 'admin') return [403];
  } else if (role === 'worker' || RANK[role] < RANK[spec.level]) return [403];
  if (spec.usersOnly && !('cookie' in who.auth)) return [403];
  if (spec.allSitesOnly && who.sites !== null) return [403];
  if (spec.siteBound && target === 'other' && who.sites !== null) return [403, 404, 409];
  return spec.reached?.(who) ?? 'ok';
}

const STORES = hubStores('the access matrix');

describe.each(STORES)('access matrix on $name', (store) => {
  let fx: Fixture | null = null;
  let identities: Identity[] = [];
  let cleanup = async () => {};

  beforeAll(async () => {
    const db = await store.db();
    if (!db) return;
    cleanup = db.cleanup;
    // Leases taken during setup are checked at the end: they must outlive a slow run (the matrix
    // shares two cores with the API fuzz test and took over 80 s on PostgreSQL), not the default 30 s.
    const hub = await startTestHub({ db: db.url, leaseMs: 10 * 60_000 });
    const api = async (path: string, init: { method?: string; json?: unknown; token?: string | null } = {}) => {
      const response = await hub.api(`/api/v1${path}`, init);
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    const token = async (name: string, role: string, sites: string[] | null, extra: object = {}) =>
      (await api('/tokens', { method: 'POST', json: { name, role, sites, ...extra } })) as { id: number; token: string };

    // Sites come into being when their workers register.
    const workerEast = await token('worker-east', 'worker', ['east']);
    const workerWest = await token('worker-west', 'worker', ['west']);
    for (const [w, s] of [
      [workerEast, 'east'],
      [workerWest, 'west'],
    ] as const) {
      await api('/worker/register', { method: 'POST', token: w.token, json: { id: `w-${s}`, name: `w-${s}`, site: s, host: 'test', workflows: ['simulate'] } });
    }
    const submit = async (s: string) =>
      (await api('/jobs', { method: 'POST', json: { workflow: 'simulate', site: s, fields: { tasks: 1, items: 1, delayMs: 0 } } })).id as number;
    const lease = async (w: { token: string }, s: string) =>
      (await api('/worker/lease', { method: 'POST', token: w.token, json: { workerId: `w-${s}`, site: s, workflows: ['simulate'], limit: 1, waitMs: 2000 } }))
        .tasks as { task: { id: number; jobId: number }; leaseToken: string }[];

    // One finished job per site, with an item and a log line, for the reads.
    const job: Record<Target, number> = { own: 0, other: 0 };
    const task: Record<Target, number> = { own: 0, other: 0 };
    for (const [t, w] of [
      ['own', workerEast],
      ['other', workerWest],
    ] as const) {
      const s = site(t);
      job[t] = await submit(s);
      const [leased] = await lease(w, s);
      task[t] = leased.task.id;
      await api('/worker/complete', {
        method: 'POST',
        token: w.token,
        json: {
          completions: [
            {
              taskId: leased.task.id,
              leaseToken: leased.leaseToken,
              items: [{ path: `/${s}/item-0`, operation: 'copy', outcome: 'completed' }],
              logs: [`worked at ${s}`],
              report: { kind: 'succeeded', changed: true },
            },
          ],
        },
      });
    }

    const userOf = async (name: string, sites: string[]) => {
      await api('/users', { method: 'POST', json: { username: name, password: 'a fine long passphrase', role: 'viewer', sites } });
      return name;
    };
    const user = { own: await userOf('target-east', ['east']), other: await userOf('target-west', ['west']) };

    // The callers.
    const tokenIdentity = async (name: string, role: Exclude<Identity['role'], null>, sites: string[] | null): Promise<Identity> => ({
      name,
      role,
      sites,
      auth: { token: (await token(`id-${name}`, role, sites)).token },
    });
    identities = [{ name: 'anonymous', role: null, sites: null, auth: null }];
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      identities.push(await tokenIdentity(`${role}-all`, role, null));
      identities.push(await tokenIdentity(`${role}-east`, role, ['east']));
    }
    identities.push(await tokenIdentity('worker-all', 'worker', null));
    identities.push(await tokenIdentity('worker-east', 'worker', ['east']));

    const revoked = await token('id-revoked', 'admin', null);
    await api(`/tokens/${revoked.id}`, { method: 'DELETE' });
    identities.push({ name: 'revoked-admin', role: 'admin', sites: null, auth: { token: revoked.token }, dead: true });

    const expiring = await token('id-expired', 'admin', null, { expiresAt: new Date(Date.now() + 1000).toISOString() });
    identities.push({ name: 'expired-admin', role: 'admin', sites: null, auth: { token: expiring.token }, dead: true });

    const signIn = async (username: string, password: string) => {
      const response = await hub.api('/api/v1/session', { token: null, method: 'POST', json: { username, password } });
      if (response.status !== 200) throw new Error(`sign-in of ${username}: ${response.status}`);
      return { cookie: response.headers.get('set-cookie')?.split(';')[0] ?? '', csrf: (await response.json()).csrfToken as string };
    };
    await api('/users', { method: 'POST', json: { username: 'op-east', password: 'a fine long passphrase', role: 'operator', sites: ['east'] } });
    identities.push({ name: 'operator-east-session', role: 'operator', sites: ['east'], auth: await signIn('op-east', 'a fine long passphrase') });
    await api('/users', { method: 'POST', json: { username: 'gone', password: 'a fine long passphrase', role: 'admin', sites: null } });
    const goneSession = await signIn('gone', 'a fine long passphrase');
    await api('/users/gone', { method: 'PATCH', json: { disabled: true } });
    identities.push({ name: 'disabled-admin', role: 'admin', sites: null, auth: goneSession, dead: true });
    identities.push({ name: 'admin-session', role: 'admin', sites: null, auth: await signIn('admin', ADMIN_PASSWORD) });

    // The expired token must be refused before the walk starts.
    for (let i = 0; i < 100; i++) {
      if ((await hub.api('/api/v1/me', { token: expiring.token })).status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    fx = {
      hub,
      job,
      task,
      user,
      foreignLeases: [],
      westWorkerToken: workerWest.token,
      async lease(s) {
        await submit(s);
        const [leased] = await lease(s === 'east' ? workerEast : workerWest, s);
        return leased ? { taskId: leased.task.id, leaseToken: leased.leaseToken } : null;
      },
      freshJob: submit,
      async freshBlob(s) {
        const jobId = await submit(s);
        const bytes = Buffer.from(`a blob of ${s}`);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const put = await hub.api(`/api/v1/worker/transfers/${jobId}/${sha256}?size=${bytes.length}&offset=0`, {
          method: 'PUT',
          body: bytes,
          headers: { 'content-type': 'application/octet-stream' },
        });
        if (put.status >= 300) throw new Error(`upload of a blob at ${s}: ${put.status} ${await put.text()}`);
        return { jobId, sha256 };
      },
      async freshSchedule(s) {
        const body = { name: `sched-${s}-${++scheduleNames}`, workflow: 'simulate', site: s, fields: { tasks: 1, items: 1, delayMs: 0 }, everyMs: 3_600_000 };
        return (await api('/schedules', { method: 'POST', json: body })).id as number;
      },
      async freshToken(s) {
        return (await token(`fresh-${s}`, 'viewer', [s])).id;
      },
    };
  }, 120_000);

  afterAll(async () => {
    await fx?.hub.close();
    await cleanup();
  });

  async function send(who: Identity, method: string, call: Call): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = {};
    if (who.auth && 'cookie' in who.auth) {
      headers.cookie = who.auth.cookie;
      headers['x-csrf-token'] = who.auth.csrf;
    }
    const token = who.auth && 'token' in who.auth ? who.auth.token : null;
    const controller = new AbortController();
    const url = call.path === '/health' || call.path === '/metrics' ? call.path : `/api/v1${call.path}`;
    const response = await (fx as Fixture).hub.api(url, {
      method,
      token,
      headers,
      signal: controller.signal,
      ...(call.body !== undefined ? { json: call.body } : {}),
    });
    // The event feed never ends: read its replay, up to the comment that marks the live part.
    if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      const until = Date.now() + 15_000;
      while (Date.now() < until && text.length < 200_000 && !text.includes('\n: live\n\n')) {
        const chunk = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), until - Date.now()))]);
        if (!chunk || chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
      }
      controller.abort();
      return { status: response.status, text };
    }
    return { status: response.status, text: await response.text() };
  }

  it('knows every route of the OpenAPI document', async () => {
    if (!fx) return;
    const doc = await (await fx.hub.api('/api/v1/openapi.json', { token: null })).json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const missing = documented.filter((route) => !(route in ROUTES));
    expect(missing, 'routes without an access rule in ROUTES').toEqual([]);
    expect(Object.keys(ROUTES).filter((route) => !documented.includes(route))).toEqual([]);
  });

  it('answers every route × caller × site as the access rules say, without leaking other sites', async () => {
    if (!fx) return;
    const failures: string[] = [];
    let requests = 0;
    // Signing out ends the session callers: do it last.
    const order = Object.keys(ROUTES).sort((a, b) => Number(a === 'DELETE /api/v1/session') - Number(b === 'DELETE /api/v1/session'));
    for (const route of order) {
      const spec = ROUTES[route];
      const method = route.split(' ')[0];
      for (const who of identities) {
        for (const target of ['own', 'other'] as const) {
          if (!spec.siteBound && target === 'other') continue;
          const call = await spec.call(fx, target, who);
          const { status, text } = await send(who, method, call);
          requests += 1;
          const want = expected(spec, who, target);
          const label = `${route} as ${who.name} on ${target} (${call.path}) → ${status}`;
          if (status >= 500) failures.push(`${label}: server error ${text.slice(0, 200)}`);
          else if (want === 'ok' ? [401, 403].includes(status) || (spec.siteBound && status === 404) : !want.includes(status)) {
            failures.push(`${label}, expected ${want === 'ok' ? 'success' : want.join('/')}: ${text.slice(0, 200)}`);
          }
          if (who.sites !== null && who.sites.length > 0 && target === 'own' && status < 300 && /west/.test(text)) {
            failures.push(`${label}: answer mentions another site: ${text.slice(Math.max(0, text.search(/west/) - 100), text.search(/west/) + 100)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(500);

    // A queue's counts, as an east-limited caller sees them, cover east's jobs only.
    const viewerEast = identities.find((who) => who.name === 'viewer-east') as Identity;
    const asEast = async (path: string) => JSON.parse((await send(viewerEast, 'GET', { path })).text);
    await fx.freshJob('west');
    const [queue] = (await asEast('/queues')).items.filter((q: { name: string }) => q.name === 'default');
    const eastQueued = (await asEast('/jobs?queue=default&state=created,queued&limit=500')).items;
    expect(queue.queuedJobs).toBe(eastQueued.length);
    const allQueued = JSON.parse((await send(identities.find((who) => who.name === 'viewer-all') as Identity, 'GET', { path: '/queues' })).text).items;
    expect(allQueued.find((q: { name: string }) => q.name === 'default').queuedJobs).toBeGreaterThan(queue.queuedJobs);

    // Reports from east-limited callers about west tasks changed nothing: the west worker still holds every lease.
    expect(fx.foreignLeases.length).toBeGreaterThan(0);
    const heartbeat = await fx.hub.api('/api/v1/worker/heartbeat', {
      method: 'POST',
      token: fx.westWorkerToken,
      json: { workerId: 'w-west', leases: fx.foreignLeases },
    });
    expect(heartbeat.status).toBe(200);
    expect((await heartbeat.json()).lost).toEqual([]);
    for (const { taskId } of fx.foreignLeases) {
      const task = await (await fx.hub.api(`/api/v1/tasks/${taskId}`)).json();
      expect(task.state).toBe('running');
      const items = await (await fx.hub.api(`/api/v1/jobs/${task.jobId}/items`)).json();
      expect(items.items).toEqual([]);
    }
  }, 240_000);
});
