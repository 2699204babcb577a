import Fastify from 'fastify';
import { createHub, defineWorkflow, type Hub, SYSTEM_ACTOR, z } from 'switchyard';
import { afterEach, describe, expect, it } from 'vitest';

const work = defineWorkflow({
  name: 'work',
  fields: z.object({ fail: z.boolean().default(false) }),
  plan: () => [{ type: 'step' }, { type: 'step' }],
  tasks: {
    step: (ctx) => {
      if (ctx.job.fields.fail && ctx.task.id % 2 === 0) throw new Error('failing on purpose');
      return { changed: true };
    },
  },
  retry: { maxAttempts: 1 },
});

/** The value of one sample of the exposition text (`name{labels} value`), or null when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe('/metrics', () => {
  let hub: Hub | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
  });

  it('reports jobs, tasks, queues, workers and HTTP durations after a known run, to admins only', async () => {
    hub = await createHub({ db: ':memory:', workflows: [work] });
    const app = Fastify();
    await app.register(hub.plugin);
    const admin = (await hub.engine.auth.createToken(SYSTEM_ACTOR, { name: 'scraper', role: 'admin' })).token;
    const viewer = (await hub.engine.auth.createToken(SYSTEM_ACTOR, { name: 'viewer', role: 'viewer' })).token;
    const scrape = async (token: string | null) => app.inject({ url: '/metrics', headers: token ? { authorization: `Bearer ${token}` } : {} });

    expect((await scrape(null)).statusCode).toBe(401);
    expect((await scrape(viewer)).statusCode).toBe(403);
    const first = await scrape(admin);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toContain('text/plain');

    // Two jobs wait with no worker: queue depth and open jobs say so.
    const ok = await hub.submit({ workflow: 'work', fields: {} });
    const bad = await hub.submit({ workflow: 'work', fields: { fail: true } });
    let text = (await scrape(admin)).body;
    expect(sample(text, 'switchyard_queue_depth', { queue: 'default' })).toBe(2);
    expect(sample(text, 'switchyard_queue_oldest_waiting_seconds', { queue: 'default' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'switchyard_jobs', { state: 'queued', site: 'local', queue: 'default' })).toBe(2);
    expect(sample(text, 'switchyard_jobs_submitted_total', { workflow: 'work', site: 'local' })).toBe(2);

    await hub.startWorker({ isolation: 'in-process', pollWaitMs: 100 });
    await hub.waitForJob(ok.id);
    await hub.waitForJob(bad.id);
    text = (await scrape(admin)).body;
    expect(sample(text, 'switchyard_jobs_finished_total', { workflow: 'work', state: 'success' })).toBe(1);
    expect(sample(text, 'switchyard_jobs_finished_total', { workflow: 'work', state: 'failure' })).toBe(1);
    expect(sample(text, 'switchyard_tasks_leased_total', { site: 'local' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'switchyard_tasks_failed_total', { type: 'step' })).toBe(1);
    const completed = text.split('\n').filter((line) => line.startsWith('switchyard_tasks_completed_total{'));
    expect(completed.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)).toBe(3);
    expect(sample(text, 'switchyard_jobs', { state: 'queued' })).toBeNull();
    expect(sample(text, 'switchyard_queue_depth', { queue: 'default' })).toBe(0);
    expect(sample(text, 'switchyard_workers_online', { site: 'local' })).toBe(1);
    expect(sample(text, 'switchyard_lease_seconds_count', { outcome: 'granted' })).toBeGreaterThan(0);
    expect(sample(text, 'switchyard_store_call_seconds_count', { verb: 'completeTasks' })).toBeGreaterThan(0);
    expect(sample(text, 'switchyard_http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(2);
    await app.close();
  });

  it('measure task durations and queue waits by workflow, task type and outcome, on the hub clock', async () => {
    let now = 1_000_000;
    const timed = defineWorkflow({
      name: 'timed',
      fields: z.object({ type: z.enum(['step', 'flaky']) }),
      plan: (fields) => [{ type: fields.type }],
      tasks: {
        step: () => {
          now += 2_000; // each step runs 2 s on the hub's clock
          return { changed: true };
        },
        flaky: (ctx) => {
          now += 500;
          if (ctx.task.attempt === 1) throw new Error('first attempt fails');
        },
      },
      retry: { maxAttempts: 2, backoffMs: 0 },
    });
    hub = await createHub({ db: ':memory:', workflows: [timed], clock: () => now });
    await hub.engine.metrics.text(); // counting starts at the first scrape
    // One job at a time, so that each clock jump lands inside the attempt it belongs to (a
    // worker frees a slot before its completion is recorded: the next handler could jump first).
    const first = await hub.submit({ workflow: 'timed', fields: { type: 'step' } });
    now += 5_000; // the first step waits 5 s for a worker
    await hub.startWorker({ isolation: 'in-process', concurrency: 1, pollWaitMs: 100 });
    expect((await hub.waitForJob(first.id)).state).toBe('success');
    for (const type of ['step', 'flaky'] as const) {
      const job = await hub.submit({ workflow: 'timed', fields: { type } });
      expect((await hub.waitForJob(job.id)).state).toBe('success');
    }
    const text = await hub.engine.metrics.text();

    const step = { workflow: 'timed', type: 'step', site: 'local' };
    expect(sample(text, 'switchyard_task_duration_seconds_count', { ...step, outcome: 'success' })).toBe(2);
    expect(sample(text, 'switchyard_task_duration_seconds_sum', { ...step, outcome: 'success' })).toBe(4);
    expect(sample(text, 'switchyard_task_duration_seconds_bucket', { ...step, outcome: 'success', le: '1' })).toBe(0);
    expect(sample(text, 'switchyard_task_duration_seconds_bucket', { ...step, outcome: 'success', le: '5' })).toBe(2);
    const flaky = { workflow: 'timed', type: 'flaky', site: 'local' };
    expect(sample(text, 'switchyard_task_duration_seconds_sum', { ...flaky, outcome: 'requeued' })).toBe(0.5);
    expect(sample(text, 'switchyard_task_duration_seconds_sum', { ...flaky, outcome: 'success' })).toBe(0.5);
    // The first step waited 5 s; the second was leased as it was submitted (the hub's clock stood still).
    expect(sample(text, 'switchyard_task_queue_wait_seconds_count', step)).toBe(2);
    expect(sample(text, 'switchyard_task_queue_wait_seconds_sum', step)).toBe(5);
    expect(sample(text, 'switchyard_task_queue_wait_seconds_bucket', { ...step, le: '1' })).toBe(1);
    expect(sample(text, 'switchyard_task_queue_wait_seconds_count', flaky)).toBe(2);
  });
});
