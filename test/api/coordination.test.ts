import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { builtInWorkflows } from '../../src/workflows/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';

/**
 * Coordination through the API: why a job is not running (one test per reason), resource
 * locks between jobs, guarded retry, and controls a workflow does not support. No local
 * worker: the test leases through the worker protocol itself, so nothing runs unless it says so.
 */
const locked = defineWorkflow({
  name: 'locked',
  fields: z.object({ path: z.string(), twoSteps: z.boolean().default(false) }),
  locks: (fields) => [fields.path],
  plan: (fields) =>
    fields.twoSteps
      ? [
          { type: 'step', key: 'a' },
          { type: 'step', key: 'b', after: ['a'] },
        ]
      : [{ type: 'step' }],
  retry: { maxAttempts: 3, backoffMs: 60_000 },
  tasks: { step: () => ({ changed: true }) },
});
const unpausable = defineWorkflow({
  name: 'unpausable',
  fields: z.object({}),
  controls: { pause: false, retry: false },
  plan: () => [{ type: 'step' }],
  tasks: { step: () => {} },
});

describe('coordination over HTTP', () => {
  let hub: RunningHub;
  let workerToken = '';
  const json = async (response: Response) => ({ status: response.status, body: await response.json().catch(() => null) });
  const post = async (path: string, body?: unknown, token?: string) => json(await hub.api(`/api/v1${path}`, { method: 'POST', json: body, token }));
  const get = async (path: string) => (await json(await hub.api(`/api/v1${path}`))).body;
  const submit = async (body: Record<string, unknown>) => {
    const answer = await post('/jobs', body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.id as number;
  };
  const lease = async () =>
    (await post('/worker/lease', { workerId: 'hand', site: 'local', workflows: ['locked', 'unpausable'], limit: 10, waitMs: 0 }, workerToken)).body.tasks as {
      task: { id: number; jobId: number };
      leaseToken: string;
    }[];
  const complete = (t: { task: { id: number }; leaseToken: string }, report: unknown) =>
    post('/worker/complete', { completions: [{ taskId: t.task.id, leaseToken: t.leaseToken, report }] }, workerToken);

  beforeAll(async () => {
    hub = await startTestHub({ localWorker: false, workflows: [...builtInWorkflows, locked, unpausable] });
    workerToken = (await post('/tokens', { name: 'hand', role: 'worker', sites: ['local'] })).body.token;
    expect(
      (await post('/worker/register', { id: 'hand', name: 'hand', site: 'local', host: 'test', workflows: ['locked', 'unpausable'] }, workerToken)).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('says why a job waits: a lock held by an earlier job, naming the resource', async () => {
    const holder = await submit({ workflow: 'locked', fields: { path: 'projects/alpha' } });
    const waiter = await submit({ workflow: 'locked', fields: { path: 'projects/alpha/reports' } });
    const leased = await lease();
    expect(leased.map((t) => t.task.jobId)).toEqual([holder]);
    const job = await get(`/jobs/${waiter}`);
    expect(job.waitReason).toMatchObject({ code: 'lock', jobId: holder, resource: 'projects/alpha/reports' });
    expect(job.waitReason.message).toMatch(new RegExp(`job ${holder}`));
    expect((await get(`/jobs?id=${waiter}`)).items[0].waitReason.code).toBe('lock');
    expect((await get(`/jobs/${waiter}/tasks`)).items[0].waitReason.code).toBe('lock');
    await complete(leased[0], { kind: 'succeeded', changed: true });
    expect((await get(`/jobs/${waiter}`)).waitReason).toBeNull();
    const next = await lease();
    expect(next.map((t) => t.task.jobId)).toEqual([waiter]);
    await complete(next[0], { kind: 'succeeded', changed: true });
  });

  it('says why a job waits: delayed, queue paused, queue full, job paused, no worker for its workflow', async () => {
    const delayed = await submit({ workflow: 'locked', fields: { path: 'd' }, runAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await get(`/jobs/${delayed}`)).waitReason).toMatchObject({ code: 'delayed', until: expect.any(Number) });

    expect((await post('/queues/held/pause')).status).toBe(404);
    const inHeld = await submit({ workflow: 'locked', fields: { path: 'h' }, queue: 'held' });
    expect((await post('/queues/held/pause')).status).toBe(200);
    expect((await get(`/jobs/${inHeld}`)).waitReason.code).toBe('queue-paused');

    const first = await submit({ workflow: 'locked', fields: { path: 's1' }, queue: 'solo' });
    expect((await json(await hub.api('/api/v1/queues/solo', { method: 'PATCH', json: { concurrency: 1 } }))).status).toBe(200);
    const running = await lease();
    expect(running.map((t) => t.task.jobId)).toContain(first);
    const second = await submit({ workflow: 'locked', fields: { path: 's2' }, queue: 'solo' });
    expect((await get(`/jobs/${second}`)).waitReason.code).toBe('queue-full');

    const paused = await submit({ workflow: 'locked', fields: { path: 'p' }, queue: 'held' });
    expect((await post(`/jobs/${paused}/pause`)).status).toBe(200);
    expect((await get(`/jobs/${paused}`)).waitReason.code).toBe('job-paused');

    const orphan = await submit({ workflow: 'simulate', fields: { tasks: 1 } });
    expect((await get(`/jobs/${orphan}`)).waitReason).toMatchObject({ code: 'no-worker', message: expect.stringContaining('simulate') });
    for (const t of running) await complete(t, { kind: 'succeeded', changed: false });
  });

  it('says why a task waits: the tasks it runs after, and a retry backoff', async () => {
    const id = await submit({ workflow: 'locked', fields: { path: 'steps', twoSteps: true } });
    const leased = (await lease()).filter((t) => t.task.jobId === id);
    const tasks = (await get(`/jobs/${id}/tasks`)).items;
    expect(tasks.find((t: { key: string }) => t.key === 'b').waitReason.code).toBe('dependencies');
    await complete(leased[0], { kind: 'failed', error: { message: 'flaky' }, retryable: true });
    const after = (await get(`/jobs/${id}/tasks`)).items.find((t: { key: string }) => t.key === 'a');
    expect(after.waitReason).toMatchObject({ code: 'backoff', until: expect.any(Number) });
    expect(after.waitReason.message).toMatch(/attempt 1 of 3/);
    expect((await post(`/jobs/${id}/cancel`)).status).toBe(200);
  });

  it('refuses to retry a job a later job superseded, unless an admin forces it (audited)', async () => {
    const first = await submit({ workflow: 'locked', fields: { path: 'reports/2026' } });
    const [t] = await lease();
    await complete(t, { kind: 'failed', error: { message: 'disk full' }, retryable: false });
    expect((await get(`/jobs/${first}`)).state).toBe('failure');
    const later = await submit({ workflow: 'locked', fields: { path: 'reports' } });
    const [u] = await lease();
    await complete(u, { kind: 'succeeded', changed: true });

    const refused = await post(`/jobs/${first}/retry`);
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'SWY_ERR_RETRY_SUPERSEDED' } } });
    expect(refused.body.error.message).toContain(`Job ${later}`);
    const operator = (await post('/tokens', { name: 'op', role: 'operator' })).body.token;
    expect((await post(`/jobs/${first}/retry`, { force: true }, operator)).status).toBe(403);
    const forced = await post(`/jobs/${first}/retry`, { force: true });
    expect(forced).toMatchObject({ status: 200, body: { state: 'queued' } });
    const audit = await get(`/audit/job/${first}`);
    expect(audit.items.map((a: { action: string }) => a.action)).toContain('job.retry.force');
    const [again] = await lease();
    await complete(again, { kind: 'succeeded', changed: true });
  });

  it('refuses controls the workflow does not support, and says so in its description', async () => {
    const workflows = (await get('/workflows')).items;
    expect(workflows.find((w: { name: string }) => w.name === 'unpausable').controls).toEqual({ pause: false, cancel: true, retry: false });
    const id = await submit({ workflow: 'unpausable', fields: {} });
    expect(await post(`/jobs/${id}/pause`)).toMatchObject({ status: 409, body: { error: { code: 'SWY_ERR_CONTROL_UNSUPPORTED' } } });
    expect((await post(`/jobs/${id}/cancel`)).status).toBe(200);
    expect(await post(`/jobs/${id}/retry`)).toMatchObject({ status: 409, body: { error: { code: 'SWY_ERR_CONTROL_UNSUPPORTED' } } });
  });
});
