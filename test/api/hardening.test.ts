import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';

const STRONG = 'correct horse battery staple';

/**
 * Holes a hostile outside tester found, closed and kept closed, through the REST API of a hub
 * started as `switchyard start` starts one, with two sites served from root directories:
 * `local` (where the sample file is) and `backup` (the limited callers' own).
 */
describe('access hardening over HTTP', () => {
  let hub: RunningHub;
  let roots: string;
  beforeAll(async () => {
    roots = mkdtempSync(join(tmpdir(), 'swy-hardening-'));
    for (const site of ['local', 'backup']) mkdirSync(join(roots, site, 'files'), { recursive: true });
    writeFileSync(join(roots, 'local', 'files', 'keep.txt'), 'precious');
    hub = await startTestHub({ siteRoots: { local: join(roots, 'local'), backup: join(roots, 'backup') } });
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(roots, { recursive: true, force: true });
  });

  const json = async (response: Response) => ({ status: response.status, body: await response.json().catch(() => null) });
  const call = async (method: string, path: string, body?: unknown, token?: string | null) =>
    json(await hub.api(`/api/v1${path}`, { method, ...(body === undefined ? {} : { json: body }), token }));
  const tokenOf = async (name: string, role: string, sites: string[] | null) => {
    const created = await call('POST', '/tokens', { name, role, sites });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { id: created.body.id as number, secret: created.body.token as string };
  };
  const waitFor = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 30_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it("refuses a site-limited operator work at another site named in a job's fields, in every way of submitting it", async () => {
    const { secret } = await tokenOf('backup-operator', 'operator', ['backup']);
    const remove = { workflow: 'delete', site: 'backup', fields: { site: 'local', path: 'files' } };
    const direct = await call('POST', '/jobs', remove, secret);
    expect(direct.status, JSON.stringify(direct.body)).toBe(403);
    expect(direct.body.error).toMatchObject({ code: 'SWY_ERR_AUTH_SITE' });
    expect(direct.body.error.message).toContain('"local"');
    expect((await call('POST', '/jobs/bulk', { jobs: [remove] }, secret)).status).toBe(403);
    expect((await call('POST', '/envelopes', { type: 'jobs', site: 'backup', jobs: [{ workflow: 'delete', fields: remove.fields }] }, secret)).status).toBe(
      403,
    );
    const schedule = await call(
      'POST',
      '/schedules',
      { name: 'nightly-wipe', workflow: 'delete', site: 'backup', fields: remove.fields, everyMs: 3_600_000 },
      secret,
    );
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(403);
    expect((await call('GET', '/jobs?limit=50')).body.items.filter((job: { workflow: string }) => job.workflow === 'delete')).toEqual([]);

    // At its own site the same operator deletes, and an all-sites operator anywhere.
    const own = await call('POST', '/jobs', { workflow: 'delete', site: 'backup', fields: { site: 'backup', path: 'files' } }, secret);
    expect(own.status, JSON.stringify(own.body)).toBe(201);
  });

  it("answers a repeated idempotency key only to the same submission, never with another user's job", async () => {
    const job = { workflow: 'simulate', site: 'local', fields: { tasks: 1, items: 1 }, idempotencyKey: 'nightly-2026-12-05' };
    const first = await call('POST', '/jobs', job);
    expect(first.status).toBe(201);
    const again = await call('POST', '/jobs', job);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    // Another user, at another site, with the same key: refused, and told nothing of the job.
    const { secret } = await tokenOf('backup-submitter', 'operator', ['backup']);
    const stolen = await call('POST', '/jobs', { ...job, site: 'backup' }, secret);
    expect(stolen.status).toBe(409);
    expect(stolen.body.error.code).toBe('SWY_ERR_IDEMPOTENCY_CONFLICT');
    expect(Object.keys(stolen.body)).toEqual(['error']);
    const changed = await call('POST', '/jobs/bulk', { jobs: [{ ...job, fields: { tasks: 2, items: 1 } }] });
    expect(changed.status).toBe(409);
    expect(changed.body.error.fields[0].path).toBe('idempotencyKey');
  });

  it('answers the contract: lists with a cursor, 404 for no route, ids in decimal, names a queue filter can take, known sites', async () => {
    const { secret: operator } = await tokenOf('contract-operator', 'operator', null);
    for (const path of ['/queues', '/workers', '/sites', '/workflows', '/schedules', '/tokens', '/users', '/operations', '/subscriptions']) {
      const answer = await call('GET', path);
      expect(answer.status, path).toBe(200);
      expect(answer.body, path).toMatchObject({ items: expect.any(Array), nextCursor: null });
    }
    for (const [method, path] of [
      ['GET', '/job/1'],
      ['PUT', '/jobs'],
      ['GET', '/jobs/1/nope'],
    ]) {
      const answer = await call(method, path, undefined, operator);
      expect(answer.status, path).toBe(404);
      expect(answer.body.error.code).toBe('SWY_ERR_ROUTE_NOT_FOUND');
    }
    expect((await call('DELETE', '/tokens/0x10')).status).toBe(400);
    expect((await call('GET', '/jobs/1/changes/0x10')).status).toBe(400);
    const submitted = await call('POST', '/jobs', { workflow: 'simulate', fields: { tasks: 1, items: 0 } });
    const missing = await call('GET', `/jobs/${submitted.body.id}/changes/999999`);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'SWY_ERR_CHANGE_NOT_FOUND']);
    for (const queue of ['a,b', '%20lead']) expect((await call('PATCH', `/queues/${queue}`, { concurrency: 2 })).status, queue).toBe(400);
    // A worker is a token, never a user; jobs and tokens are named in audit by decimal id.
    expect((await call('POST', '/users', { username: 'robot', password: STRONG, role: 'worker' })).status).toBe(400);
    expect((await call('GET', '/audit/job/abc')).status).toBe(400);
    expect((await call('GET', '/audit/queue/default')).status).toBe(200);
    const bothExpiries = await call('POST', '/tokens', { name: 'both', role: 'viewer', expiresAt: '2030-01-01T00:00:00Z', expiresInDays: 5 });
    expect([bothExpiries.status, bothExpiries.body.error.fields[0].path]).toEqual([400, 'body.expiresInDays']);
    const doubled = await call('POST', '/tokens', { name: 'doubled', role: 'viewer', sites: ['local', 'local'] });
    expect((await call('GET', '/tokens')).body.items.find((t: { id: number }) => t.id === doubled.body.id).sites).toEqual(['local']);

    const nowhere = { name: 'misspelt', workflow: 'simulate', site: 'nowehre', fields: {}, everyMs: 3_600_000 };
    const refused = await call('POST', '/schedules', nowhere);
    expect([refused.status, refused.body.error.code]).toEqual([400, 'SWY_ERR_SITE_UNKNOWN']);
    const made = await call('POST', '/schedules', { ...nowhere, site: 'local' });
    expect(made.status).toBe(201);
    expect((await call('PATCH', `/schedules/${made.body.id}`, { site: 'nowehre' })).body.error.code).toBe('SWY_ERR_SITE_UNKNOWN');
    expect((await call('DELETE', `/schedules/${made.body.id}`)).status).toBeLessThan(300);

    // The OpenAPI document says what each route answers: its success status and the error body.
    const doc = (await call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths['/api/v1/jobs'].post.responses).sort()).toEqual(['201', '4XX', '5XX']);
    expect(Object.keys(doc.paths['/api/v1/jobs/{id}'].delete.responses)).toContain('204');
    expect(Object.keys(doc.paths['/api/v1/jobs/bulk-actions'].post.responses)).toContain('202');
    expect(doc.paths['/api/v1/jobs/{id}'].get.responses['4XX']).toMatchObject({ content: { 'application/json': { schema: { required: ['error'] } } } });

    // A NUL in a search would be dropped and match everything: refused.
    expect((await call('GET', '/jobs?q=%00')).status).toBe(400);
    expect((await call('GET', `/jobs/${submitted.body.id}/items?path=%00`)).status).toBe(400);

    // A refused entry of a bulk submit is named.
    const entry = await call('POST', '/jobs/bulk', {
      jobs: [
        { workflow: 'simulate', fields: { tasks: 1, items: 0 } },
        { workflow: 'simulate', fields: { tasks: 'x' } },
      ],
    });
    expect(entry.status).toBe(400);
    expect(entry.body.error.fields[0].path).toBe('jobs.1.fields.tasks');

    // A cursor answers only the list and order it was made for, rather than a wrong page.
    await call('POST', '/jobs', { workflow: 'simulate', fields: { tasks: 1, items: 0 } });
    const jobsCursor = (await call('GET', '/jobs?limit=1')).body.nextCursor as string;
    const auditCursor = (await call('GET', '/audit?limit=1')).body.nextCursor as string;
    expect(jobsCursor && auditCursor).toBeTruthy();
    expect((await call('GET', `/jobs?limit=1&cursor=${jobsCursor}`)).status).toBe(200);
    for (const path of [`/jobs?cursor=${auditCursor}`, `/jobs?sort=-createdAt&cursor=${jobsCursor}`, `/audit?cursor=${jobsCursor}`]) {
      const refused = await call('GET', path);
      expect(refused.status, path).toBe(400);
      expect(refused.body.error.fields[0]).toMatchObject({ path: 'cursor', message: 'made for another list or order' });
    }
  });

  it('counts every item of a rollback of several jobs, though their paths are alike', async () => {
    const jobs = [1, 2].map(() => ({ workflow: 'simulate', fields: { tasks: 1, items: 3, delayMs: 0 } }));
    const envelope = await call('POST', '/envelopes', { type: 'jobs', jobs });
    expect(envelope.status, JSON.stringify(envelope.body)).toBe(201);
    await waitFor(
      () => call('GET', `/envelopes/${envelope.body.id}`),
      (answer) => answer.body.status === 'success',
      'the envelope to succeed',
    );
    expect((await call('POST', `/envelopes/${envelope.body.id}/rollback`)).status).toBe(200);
    const rolledBack = await waitFor(
      () => call('GET', `/envelopes/${envelope.body.id}`),
      (answer) => answer.body.status === 'rolled-back',
      'the rollback',
    );
    // Each job's three items reverted: six records of three paths, all current.
    const job = await hub.job(rolledBack.body.rollbackJob.id);
    expect(job?.itemCounts).toMatchObject({ completed: 6, failed: 0 });
  });

  it('keeps checksum-tree inside the site root', async () => {
    const outside = await call('POST', '/jobs', { workflow: 'checksum-tree', site: 'backup', fields: { root: '/etc' } });
    expect(outside.status).toBe(201);
    const ended = await waitFor(
      () => hub.job(outside.body.id),
      (job) => job?.state === 'failure',
      'the job to fail',
    );
    expect(ended?.reason).toMatch(/absolute/);
    const up = await call('POST', '/jobs', { workflow: 'checksum-tree', site: 'local', fields: { root: '../..' } });
    await waitFor(
      () => hub.job(up.body.id),
      (job) => job?.state === 'failure',
      'the job to fail',
    );
    const inside = await call('POST', '/jobs', { workflow: 'checksum-tree', site: 'local', fields: { root: 'files' } });
    const done = await waitFor(
      () => hub.job(inside.body.id),
      (job) => job?.state === 'success',
      'the job to succeed',
    );
    expect(done?.itemCounts.completed).toBe(1);
  });

  it("revokes a user's tokens when the user is disabled, and those beyond the user's grants when narrowed", async () => {
    expect((await call('POST', '/users', { username: 'erin', password: STRONG, role: 'admin', sites: null })).status).toBe(201);
    const signIn = await hub.api('/api/v1/session', { token: null, method: 'POST', json: { username: 'erin', password: STRONG } });
    expect(signIn.status).toBe(200);
    const cookie = { cookie: signIn.headers.get('set-cookie')?.split(';')[0] ?? '' };
    const csrf = (await signIn.json()).csrfToken as string;
    const make = async (name: string, role: string) => {
      const response = await hub.api('/api/v1/tokens', { token: null, method: 'POST', headers: { ...cookie, 'x-csrf-token': csrf }, json: { name, role } });
      expect(response.status).toBe(201);
      return ((await response.json()) as { token: string }).token;
    };
    const adminToken = await make('erin-admin', 'admin');
    const viewerToken = await make('erin-viewer', 'viewer');
    const works = async (secret: string) => (await hub.api('/api/v1/me', { token: secret })).status;
    expect(await works(adminToken)).toBe(200);

    expect((await call('PATCH', '/users/erin', { role: 'operator' })).status).toBe(200);
    expect(await works(adminToken)).toBe(401);
    expect(await works(viewerToken)).toBe(200);

    expect((await call('PATCH', '/users/erin', { disabled: true })).status).toBe(200);
    expect(await works(viewerToken)).toBe(401);
    const tokens = (await call('GET', '/tokens')).body.items.filter((t: { createdBy: string }) => t.createdBy === 'erin');
    expect(tokens.map((t: { state: string }) => t.state)).toEqual(['revoked', 'revoked']);
  });

  it('refuses to demote or disable the last administrator of every site, and grants of no sites', async () => {
    const demoted = await call('PATCH', '/users/admin', { role: 'viewer' });
    expect(demoted.status).toBe(403);
    expect(demoted.body.error.message).toContain('last enabled administrator');
    expect((await call('PATCH', '/users/admin', { sites: ['local'] })).status).toBe(403);
    expect((await call('GET', '/users')).body.items.find((u: { username: string }) => u.username === 'admin')).toMatchObject({ role: 'admin', sites: null });

    expect((await call('POST', '/tokens', { name: 'nowhere', role: 'viewer', sites: [] })).status).toBe(400);
    // One record answers to one path, and a rule is for a site or for all, not both.
    for (const id of ['0x1', '%201', '1e0']) expect((await call('GET', `/jobs/${id}`)).status, id).toBe(400);
    const both = await call('POST', '/subscriptions', { channel: 'console', site: 'local', allSites: true });
    expect(both.status).toBe(400);
    expect(both.body.error.fields[0].path).toBe('body.allSites');
    // A queue the list filters could never name (they split on commas and trim) is not made.
    for (const queue of ['x,y', ' padded']) {
      const refused = await call('POST', '/jobs', { workflow: 'simulate', queue, fields: { tasks: 1, items: 0 } });
      expect(refused.status, queue).toBe(400);
      expect(refused.body.error.fields[0].path).toBe('body.queue');
    }
    expect((await call('POST', '/users', { username: 'nobody', password: STRONG, role: 'viewer', sites: [] })).status).toBe(400);
    // A day the calendar does not have is refused, not read as a later one.
    for (const day of ['2026-13-45', '2026-02-30', '2026-04-31T00:00:00Z']) {
      const refused = await call('GET', `/jobs?createdFrom=${day}`);
      expect(refused.status, day).toBe(400);
      expect(refused.body.error.fields[0].message).toContain('not a date');
    }
    expect((await call('GET', '/jobs?createdFrom=2024-02-29')).status).toBe(200);
  });

  it("refuses a lease or heartbeat under another credential's worker id, and leases nothing to a worker that hung up", async () => {
    // Site `remote` has no worker but these (registering makes it exist).
    const remoteWorker = await tokenOf('remote-worker', 'worker', ['remote']);
    const otherWorker = await tokenOf('other-worker', 'worker', ['remote']);
    const register = await call(
      'POST',
      '/worker/register',
      { id: 'bw-1', name: 'bw-1', site: 'remote', host: 'test', workflows: ['simulate'] },
      remoteWorker.secret,
    );
    expect(register.status, JSON.stringify(register.body)).toBe(200);
    const lease = { workerId: 'bw-1', site: 'remote', workflows: ['simulate'], limit: 10, waitMs: 0 };
    const stolen = await call('POST', '/worker/lease', lease, otherWorker.secret);
    expect(stolen.status).toBe(409);
    expect(stolen.body.error.code).toBe('SWY_ERR_WORKER_OWNED');
    expect((await call('POST', '/worker/heartbeat', { workerId: 'bw-1', leases: [] }, otherWorker.secret)).status).toBe(409);
    expect((await call('POST', '/worker/lease', lease, remoteWorker.secret)).status).toBe(200);

    // A long poll whose worker hangs up stops waiting: a job submitted afterwards is not leased to it.
    const hangUp = new AbortController();
    const waiting = hub
      .api('/api/v1/worker/lease', { method: 'POST', token: remoteWorker.secret, json: { ...lease, waitMs: 30_000 }, signal: hangUp.signal })
      .catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, 300));
    hangUp.abort();
    await waiting;
    const job = await call('POST', '/jobs', { workflow: 'simulate', site: 'remote', fields: { tasks: 1, items: 1, delayMs: 0 } });
    expect(job.status).toBe(201);
    // Had it been leased to the worker that hung up, it would be handed back, its attempt refunded.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await waitFor(
      async () => ((await call('GET', `/jobs/${job.body.id}/tasks`)).body.items as { state: string; attempts: number }[]).map((t) => [t.state, t.attempts]),
      (tasks) => JSON.stringify(tasks) === JSON.stringify([['queued', 0]]),
      'the task queued, no attempt spent',
    );
  });

  it('lets an admin set a queue up before its first job, and pauses no queue by a misspelt name', async () => {
    const set = await call('PATCH', '/queues/archive', { retainDays: 365, paused: true });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ name: 'archive', retainDays: 365, paused: true });
    expect((await call('POST', '/queues/archvie/pause')).status).toBe(404);
  });

  it("retries simulate's failed items alone, which then succeed", async () => {
    const submitted = await call('POST', '/jobs', { workflow: 'simulate', fields: { tasks: 1, items: 30, delayMs: 0, failPercent: 20 } });
    const first = await waitFor(
      () => hub.job(submitted.body.id),
      (job) => job?.state === 'error',
      'the job to end with errors',
    );
    // Item N of task 0 fails when N % 100 < 20: items 0 to 19.
    expect(first?.itemCounts).toMatchObject({ completed: 10, failed: 20 });
    expect((await call('POST', `/jobs/${submitted.body.id}/retry`, { items: 'failed' })).status).toBe(200);
    const retried = await waitFor(
      () => hub.job(submitted.body.id),
      (job) => job?.state === 'success',
      'the retried job to succeed',
    );
    // Each item counts once, by its latest record; the failures stay in the items' history.
    expect(retried?.itemCounts).toMatchObject({ completed: 30, failed: 0 });
    expect((await call('GET', `/jobs/${submitted.body.id}/items?status=failed`)).body.items).toEqual([]);
    const history = await call('GET', `/jobs/${submitted.body.id}/items/history?path=${encodeURIComponent('/simulated/task-0/item-0')}`);
    expect((history.body.items as { outcome: string; superseded: boolean }[]).map((i) => [i.outcome, i.superseded])).toEqual([
      ['failed', true],
      ['completed', false],
    ]);
    const task = ((await call('GET', `/jobs/${submitted.body.id}/tasks`)).body.items as { id: number; result: { items: number } }[])[0];
    expect(task.result).toEqual({ items: 20 });
  });

  it('ends an event stream once its token is revoked, and bounds the streams one caller holds', async () => {
    const viewer = await tokenOf('stream-viewer', 'viewer', null);
    const stream = await hub.api('/api/v1/events', { token: viewer.secret });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    expect((await call('DELETE', `/tokens/${viewer.id}`)).status).toBe(200);
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    expect(await Promise.race([ended, new Promise((resolve) => setTimeout(() => resolve(false), 30_000))])).toBe(true);

    const many = await tokenOf('many-streams', 'viewer', null);
    const held: AbortController[] = [];
    try {
      let refused: { status: number; body: { error: { code: string } } } | null = null;
      for (let i = 0; i < 40 && refused === null; i++) {
        const abort = new AbortController();
        held.push(abort);
        const response = await hub.api('/api/v1/events', { token: many.secret, signal: abort.signal });
        if (response.status !== 200) refused = await json(response);
      }
      expect(refused).toMatchObject({ status: 429, body: { error: { code: 'SWY_ERR_BUSY' } } });
      expect(held.length).toBe(17);
    } finally {
      for (const abort of held) abort.abort();
    }
    // Closed streams give their places back.
    await waitFor(
      async () => (await hub.api('/api/v1/events', { token: many.secret, signal: AbortSignal.timeout(2000) }).catch(() => null))?.status,
      (status) => status === 200,
      'a stream once the others closed',
    );
  });
});
