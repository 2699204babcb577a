import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { builtInWorkflows } from '../../src/workflows/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';

/**
 * Jobs that span sites, through the API: a transfer exports at its own site `a` and imports at
 * `b`. Visible to users of either site (the whole job, read-only), controllable only by users
 * of both; a user of neither site sees nothing. No local worker: the test leases by hand.
 */
const transfer = defineWorkflow({
  name: 'transfer',
  fields: z.object({ to: z.string() }),
  plan: (fields) => [
    { type: 'export', key: 'export' },
    { type: 'import', key: 'import', after: ['export'], site: fields.to },
  ],
  tasks: { export: () => ({ changed: true }), import: () => ({ changed: true }) },
});

describe('jobs that span sites over HTTP', () => {
  let hub: RunningHub;
  const tokens: Record<string, string> = {};
  const json = async (response: Response) => ({ status: response.status, body: await response.json().catch(() => null) });
  const post = async (path: string, body?: unknown, token?: string) => json(await hub.api(`/api/v1${path}`, { method: 'POST', json: body, token }));
  const get = async (path: string, token?: string) => json(await hub.api(`/api/v1${path}`, { token }));
  const lease = async (site: string) =>
    (await post('/worker/lease', { workerId: `w-${site}`, site, workflows: ['transfer'], limit: 10, waitMs: 0 }, tokens[`worker-${site}`])).body.tasks as {
      task: { id: number; jobId: number; type: string; site: string };
      leaseToken: string;
    }[];
  const complete = (site: string, t: { task: { id: number }; leaseToken: string }) =>
    post(
      '/worker/complete',
      { completions: [{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: true } }] },
      tokens[`worker-${site}`],
    );
  const submit = async (token?: string) => {
    const answer = await post('/jobs', { workflow: 'transfer', site: 'a', fields: { to: 'b' } }, token);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body as { id: number; site: string; sites: string[] };
  };

  beforeAll(async () => {
    hub = await startTestHub({ localWorker: false, workflows: [...builtInWorkflows, transfer] });
    for (const [name, role, sites] of [
      ['op-a', 'operator', ['a']],
      ['op-b', 'operator', ['b']],
      ['op-ab', 'operator', ['a', 'b']],
      ['op-c', 'operator', ['c']],
      ['admin-a', 'admin', ['a']],
      ['admin-ab', 'admin', ['a', 'b']],
      ['worker-a', 'worker', ['a']],
      ['worker-b', 'worker', ['b']],
      ['worker-c', 'worker', ['c']],
    ] as const) {
      tokens[name] = (await post('/tokens', { name, role, sites })).body.token;
    }
    // Registering makes the sites exist; b's worker runs only another workflow until a test says otherwise.
    for (const [site, workflows] of [
      ['a', ['transfer']],
      ['b', ['simulate']],
      ['c', ['transfer']],
    ] as const) {
      const answer = await post('/worker/register', { id: `w-${site}`, name: `w-${site}`, site, host: 'test', workflows }, tokens[`worker-${site}`]);
      expect(answer.status).toBe(200);
    }
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('refuses a plan that puts a task at a site that does not exist', async () => {
    const refused = await post('/jobs', { workflow: 'transfer', site: 'a', fields: { to: 'mars' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'SWY_ERR_SITE_UNKNOWN' });
    expect(refused.body.error.message).toContain('"mars"');
  });

  it('shows the job, whole, to users of either site, and nothing to users of neither', async () => {
    // Submitting needs every site the plan acts at: a user of one end cannot act at the other by naming it.
    const refused = await post('/jobs', { workflow: 'transfer', site: 'a', fields: { to: 'b' } }, tokens['op-a']);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'SWY_ERR_AUTH_SITE' });
    const job = await submit(tokens['op-ab']);
    expect(job).toMatchObject({ site: 'a', sites: ['a', 'b'] });
    for (const who of ['op-a', 'op-b', 'op-ab']) {
      expect((await get(`/jobs/${job.id}`, tokens[who])).body).toMatchObject({ id: job.id, sites: ['a', 'b'] });
      const tasks = (await get(`/jobs/${job.id}/tasks`, tokens[who])).body.items as { id: number; type: string; site: string }[];
      expect(tasks.map((t) => [t.type, t.site])).toEqual([
        ['export', 'a'],
        ['import', 'b'],
      ]);
      for (const task of tasks) {
        expect((await get(`/tasks/${task.id}`, tokens[who])).status).toBe(200);
        expect((await get(`/tasks/${task.id}/output`, tokens[who])).status).toBe(200);
      }
      expect((await get(`/jobs/${job.id}/items`, tokens[who])).status).toBe(200);
      expect((await get(`/jobs/${job.id}/sites`, tokens[who])).body).toEqual({
        sites: ['a', 'b'],
        items: [
          { site: 'a', workerId: null, taskCounts: { queued: 1 } },
          { site: 'b', workerId: null, taskCounts: { created: 1 } },
        ],
        nextCursor: null,
      });
      expect(((await get('/jobs?limit=100', tokens[who])).body.items as { id: number }[]).map((j) => j.id)).toContain(job.id);
      const exported = await hub.api('/api/v1/jobs/export?format=ndjson', { token: tokens[who] });
      expect(
        (await exported.text())
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line).id),
      ).toContain(job.id);
    }
    expect(((await get('/jobs?site=b&limit=100', tokens['op-b'])).body.items as { id: number }[]).map((j) => j.id)).toContain(job.id);
    expect(((await get('/jobs?site=b&limit=100')).body.items as { id: number }[]).map((j) => j.id)).toContain(job.id);
    expect(((await get('/jobs?site=c&limit=100')).body.items as { id: number }[]).map((j) => j.id)).not.toContain(job.id);

    const tasks = (await get(`/jobs/${job.id}/tasks`)).body.items as { id: number }[];
    expect((await get(`/jobs/${job.id}`, tokens['op-c'])).status).toBe(404);
    expect((await get(`/jobs/${job.id}/tasks`, tokens['op-c'])).status).toBe(404);
    expect((await get(`/jobs/${job.id}/sites`, tokens['op-c'])).status).toBe(404);
    expect((await get(`/tasks/${tasks[0].id}`, tokens['op-c'])).status).toBe(404);
    expect(((await get('/jobs?limit=100', tokens['op-c'])).body.items as { id: number }[]).map((j) => j.id)).not.toContain(job.id);
    expect((await post(`/jobs/${job.id}/cancel`, {}, tokens['op-ab'])).status).toBe(200);
  });

  it('lets only users of every site the job spans control it, naming the site missing', async () => {
    const job = await submit();
    for (const [who, missing] of [
      ['op-a', 'b'],
      ['op-b', 'a'],
    ] as const) {
      for (const action of ['pause', 'cancel']) {
        const refused = await post(`/jobs/${job.id}/${action}`, {}, tokens[who]);
        expect(refused.status, `${who} ${action}`).toBe(403);
        expect(refused.body.error.code).toBe('SWY_ERR_AUTH_SITE');
        expect(refused.body.error.message).toContain(`"${missing}"`);
      }
    }
    expect((await post(`/jobs/${job.id}/pause`, {}, tokens['op-ab'])).body).toMatchObject({ state: 'paused' });
    expect((await post(`/jobs/${job.id}/resume`, {}, tokens['op-a'])).status).toBe(403);
    expect((await post(`/jobs/${job.id}/resume`, {}, tokens['op-ab'])).body).toMatchObject({ state: 'queued' });
    expect((await post(`/jobs/${job.id}/cancel`, {}, tokens['op-ab'])).body).toMatchObject({ state: 'cancelled' });
    expect((await post(`/jobs/${job.id}/retry`, {}, tokens['op-b'])).status).toBe(403);
    // In bulk too, a job seen at one of its sites is refused naming the other, not "not found".
    const bulk = await post('/jobs/bulk-actions', { action: 'retry', ids: [job.id] }, tokens['op-b']);
    expect(bulk.status).toBe(202);
    let operation: { state: string; skipped: number; reasons: Record<string, unknown> } | null = null;
    for (let waited = 0; waited < 30_000 && operation?.state !== 'done'; waited += 100) {
      operation = (await get(`/operations/${bulk.body.id}`, tokens['op-b'])).body;
      if (operation?.state !== 'done') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(operation).toMatchObject({ state: 'done', skipped: 1 });
    expect(Object.keys(operation?.reasons ?? {})).toEqual(["also runs at a, which the operation's actor has no access to"]);
    expect((await post(`/jobs/${job.id}/retry`, {}, tokens['op-ab'])).body).toMatchObject({ state: 'queued' });
    expect((await post(`/jobs/${job.id}/cancel`, {}, tokens['op-ab'])).status).toBe(200);

    const del = (token: string) => hub.api(`/api/v1/jobs/${job.id}`, { method: 'DELETE', token });
    const refused = await json(await del(tokens['admin-a']));
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('"b"');
    expect((await del(tokens['admin-ab'])).status).toBe(204);
    expect((await get(`/jobs/${job.id}`)).status).toBe(404);
  });

  it("clears from a queue only the jobs whose every site is the caller's", async () => {
    const spanning = await submit();
    const cleared = await post('/queues/default/clear', {}, tokens['op-a']);
    expect(cleared.status).toBe(200);
    expect((await get(`/jobs/${spanning.id}`)).body.state).toBe('queued');
    expect((await post(`/jobs/${spanning.id}/cancel`)).status).toBe(200);
  });

  it("says a task waits for a worker at its own site, and leases each task only at its site's", async () => {
    const job = await submit();
    expect((await get(`/jobs/${job.id}`)).body.waitReason).toBeNull();
    expect(await lease('b')).toEqual([]);
    expect(await lease('c')).toEqual([]);
    const [exported] = await lease('a');
    expect(exported.task).toMatchObject({ jobId: job.id, type: 'export', site: 'a' });
    expect((await complete('a', exported)).status).toBe(200);
    expect(await lease('a')).toEqual([]);

    const waiting = ((await get(`/jobs/${job.id}/tasks`)).body.items as { type: string; waitReason: { code: string; message: string } | null }[]).find(
      (t) => t.type === 'import',
    );
    expect(waiting?.waitReason).toMatchObject({ code: 'no-worker' });
    expect(waiting?.waitReason?.message).toContain('site "b"');
    expect(waiting?.waitReason?.message).toContain('"import"');

    // A worker at b that runs the workflow: the wait is over, and it takes the import.
    await post('/worker/register', { id: 'w-b', name: 'w-b', site: 'b', host: 'test', workflows: ['transfer'] }, tokens['worker-b']);
    const [imported] = await lease('b');
    expect(imported.task).toMatchObject({ jobId: job.id, type: 'import', site: 'b' });
    // The worker at a may not report on b's task.
    const foreign = await post(
      '/worker/complete',
      { completions: [{ taskId: imported.task.id, leaseToken: imported.leaseToken, report: { kind: 'succeeded', changed: true } }] },
      tokens['worker-a'],
    );
    expect(foreign.status).toBe(409);
    expect((await complete('b', imported)).status).toBe(200);
    const ended = (await get(`/jobs/${job.id}`)).body;
    expect(ended).toMatchObject({ state: 'success', sites: ['a', 'b'] });
    const tasks = (await get(`/jobs/${job.id}/tasks`)).body.items as { site: string; workerId: string }[];
    expect(tasks.map((t) => [t.site, t.workerId])).toEqual([
      ['a', 'w-a'],
      ['b', 'w-b'],
    ]);
    expect((await get(`/jobs/${job.id}/sites`)).body.items).toEqual([
      { site: 'a', workerId: 'w-a', taskCounts: { success: 1 } },
      { site: 'b', workerId: 'w-b', taskCounts: { success: 1 } },
    ]);
  });
});
