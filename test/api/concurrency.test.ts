import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';

/**
 * Concurrency per workflow and per key through the API: the catalog shows the declared
 * limits, and a job held back says which limit and which key (`workflow-full`, `key-full`).
 * No local worker: the test leases through the worker protocol, so nothing runs unless it says so.
 */
const limited = defineWorkflow({
  name: 'limited',
  fields: z.object({ n: z.number().default(0) }),
  concurrency: { limit: 2 },
  plan: () => [{ type: 'step' }],
  tasks: { step: () => {} },
});
const perTenant = defineWorkflow({
  name: 'per-tenant',
  fields: z.object({ tenant: z.string() }),
  concurrency: { key: (fields) => `tenant:${fields.tenant}`, perKey: 1 },
  plan: () => [{ type: 'step' }],
  tasks: { step: () => {} },
});
const WORKFLOWS = ['limited', 'per-tenant'];

describe('concurrency limits over HTTP', () => {
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
  type Leased = { task: { id: number; jobId: number }; leaseToken: string };
  const lease = async () =>
    (await post('/worker/lease', { workerId: 'hand', site: 'local', workflows: WORKFLOWS, limit: 10, waitMs: 0 }, workerToken)).body.tasks as Leased[];
  const complete = (t: Leased) =>
    post('/worker/complete', { completions: [{ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: true } }] }, workerToken);

  beforeAll(async () => {
    hub = await startTestHub({ localWorker: false, workflows: [limited, perTenant] });
    workerToken = (await post('/tokens', { name: 'hand', role: 'worker', sites: ['local'] })).body.token;
    expect((await post('/worker/register', { id: 'hand', name: 'hand', site: 'local', host: 'test', workflows: WORKFLOWS }, workerToken)).status).toBe(200);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('shows the declared limits in the workflow catalog', async () => {
    const workflows = (await get('/workflows')).items as { name: string; concurrency: unknown }[];
    expect(workflows.find((w) => w.name === 'limited')?.concurrency).toEqual({ limit: 2, perKey: null, keyed: false });
    expect(workflows.find((w) => w.name === 'per-tenant')?.concurrency).toEqual({ limit: null, perKey: 1, keyed: true });
  });

  it('says why a job waits: its workflow runs as many jobs as its limit allows', async () => {
    const ids = [await submit({ workflow: 'limited', fields: {} }), await submit({ workflow: 'limited', fields: {} })];
    const third = await submit({ workflow: 'limited', fields: {} });
    const running = await lease();
    expect(running.map((t) => t.task.jobId).sort()).toEqual(ids);
    const job = await get(`/jobs/${third}`);
    expect(job.state).toBe('queued');
    expect(job.waitReason).toMatchObject({ code: 'workflow-full', limit: 2 });
    expect(job.waitReason.message).toBe('Workflow "limited" runs at most 2 jobs at once, and 2 are running.');
    expect((await get(`/jobs?id=${third}`)).items[0].waitReason.code).toBe('workflow-full');
    expect((await get(`/jobs/${third}/tasks`)).items[0].waitReason.code).toBe('workflow-full');

    await complete(running[0]);
    expect((await get(`/jobs/${third}`)).waitReason).toBeNull();
    const next = await lease();
    expect(next.map((t) => t.task.jobId)).toEqual([third]);
    for (const t of [running[1], ...next]) await complete(t);
  });

  it('refuses a job whose key the workflow cannot compute, naming the problem', async () => {
    const answer = await post('/jobs', { workflow: 'per-tenant', fields: { tenant: '\u0007' } });
    expect(answer).toMatchObject({ status: 422, body: { error: { code: 'SWY_ERR_WORKFLOW_PLAN' } } });
    expect(answer.body.error.message).toMatch(/Concurrency key: the key must not contain control characters/);
  });

  it('says why a job waits: its key runs as many jobs as the per-key limit allows, while other keys run', async () => {
    const a1 = await submit({ workflow: 'per-tenant', fields: { tenant: 'acme' } });
    const a2 = await submit({ workflow: 'per-tenant', fields: { tenant: 'acme' } });
    const b1 = await submit({ workflow: 'per-tenant', fields: { tenant: 'globex' } });
    const running = await lease();
    expect(running.map((t) => t.task.jobId).sort()).toEqual([a1, b1]);
    const job = await get(`/jobs/${a2}`);
    expect(job).toMatchObject({ state: 'queued', concurrencyKey: 'tenant:acme' });
    expect(job.waitReason).toMatchObject({ code: 'key-full', limit: 1, key: 'tenant:acme' });
    expect(job.waitReason.message).toBe('Workflow "per-tenant" runs at most 1 job per key at once, and 1 with key "tenant:acme" is running.');

    // Cancelling the running job of the key lets the next one in.
    expect((await post(`/jobs/${a1}/cancel`)).status).toBe(200);
    await post(
      '/worker/complete',
      {
        completions: [
          {
            taskId: running.find((t) => t.task.jobId === a1)?.task.id,
            leaseToken: running.find((t) => t.task.jobId === a1)?.leaseToken,
            report: { kind: 'stopped' },
          },
        ],
      },
      workerToken,
    );
    expect((await get(`/jobs/${a2}`)).waitReason).toBeNull();
    const next = await lease();
    expect(next.map((t) => t.task.jobId)).toEqual([a2]);
    for (const t of [...running.filter((r) => r.task.jobId === b1), ...next]) await complete(t);
  });
});
