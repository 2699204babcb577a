import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalJobState } from '../../src/model/index.js';
import { ADMIN_PASSWORD, type RunningHub, startTestHub } from '../helpers/hub-process.js';
import { waitFor } from '../helpers/test-hub.js';

describe('REST API over HTTP', () => {
  let hub: RunningHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const json = async (response: Response) => ({ status: response.status, body: await response.json() });
  const finished = (id: number) =>
    waitFor(
      hub.engine,
      async () => {
        const job = await hub.job(id);
        return job && isTerminalJobState(job.state) ? job : null;
      },
      15_000,
      `job ${id}`,
    );

  it('answers health without credentials and everything else only with them', async () => {
    expect(await json(await hub.api('/health', { token: null }))).toEqual({ status: 200, body: { status: 'ok', store: 'sqlite', version: null } });
    const denied = await json(await hub.api('/api/v1/jobs', { token: null }));
    expect(denied).toMatchObject({ status: 401, body: { error: { code: 'SWY_ERR_AUTH_REQUIRED' } } });
    expect((await json(await hub.api('/api/v1/jobs', { token: 'swy_wrong' }))).status).toBe(401);
    expect((await json(await hub.api('/api/v1/nope'))).body.error.code).toBe('SWY_ERR_ROUTE_NOT_FOUND');
  });

  it('serves its OpenAPI document', async () => {
    const { status, body } = await json(await hub.api('/api/v1/openapi.json', { token: null }));
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/api/v1/jobs', '/api/v1/jobs/{id}', '/api/v1/worker/lease', '/api/v1/events']));
  });

  it('signs in with a session cookie and requires the CSRF header for changes', async () => {
    const wrong = await hub.api('/api/v1/session', { token: null, method: 'POST', json: { username: 'admin', password: 'nope' } });
    expect((await json(wrong)).body.error.code).toBe('SWY_ERR_AUTH_CREDENTIALS');
    const login = await hub.api('/api/v1/session', { token: null, method: 'POST', json: { username: 'admin', password: ADMIN_PASSWORD } });
    const { body } = await json(login);
    expect(body.user).toEqual({ name: 'admin', role: 'admin', sites: null });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    const asUser = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      hub.api(path, { ...init, token: null, headers: { cookie, ...(init.headers as Record<string, string>) } });
    expect((await asUser('/api/v1/me')).status).toBe(200);
    expect((await json(await asUser('/api/v1/me'))).body.csrfToken).toBe(body.csrfToken);
    const noCsrf = await asUser('/api/v1/jobs', { method: 'POST', json: { workflow: 'simulate', fields: { items: 0 } } });
    expect((await json(noCsrf)).body.error.code).toBe('SWY_ERR_AUTH_CSRF');
    const ok = await asUser('/api/v1/jobs', {
      method: 'POST',
      json: { workflow: 'simulate', fields: { items: 0 } },
      headers: { 'x-csrf-token': body.csrfToken },
    });
    expect(ok.status).toBe(201);
    expect((await json(ok)).body.creator).toBe('admin');
    expect((await asUser('/api/v1/session', { method: 'DELETE', headers: { 'x-csrf-token': body.csrfToken } })).status).toBe(204);
    expect((await asUser('/api/v1/me')).status).toBe(401);
  });

  it('rejects bad submissions naming the field, and writes nothing', async () => {
    const before = await hub.lastEventId();
    const cases: [unknown, string, string][] = [
      [{}, 'SWY_ERR_VALIDATION', 'body.workflow'],
      [{ workflow: 'simulate', fields: { tasks: 'lots' } }, 'SWY_ERR_WORKFLOW_FIELDS', 'fields.tasks'],
      [{ workflow: 'simulate', fields: { tasks: 0 } }, 'SWY_ERR_WORKFLOW_FIELDS', 'fields.tasks'],
      [{ workflow: 'no-such-workflow' }, 'SWY_ERR_WORKFLOW_UNKNOWN', 'workflow'],
      [{ workflow: 'simulate', site: 'mars' }, 'SWY_ERR_SITE_UNKNOWN', 'site'],
      [{ workflow: 'simulate', priority: 1.5 }, 'SWY_ERR_VALIDATION', 'body.priority'],
      [{ workflow: 'simulate', runAt: 'not a date' }, 'SWY_ERR_VALIDATION', 'body.runAt'],
      [[1, 2], 'SWY_ERR_VALIDATION', 'body'],
      [{ workflow: 'simulate', feilds: { tasks: 2 } }, 'SWY_ERR_VALIDATION', 'body'],
      [{ workflow: 'simulate', fields: { taskz: 2 } }, 'SWY_ERR_WORKFLOW_FIELDS', 'fields.taskz'],
      [{ workflow: 'simulate', fields: { tasks: 'x', extra: 1 } }, 'SWY_ERR_WORKFLOW_FIELDS', 'fields.extra'],
    ];
    for (const [payload, code, path] of cases) {
      const { status, body } = await json(await hub.api('/api/v1/jobs', { method: 'POST', json: payload }));
      expect(status, JSON.stringify(payload)).toBe(400);
      expect(body.error.code, JSON.stringify(payload)).toBe(code);
      expect(body.error.fields?.map((f: { path: string }) => f.path) ?? [], JSON.stringify(payload)).toContain(path);
      expect(body.error.message).toEqual(expect.any(String));
    }
    const malformed = await hub.api('/api/v1/jobs', { method: 'POST', body: '{"workflow":', headers: { 'content-type': 'application/json' } });
    expect((await json(malformed)).body.error.code).toBe('SWY_ERR_VALIDATION');
    expect(await hub.lastEventId()).toBe(before);
  });

  it('submits, filters, reads, exports and controls jobs', async () => {
    // A finished job before the one under test, so that a one-row page has a next page whatever
    // earlier tests left running on a busy machine.
    const earlier = await json(await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow: 'simulate', fields: { tasks: 1, items: 1, delayMs: 0 } } }));
    await finished(earlier.body.id);
    const created = await json(
      await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow: 'simulate', fields: { tasks: 2, items: 5, delayMs: 0, failPercent: 50 } } }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      workflow: 'simulate',
      state: 'queued',
      site: 'local',
      queue: 'default',
      progress: { done: 0, total: 2000, percent: 0 },
    });
    const job = await finished(created.body.id);
    expect(job.state).toBe('error');

    const one = await json(await hub.api(`/api/v1/jobs/${job.id}`));
    expect(one.body).toMatchObject({
      id: job.id,
      state: 'error',
      outcome: 'changed',
      taskCounts: { error: expect.any(Number) },
      itemCounts: { failed: expect.any(Number) },
    });
    expect(one.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await json(await hub.api('/api/v1/jobs/999999'))).status).toBe(404);
    expect((await json(await hub.api('/api/v1/jobs/abc'))).body.error.fields[0].path).toBe('params.id');

    const list = await json(await hub.api('/api/v1/jobs?state=error,success&workflow=simulate&limit=1'));
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].id).toBe(job.id);
    expect(list.body.nextCursor).toEqual(expect.any(String));
    const bad = await json(await hub.api('/api/v1/jobs?state=sideways'));
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'SWY_ERR_VALIDATION' } } });
    expect(bad.body.error.fields[0].path).toMatch(/^query\.state/);

    const tasks = await json(await hub.api(`/api/v1/jobs/${job.id}/tasks`));
    expect(tasks.body.types).toEqual(['process']);
    const taskId = tasks.body.items[0].id;
    expect((await json(await hub.api(`/api/v1/tasks/${taskId}`))).body).toMatchObject({
      id: taskId,
      jobId: job.id,
      workerId: expect.stringContaining('local'),
    });
    const output = await json(await hub.api(`/api/v1/tasks/${taskId}/output`));
    expect(output.body.lines[0]).toMatchObject({ seq: 1, line: expect.stringContaining('processing 5 items') });
    const text = await hub.api(`/api/v1/tasks/${taskId}/output?format=text`);
    expect(text.headers.get('content-disposition')).toMatch(/attachment/);
    expect(await text.text()).toContain('processing 5 items');
    const failedItems = await json(await hub.api(`/api/v1/jobs/${job.id}/items?status=failed`));
    expect(failedItems.body.items.length).toBeGreaterThan(0);
    expect(failedItems.body.items[0].error).toBe('simulated failure');
    const history = await json(await hub.api(`/api/v1/jobs/${job.id}/items/history?path=${encodeURIComponent(failedItems.body.items[0].path)}`));
    expect(history.body.items).toHaveLength(1);
    // The path filter (served by the batches' summaries from 3 characters on) is case-insensitive.
    const failedPath: string = failedItems.body.items[0].path;
    const byPath = await json(await hub.api(`/api/v1/jobs/${job.id}/items?path=${encodeURIComponent(failedPath.slice(-7).toUpperCase())}`));
    expect(byPath.body.items.map((item: { path: string }) => item.path)).toContain(failedPath);
    expect((await json(await hub.api(`/api/v1/jobs/${job.id}/items?path=nothing-like-it`))).body.items).toEqual([]);

    const csv = await hub.api('/api/v1/jobs/export?format=csv&workflow=simulate');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^id,workflow,state/);
    expect(lines.length).toBeGreaterThan(1);
    const ndjson = (await (await hub.api('/api/v1/jobs/export?format=ndjson')).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ndjson.map((j: { id: number }) => j.id)).toContain(job.id);
    const asJson = JSON.parse(await (await hub.api('/api/v1/jobs/export?format=json')).text());
    expect(Array.isArray(asJson)).toBe(true);

    const retried = await json(await hub.api(`/api/v1/jobs/${job.id}/retry`, { method: 'POST' }));
    expect(retried.status).toBe(200);
    await finished(job.id);
    const resubmitted = await json(await hub.api(`/api/v1/jobs/${job.id}/resubmit`, { method: 'POST' }));
    expect(resubmitted).toMatchObject({ status: 201, body: { parentJobId: job.id, workflow: 'simulate' } });
    await finished(resubmitted.body.id);
    const cancelFinished = await json(await hub.api(`/api/v1/jobs/${job.id}/cancel`, { method: 'POST' }));
    expect(cancelFinished).toMatchObject({ status: 409, body: { error: { code: 'SWY_ERR_JOB_STATE' } } });
    expect((await hub.api(`/api/v1/jobs/${job.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await hub.api(`/api/v1/jobs/${job.id}`)).status).toBe(404);
    const audit = await json(await hub.api(`/api/v1/audit?target=job:${job.id}`));
    expect(audit.body.items.map((a: { action: string }) => a.action)).toEqual(['job.delete', 'job.resubmit', 'job.retry', 'job.submit']);
  });

  it('enforces roles and site scope with tokens', async () => {
    const make = async (role: string, sites?: string[]) =>
      (await json(await hub.api('/api/v1/tokens', { method: 'POST', json: { name: `t-${role}`, role, sites } }))).body.token as string;
    const viewer = await make('viewer');
    const operator = await make('operator');
    const eastOnly = await make('operator', ['east']);
    const submit = (token: string, body: unknown) => hub.api('/api/v1/jobs', { method: 'POST', token, json: body });
    expect((await json(await submit(viewer, { workflow: 'simulate' }))).body.error.code).toBe('SWY_ERR_AUTH_FORBIDDEN');
    expect((await hub.api('/api/v1/jobs', { token: viewer })).status).toBe(200);
    const mine = await json(await submit(operator, { workflow: 'simulate', fields: { items: 0 } }));
    expect(mine.body.creator).toBe('token:t-operator');
    expect((await json(await submit(eastOnly, { workflow: 'simulate' }))).body.error.code).toBe('SWY_ERR_AUTH_SITE');
    expect((await hub.api(`/api/v1/jobs/${mine.body.id}`, { token: eastOnly })).status).toBe(404);
    expect((await json(await hub.api('/api/v1/jobs', { token: eastOnly }))).body.items).toEqual([]);
    expect((await hub.api(`/api/v1/jobs/${mine.body.id}`, { method: 'DELETE', token: operator })).status).toBe(403);
    expect((await hub.api('/api/v1/tokens', { method: 'POST', token: operator, json: { name: 'x', role: 'admin' } })).status).toBe(403);
    await finished(mine.body.id);
  });

  it('fences the worker protocol: a superseded lease gets 409 and changes nothing', async () => {
    const token = (await json(await hub.api('/api/v1/tokens', { method: 'POST', json: { name: 'remote', role: 'worker', sites: ['far'] } }))).body.token;
    const worker = (path: string, body: unknown) => hub.api(`/api/v1/worker/${path}`, { method: 'POST', token, json: body });
    expect((await worker('register', { id: 'w-far', name: 'far-1', site: 'far', host: 'box', workflows: ['simulate'] })).status).toBe(200);
    expect((await worker('register', { id: 'w-x', name: 'x', site: 'local', host: 'box', workflows: ['simulate'] })).status).toBe(403);
    expect((await hub.api('/api/v1/jobs', { token })).status).toBe(403);
    const job = await json(await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow: 'simulate', site: 'far', fields: { tasks: 1, items: 0 } } }));
    const lease = await json(await worker('lease', { workerId: 'w-far', site: 'far', workflows: ['simulate'], limit: 5, waitMs: 2000 }));
    expect(lease.body.tasks).toHaveLength(1);
    const [task] = lease.body.tasks;
    expect(task.job).toMatchObject({ id: job.body.id, site: 'far' });
    const stale = await json(
      await worker('complete', { completions: [{ taskId: task.task.id, leaseToken: 'stale', report: { kind: 'succeeded', changed: true } }] }),
    );
    expect(stale).toMatchObject({ status: 409, body: { error: { code: 'SWY_ERR_LEASE_LOST' }, results: [{ accepted: false }] } });
    expect((await hub.job(job.body.id))?.state).toBe('running');
    const items = await json(
      await worker('items', {
        reports: [{ taskId: task.task.id, leaseToken: task.leaseToken, items: [{ path: 'a', operation: 'copy', outcome: 'completed' }], logs: ['hello'] }],
      }),
    );
    expect(items.body.results).toEqual([{ taskId: task.task.id, accepted: true }]);
    const beat = await json(await worker('heartbeat', { workerId: 'w-far', leases: [{ taskId: task.task.id, leaseToken: task.leaseToken }] }));
    expect(beat.body).toEqual({ lost: [], stop: [] });
    const bad = await json(await worker('complete', { completions: [{ taskId: task.task.id, leaseToken: task.leaseToken, report: { kind: 'exploded' } }] }));
    expect(bad.status).toBe(400);
    const done = await json(
      await worker('complete', { completions: [{ taskId: task.task.id, leaseToken: task.leaseToken, report: { kind: 'succeeded', changed: true } }] }),
    );
    expect(done.body.results).toEqual([{ taskId: task.task.id, accepted: true, state: 'success' }]);
    expect(await hub.job(job.body.id)).toMatchObject({ state: 'success', itemCounts: { completed: 1 } });
    const late = await json(
      await worker('complete', {
        completions: [{ taskId: task.task.id, leaseToken: task.leaseToken, report: { kind: 'failed', error: { message: 'late' }, retryable: true } }],
      }),
    );
    expect(late.status).toBe(409);
    expect((await hub.job(job.body.id))?.state).toBe('success');
    const sites = await json(await hub.api('/api/v1/sites'));
    expect(sites.body.items.find((s: { name: string }) => s.name === 'far')).toMatchObject({ workers: 1, workersOnline: 1 });
  });

  it('streams every state change as Server-Sent Events', async () => {
    const controller = new AbortController();
    const response = await hub.api('/api/v1/events', { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const job = await json(await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow: 'simulate', fields: { tasks: 1, items: 1, delayMs: 0 } } }));
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('"to":"success"') || !text.includes(`"jobId":${job.body.id}`)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    const events = text
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)));
    const types = events.filter((e) => e.jobId === job.body.id).map((e) => `${e.type}${e.data.to ? `:${e.data.to}` : ''}`);
    expect(types).toEqual([
      'job:created',
      'task:state:changed:running',
      'job:state:changed:running',
      'task:state:changed:success',
      'job:state:changed:success',
    ]);
    expect(text).toMatch(/^retry: 2000/);
    expect(text).toMatch(/\nid: \d+\n/);
  });

  it('replays the events after ?after=ID, then marks where the live ones begin with `: live`', async () => {
    const before = await json(await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow: 'simulate', fields: { items: 0 } } }));
    const controller = new AbortController();
    const response = await hub.api('/api/v1/events?after=0', { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const read = async (until: (text: string) => boolean) => {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    };
    await read((seen) => seen.includes('\n: live\n\n'));
    const [replay] = text.split('\n: live\n\n');
    // The replay holds the job created before the feed was opened.
    expect(replay).toContain(`"jobId":${before.body.id}`);
    const after = await json(await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow: 'simulate', fields: { items: 0 } } }));
    await read((seen) => seen.includes(`"jobId":${after.body.id}`));
    controller.abort();
    const [, live] = text.split('\n: live\n\n');
    expect(live).toContain(`"jobId":${after.body.id}`);
    // Marked once: the live part has no second marker.
    expect(live).not.toContain(': live');
  });

  it('answers queue controls and clears queued jobs', async () => {
    expect((await json(await hub.api('/api/v1/queues/default/pause', { method: 'POST' }))).body).toMatchObject({ name: 'default', paused: true });
    const queued = await json(await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow: 'simulate', fields: { items: 0 } } }));
    const cleared = await json(await hub.api('/api/v1/queues/default/clear', { method: 'POST' }));
    expect(cleared.body).toEqual({ queue: 'default', cancelled: 1 });
    expect((await hub.job(queued.body.id))?.state).toBe('cancelled');
    expect((await json(await hub.api('/api/v1/queues/default/resume', { method: 'POST' }))).body.paused).toBe(false);
    expect((await json(await hub.api('/api/v1/queues/nope/pause', { method: 'POST' }))).status).toBe(404);
    const patched = await json(await hub.api('/api/v1/queues/default', { method: 'PATCH', json: { concurrency: 0 } }));
    expect(patched.body.error.fields[0].path).toBe('body.concurrency');
  });
});
