import { createHub, defineWorkflow, type Hub, type HubEvents, SYSTEM_ACTOR, z } from 'switchyard';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type ExampleApp } from '../../examples/fastify-app.js';

const shout = defineWorkflow({
  name: 'shout',
  fields: z.object({ words: z.array(z.string()).min(1) }),
  plan: (fields) => fields.words.map((word) => ({ type: 'say', input: { word } })),
  tasks: {
    say: (ctx) => {
      const { word } = ctx.task.input as { word: string };
      if (word === 'boom') throw new Error('no shouting boom');
      ctx.item(word, { operation: 'say', outcome: 'completed' });
      return { changed: true, result: word.toUpperCase() };
    },
  },
  retry: { maxAttempts: 1 },
});

/** Resolves with the first event of that name matching `match`. */
function next<K extends keyof HubEvents>(hub: Hub, name: K, match: (event: HubEvents[K]) => boolean): Promise<HubEvents[K]> {
  return new Promise((resolve) => {
    const off = hub.on(name, (event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}

describe('a Fastify service embedding the hub (examples/fastify-app.ts)', () => {
  let example: ExampleApp | null = null;
  afterEach(async () => {
    await example?.app.close();
    example = null;
  });

  it('serves its own routes beside the mounted API, and its job finishes with an event', async () => {
    example = await buildApp({ db: ':memory:' });
    const { app, hub } = example;
    const finished: HubEvents['job:finished'][] = [];
    hub.on('job:finished', (event) => finished.push(event));

    // Over a real socket, as the service's clients reach it.
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const submitted = await fetch(`${url}/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'q3' }) });
    expect(submitted.status).toBe(202);
    const { jobId } = (await submitted.json()) as { jobId: number };
    const done = finished.find((e) => e.jobId === jobId) ?? (await next(hub, 'job:finished', (e) => e.jobId === jobId));
    expect(done).toMatchObject({ jobId, state: 'success', workflow: 'build-report', site: 'local' });
    expect((await app.inject({ url: `/reports/${jobId}` })).json()).toEqual({ state: 'success', percent: 100 });

    // The hub's own routes, under the prefix, with its access rules.
    expect((await app.inject({ url: '/ops/health' })).json()).toMatchObject({ status: 'ok', store: 'sqlite' });
    expect((await app.inject({ url: '/ops/api/v1/jobs' })).statusCode).toBe(401);
    const { token } = await hub.engine.auth.createToken(SYSTEM_ACTOR, { name: 'reader', role: 'viewer' });
    const listed = await app.inject({ url: '/ops/api/v1/jobs', headers: { authorization: `Bearer ${token}` } });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((job: { id: number }) => job.id)).toContain(jobId);
    const items = await app.inject({ url: `/ops/api/v1/jobs/${jobId}/items`, headers: { authorization: `Bearer ${token}` } });
    expect(items.json().items).toHaveLength(3);

    // The console's shell names where it is mounted; the host app's 404s stay its own.
    const shell = await app.inject({ url: '/ops/jobs/1' });
    if (shell.statusCode === 200) expect(shell.body).toContain('<base href="/ops/" />');
    expect((await app.inject({ url: '/elsewhere' })).json()).toMatchObject({ statusCode: 404 });
  });
});

describe('createHub in a program', () => {
  let hub: Hub | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
  });

  it('submits, hears job:finished and task:finished after the store accepted them, and counts open jobs', async () => {
    hub = await createHub({ db: ':memory:', workflows: [shout] });
    const tasksFinished: HubEvents['task:finished'][] = [];
    const created: number[] = [];
    hub.on('task:finished', (event) => tasksFinished.push(event));
    hub.on('job:created', (event) => created.push(event.jobId));

    const job = await hub.submit({ workflow: 'shout', fields: { words: ['hello', 'world'] } });
    expect(await hub.openJobs()).toBe(1);
    const finishing = next(hub, 'job:finished', (e) => e.jobId === job.id);
    await hub.startWorker({ isolation: 'in-process' });
    const finished = await finishing;
    expect(finished.state).toBe('success');
    // What the event announced is already in the store.
    expect((await hub.job(job.id)).state).toBe('success');
    expect(await hub.openJobs()).toBe(0);
    expect(created).toEqual([job.id]);
    expect(tasksFinished.map((e) => [e.workflow, e.state])).toEqual([
      ['say', 'success'],
      ['say', 'success'],
    ]);
    const tasks = await hub.tasks(job.id);
    expect(tasks.map((t) => t.result).sort()).toEqual(['HELLO', 'WORLD']);
    expect((await hub.items(job.id)).map((i) => i.path).sort()).toEqual(['hello', 'world']);
    expect((await hub.jobs({ states: ['success'] })).items.map((j) => j.id)).toEqual([job.id]);
  });

  it("acts as the actor it is given, with that actor's access rules", async () => {
    hub = await createHub({ db: ':memory:', workflows: [shout] });
    const viewer = { name: 'vera', role: 'viewer' as const, sites: null, ref: 'user:vera' };
    await expect(hub.submit({ workflow: 'shout', fields: { words: ['x'] } }, viewer)).rejects.toMatchObject({ code: 'SWY_ERR_AUTH_FORBIDDEN' });
    const job = await hub.submit({ workflow: 'shout', fields: { words: ['boom'] } });
    await hub.control(job.id, 'cancel');
    const ended = await hub.waitForJob(job.id);
    expect(ended.state).toBe('cancelled');
    await expect(hub.submit({ workflow: 'shout', fields: { words: [] } })).rejects.toMatchObject({ code: 'SWY_ERR_WORKFLOW_FIELDS' });
  });

  it('serves standalone with listen(), and metrics on a port of their own', async () => {
    hub = await createHub({ db: ':memory:', workflows: [shout] });
    const url = await hub.listen({ port: 0 });
    expect((await (await fetch(`${url}/health`)).json()).status).toBe('ok');
    const metricsUrl = await hub.listenMetrics({ port: 0 });
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toContain('switchyard_jobs_submitted_total');
  });
});
