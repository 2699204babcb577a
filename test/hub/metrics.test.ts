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
});
