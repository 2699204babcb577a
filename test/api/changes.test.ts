import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInWorkflows } from '../../src/workflows/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';
import { mirror } from '../worker/fixtures/change-workflows.js';

/**
 * Change sets, the comparison with the previous run, item statistics and the retry of failed
 * items, through the REST API: with the job's access rules (a user of another site gets 404)
 * and hostile input answered 4xx, at the reading routes and at the worker protocol.
 */
describe('change sets over HTTP', () => {
  let hub: RunningHub;
  let elsewhere = '';
  let workerToken = '';
  let first = 0;
  let second = 0;
  const json = async (response: Response) => ({ status: response.status, body: await response.json().catch(() => null) });
  const post = async (path: string, body?: unknown, token?: string) => json(await hub.api(`/api/v1${path}`, { method: 'POST', json: body, token }));
  const get = async (path: string, token?: string) => json(await hub.api(`/api/v1${path}`, { token }));
  const run = async (fields: Record<string, unknown>) => {
    const answer = await post('/jobs', { workflow: 'mirror', fields });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return waitEnded(answer.body.id as number);
  };
  const waitEnded = async (id: number, state?: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = await hub.job(id);
      if (job?.endedAt && (!state || job.state === state)) return id;
      if (Date.now() > deadline) throw new Error(`job ${id} did not end (${job?.state})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    hub = await startTestHub({ workflows: [...builtInWorkflows, mirror] });
    workerToken = (await post('/tokens', { name: 'hand', role: 'worker', sites: ['local'] })).body.token;
    const other = await post('/tokens', { name: 'other-site', role: 'admin', sites: ['elsewhere'] });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    elsewhere = other.body.token;
    first = await run({
      source: { 'a.txt': 'alpha\n', 'b.txt': 'beta\n', 'c.txt': 'gamma\n' },
      target: { 'a.txt': 'ALPHA\n', 'z.txt': 'zeta\n' },
      failFirst: ['c.txt'],
    });
    second = await run({
      source: { 'a.txt': 'alpha 2\n', 'b.txt': 'beta\n', 'd.txt': 'delta\n' },
      target: {},
    });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('lists a job’s changes with counts, filters by kind and path, pages, and serves one change’s texts', async () => {
    const all = await get(`/jobs/${first}/changes`);
    expect(all.status).toBe(200);
    expect(all.body.counts).toEqual({ added: 2, changed: 1, removed: 1 });
    expect(all.body.items.map((c: { path: string; change: string }) => `${c.change} ${c.path}`).sort()).toEqual([
      'added b.txt',
      'added c.txt',
      'changed a.txt',
      'removed z.txt',
    ]);
    expect(all.body.items[0].at).toMatch(/^\d{4}-\d\d-\d\dT/);
    const added = await get(`/jobs/${first}/changes?change=added&limit=1`);
    expect(added.body.items).toHaveLength(1);
    const rest = await get(`/jobs/${first}/changes?change=added&limit=1&cursor=${added.body.nextCursor}`);
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
    const byPath = await get(`/jobs/${first}/changes?path=A.TX`);
    expect(byPath.body.items.map((c: { path: string }) => c.path)).toEqual(['a.txt']);
    expect(byPath.body.counts).toEqual({ added: 0, changed: 1, removed: 0 });

    const changed = all.body.items.find((c: { change: string }) => c.change === 'changed');
    const detail = await get(`/jobs/${first}/changes/${changed.id}`);
    expect(detail.body).toMatchObject({ path: 'a.txt', textBefore: 'ALPHA\n', textAfter: 'alpha\n', hasText: true });
    // Another job's change is not this job's.
    expect((await get(`/jobs/${second}/changes/${changed.id}`)).status).toBe(404);
  });

  it('compares a job’s items with the previous run of its workflow at its site', async () => {
    const none = await get(`/jobs/${first}/compare`);
    expect(none.body).toMatchObject({ jobId: first, previousJobId: null, counts: { added: 4, removed: 0, changed: 0, unchanged: 0 } });
    const answer = await get(`/jobs/${second}/compare`);
    expect(answer.status).toBe(200);
    expect(answer.body.previousJobId).toBe(first);
    // First run: a, b, z completed, c failed. Second: a (new bytes), b (same), d added; c and z gone.
    expect(answer.body.counts).toEqual({ added: 1, removed: 2, changed: 1, unchanged: 1 });
    expect(answer.body.items.map((d: { kind: string; path: string }) => `${d.kind} ${d.path}`)).toEqual([
      'changed a.txt',
      'removed c.txt',
      'added d.txt',
      'removed z.txt',
    ]);
    expect(answer.body.items[0]).toMatchObject({ before: { outcome: 'completed', bytes: 6 }, after: { outcome: 'completed', bytes: 8 } });
    const removed = await get(`/jobs/${second}/compare?kind=removed&limit=1`);
    expect(removed.body.items.map((d: { path: string }) => d.path)).toEqual(['c.txt']);
    const next = await get(`/jobs/${second}/compare?kind=removed&limit=1&after=${encodeURIComponent(removed.body.nextAfter)}`);
    expect(next.body.items.map((d: { path: string }) => d.path)).toEqual(['z.txt']);
    expect(next.body.nextAfter).toBeNull();
  });

  it('compares a job a schedule fired with that schedule’s previous job, not with other runs of the workflow', async () => {
    const fields = { source: { 's.txt': 'scheduled\n' }, target: {} };
    const schedule = await post('/schedules', { name: 'mirror-hourly', workflow: 'mirror', fields, everyMs: 3_600_000 });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    const fire = async () => {
      const answer = await post(`/schedules/${schedule.body.id}/run`, { force: true });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return waitEnded(answer.body.job.id as number);
    };
    const firstFired = await fire();
    const between = await run(fields);
    const secondFired = await fire();
    expect((await get(`/jobs/${secondFired}/compare`)).body).toMatchObject({
      previousJobId: firstFired,
      counts: { added: 0, removed: 0, changed: 0, unchanged: 1 },
    });
    // A job submitted by hand compares with the newest earlier job of its workflow and site.
    expect((await get(`/jobs/${between}/compare`)).body.previousJobId).toBe(firstFired);
  });

  it('counts item records per operation and outcome', async () => {
    const stats = await get(`/jobs/${first}/items/stats`);
    expect(stats.body.items).toEqual([
      { operation: 'copy', outcome: 'completed', count: 2, bytes: 11 },
      { operation: 'copy', outcome: 'failed', count: 1, bytes: 0 },
      { operation: 'delete', outcome: 'completed', count: 1, bytes: 0 },
    ]);
  });

  it('answers 404 to a user of another site, as for the job itself', async () => {
    for (const path of [`/jobs/${first}`, `/jobs/${first}/changes`, `/jobs/${first}/compare`, `/jobs/${first}/items/stats`, `/jobs/${first}/changes/1`]) {
      const answer = await get(path, elsewhere);
      expect(answer.status, path).toBe(404);
      expect(answer.body.error.code).toBe('SWY_ERR_JOB_NOT_FOUND');
    }
    expect((await post(`/jobs/${first}/retry`, { items: 'failed' }, elsewhere)).status).toBe(404);
  });

  it('refuses hostile queries with 4xx', async () => {
    for (const path of [
      `/jobs/${first}/changes?change=modified`,
      `/jobs/${first}/changes?limit=100000`,
      `/jobs/${first}/changes?limit=-1`,
      `/jobs/${first}/changes?cursor=not-a-cursor`,
      `/jobs/${first}/changes?path=${'x'.repeat(3000)}`,
      `/jobs/${first}/changes/abc`,
      `/jobs/${first}/changes/0`,
      `/jobs/${first}/changes/99999999999999999999`,
      `/jobs/${first}/compare?kind=all`,
      `/jobs/${first}/compare?limit=5000`,
      `/jobs/${first}/compare?after=${'y'.repeat(5000)}`,
      '/jobs/0/changes',
      '/jobs/abc/compare',
    ]) {
      const answer = await get(path);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
    }
    expect((await get('/jobs/987654/changes')).status).toBe(404);
    expect((await post(`/jobs/${first}/retry`, { items: 'all' })).status).toBe(400);
    expect((await post(`/jobs/${first}/retry`, { items: 'failed', extra: 1 })).status).toBe(400);
  });

  it('refuses hostile changes at the worker protocol with 4xx, never 500', async () => {
    const change = (extra: Record<string, unknown>) => ({ path: 'p', change: 'added', ...extra });
    const report = (changes: unknown) => post('/worker/items', { reports: [{ taskId: 1, leaseToken: 'nope', changes }] }, workerToken);
    for (const [what, changes] of [
      ['a kind that is not one', [change({ change: 'modified' })]],
      ['a text over 64 KiB', [change({ textAfter: 'x'.repeat(65_537) })]],
      ['a text over 64 KiB of UTF-8', [change({ textBefore: '€'.repeat(30_000) })]],
      ['a negative size', [change({ sizeBefore: -1 })]],
      ['a fractional size', [change({ sizeAfter: 1.5 })]],
      ['an empty path', [change({ path: '' })]],
      ['a path over 2 KiB of UTF-8', [change({ path: 'é'.repeat(1500) })]],
      ['too many changes', Array.from({ length: 1001 }, () => change({}))],
      ['not a list', 'changes'],
    ] as const) {
      const answer = await report(changes);
      expect(answer.status, what).toBe(400);
    }
    // Within bounds but about no lease held: nothing is written.
    expect((await report([change({ textAfter: 'é'.repeat(20_000) })])).status).toBe(409);
    const huge = await hub.api('/api/v1/worker/items', {
      method: 'POST',
      token: workerToken,
      json: { reports: [{ taskId: 1, leaseToken: 'nope', changes: Array.from({ length: 200 }, () => change({ textAfter: 'x'.repeat(60_000) })) }] },
    });
    expect(huge.status).toBe(413);
  });

  it('retries only the failed items of a job, and says so when there are none', async () => {
    const job = await hub.job(first);
    expect(job?.itemCounts.failed).toBe(1);
    const retried = await post(`/jobs/${first}/retry`, { items: 'failed' });
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    await waitEnded(first, 'success');
    const copy = (await get(`/jobs/${first}/tasks?type=copy`)).body.items[0];
    expect(copy.result).toEqual({ acted: ['c.txt'], retryPaths: ['c.txt'] });
    const none = await post(`/jobs/${second}/retry`, { items: 'failed' });
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('SWY_ERR_JOB_STATE');
  });
});
