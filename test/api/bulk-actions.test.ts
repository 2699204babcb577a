import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';
import { hubStores } from '../helpers/store-harness.js';

/** Bulk actions and the dashboard over HTTP, on both stores, with the hub's own runner doing the work. */
describe.each(hubStores('bulk actions API'))('bulk actions and dashboard over HTTP: $name', (where) => {
  let hub: RunningHub | null = null;
  let cleanup: () => Promise<void> = async () => {};
  let eastViewer = '';
  let eastOperator = '';

  beforeAll(async () => {
    const db = await where.db();
    if (!db) return;
    cleanup = db.cleanup;
    hub = await startTestHub({ db: db.url, localWorker: false });
    const token = async (role: string, sites: string[]) =>
      ((await (await call('POST', '/tokens', { name: `${role}-${sites.join('-')}`, role, sites })).json()) as { token: string }).token;
    eastViewer = await token('viewer', ['east']);
    eastOperator = await token('operator', ['east']);
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await cleanup();
  });

  const call = (method: string, path: string, json?: unknown, token?: string) =>
    (hub as RunningHub).api(`/api/v1${path}`, { method, ...(json === undefined ? {} : { json }), ...(token ? { token } : {}) });
  const later = new Date(Date.UTC(2090, 0, 1)).toISOString();
  const submit = async (count: number, site = 'local') => {
    const response = await call('POST', '/jobs/bulk', {
      jobs: Array.from({ length: count }, () => ({ workflow: 'simulate', site, fields: { tasks: 1, items: 1, delayMs: 0 }, runAt: later })),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { items: { id: number }[] }).items.map((j) => j.id);
  };
  const until = async (id: number) => {
    for (let i = 0; i < 200; i++) {
      const body = (await (await call('GET', `/operations/${id}`)).json()) as { state: string };
      if (body.state !== 'running') return body as Record<string, unknown>;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`operation ${id} did not end`);
  };

  it('previews, runs and reports a bulk cancel over a filter', async (context) => {
    if (!hub) return context.skip();
    const ids = await submit(25);
    const filter = { state: ['queued'], workflow: 'simulate', site: ['local'] };
    const preview = await call('POST', '/jobs/bulk-actions', { action: 'cancel', filter, preview: true });
    expect(preview.status).toBe(200);
    expect(await preview.json()).toEqual({ preview: true, action: 'cancel', matching: 25, eligible: 25 });
    const started = await call('POST', '/jobs/bulk-actions', { action: 'cancel', filter });
    expect(started.status).toBe(202);
    const operation = (await started.json()) as { id: number; total: number; state: string };
    expect(operation).toMatchObject({ total: 25, state: 'running', action: 'cancel' });
    const done = await until(operation.id);
    expect(done).toMatchObject({ state: 'done', done: 25, succeeded: 25, skipped: 0, percent: 100 });
    for (const id of ids) expect((await hub.job(id))?.state).toBe('cancelled');
    const list = (await (await call('GET', '/operations')).json()) as { items: { id: number }[] };
    expect(list.items[0].id).toBe(operation.id);
    const again = await until(((await (await call('POST', '/jobs/bulk-actions', { action: 'cancel', ids: ids.slice(0, 3) })).json()) as { id: number }).id);
    expect(again).toMatchObject({ succeeded: 0, skipped: 3, reasons: { 'cancelled: cannot cancel': { count: 3, jobIds: ids.slice(0, 3) } } });
  });

  it('refuses bad requests with a named field, and unknown operations with 404', async (context) => {
    if (!hub) return context.skip();
    const bad = async (body: unknown) => ((await (await call('POST', '/jobs/bulk-actions', body)).json()) as { error: { code: string } }).error.code;
    expect(await bad({ action: 'explode', ids: [1] })).toBe('SWY_ERR_VALIDATION');
    expect(await bad({ action: 'cancel', ids: [1], filter: {} })).toBe('SWY_ERR_VALIDATION');
    expect(await bad({ action: 'cancel' })).toBe('SWY_ERR_VALIDATION');
    expect(await bad({ action: 'cancel', filter: { state: ['melting'] } })).toBe('SWY_ERR_VALIDATION');
    expect(await bad({ action: 'subscribe', ids: [1], options: { channel: 'email' } })).toBe('SWY_ERR_VALIDATION');
    const missing = await call('GET', '/operations/999999');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('SWY_ERR_OPERATION_NOT_FOUND');
  });

  it('scopes bulk actions to the caller’s sites and role', async (context) => {
    if (!hub) return context.skip();
    const [local] = await submit(1);
    // A viewer may subscribe in bulk, not cancel.
    expect((await call('POST', '/jobs/bulk-actions', { action: 'cancel', filter: {}, preview: true }, eastViewer)).status).toBe(403);
    expect((await call('POST', '/jobs/bulk-actions', { action: 'subscribe', filter: {}, preview: true }, eastViewer)).status).toBe(200);
    // An east operator's "everything" is east's: the local job is not counted, and by id it is "not found".
    const preview = (await (await call('POST', '/jobs/bulk-actions', { action: 'cancel', filter: {}, preview: true }, eastOperator)).json()) as {
      matching: number;
    };
    expect(preview.matching).toBe(0);
    const started = (await (await call('POST', '/jobs/bulk-actions', { action: 'cancel', ids: [local] }, eastOperator)).json()) as { id: number };
    const done = await until(started.id);
    expect(done).toMatchObject({ total: 1, done: 1, succeeded: 0, skipped: 1, reasons: { 'not found': { count: 1 } } });
    expect((await hub.job(local))?.state).toBe('queued');
    // An all-sites operation is not shown to an east-only caller.
    const global = (await (await call('POST', '/jobs/bulk-actions', { action: 'pause', ids: [local] })).json()) as { id: number };
    expect((await call('GET', `/operations/${global.id}`, undefined, eastOperator)).status).toBe(404);
  });

  it('serves the dashboard for Global and one site, and refuses other sites and bad windows', async (context) => {
    if (!hub) return context.skip();
    const response = await call('GET', '/dashboard?bucket=1h');
    expect(response.status).toBe(200);
    const board = (await response.json()) as { bucketMs: number; created: unknown[]; totals: { created: number }; queues: { name: string }[] };
    expect(board.bucketMs).toBe(3_600_000);
    expect(board.created).toHaveLength(24);
    expect(board.totals.created).toBeGreaterThan(0);
    expect(board.queues.map((q) => q.name)).toContain('default');
    expect((await call('GET', '/dashboard?site=local', undefined, eastViewer)).status).toBe(403);
    const east = (await (await call('GET', '/dashboard', undefined, eastViewer)).json()) as { totals: { created: number } };
    expect(east.totals.created).toBe(0);
    expect((await call('GET', '/dashboard?bucket=1s&from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z')).status).toBe(400);
    expect((await call('GET', '/dashboard?from=2021-01-01T00:00:00Z&to=2020-01-01T00:00:00Z')).status).toBe(400);
    expect((await call('GET', '/dashboard?bucket=soon')).status).toBe(400);
  });

  it('answers each job of a bulk submission with its own id, fields and tasks', async (context) => {
    if (!hub) return context.skip();
    // Last in this file (its jobs stay queued). 150 jobs: the stores write them many rows to a
    // statement; every job must keep its own.
    const jobs = Array.from({ length: 150 }, (_, i) => ({ workflow: 'simulate', fields: { tasks: (i % 3) + 1, items: i + 1, delayMs: 0 }, runAt: later }));
    const response = await call('POST', '/jobs/bulk', { jobs });
    expect(response.status).toBe(201);
    const items = ((await response.json()) as { items: { id: number; created: boolean; fields: Record<string, unknown> }[] }).items;
    // Fields come back parsed: with the workflow's defaults filled in.
    expect(items.map((item) => item.fields)).toMatchObject(jobs.map((job) => job.fields));
    expect(items.every((item) => item.created)).toBe(true);
    const ids = items.map((item) => item.id);
    expect(new Set(ids).size).toBe(150);
    for (const i of [0, 1, 63, 64, 65, 128, 149]) {
      const job = (await (await call('GET', `/jobs/${ids[i]}`)).json()) as { fields: unknown; taskCounts: Record<string, number> };
      expect(job.fields).toEqual(items[i].fields);
      expect(Object.values(job.taskCounts).reduce((a, b) => a + b, 0)).toBe((i % 3) + 1);
    }
  });
});
