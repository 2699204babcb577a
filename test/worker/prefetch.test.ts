import { afterEach, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { Worker } from '../../src/worker/worker.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

let openGate: () => void = () => {};
let gate = new Promise<void>((resolve) => {
  openGate = resolve;
});
const gated = defineWorkflow({
  name: 'gated',
  fields: z.object({ block: z.boolean() }),
  retry: { maxAttempts: 1 },
  plan: () => [{ type: 'step' }],
  tasks: {
    step: async (ctx) => {
      if (ctx.job.fields.block) await gate;
      else await new Promise((resolve) => setTimeout(resolve, 2));
      return { changed: false };
    },
  },
});

let hub: TestHub | null = null;
afterEach(async () => {
  openGate();
  await hub?.close();
  hub = null;
});

describe('worker prefetch', () => {
  it('holds fast tasks beyond its slots, keeps their history exact, and hands held ones back unrun on stop', async () => {
    gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    hub = await createTestHub({ workflows: [gated], worker: { concurrency: 1, prefetch: 100, holdMs: 1000 } });
    const { engine, store, actor } = hub;
    const fast = await engine.submitMany(
      Array.from({ length: 150 }, () => ({ workflow: 'gated', fields: { block: false } })),
      actor,
    );
    const blocker = await engine.submit({ workflow: 'gated', fields: { block: true } }, actor);
    const later = await engine.submitMany(
      Array.from({ length: 40 }, () => ({ workflow: 'gated', fields: { block: false } })),
      actor,
    );
    for (const { job } of fast) await hub.waitForJob(job.id);
    await hub.waitForJob(blocker.job.id, (job) => job.state === 'running');

    // At its pace the worker leased jobs queued behind the blocked one: they wait here, leased.
    const leased = await store.listJobs({ sites: null, states: ['running'], limit: 100 });
    expect(leased.items.length).toBeGreaterThan(1);

    // Every fast job ran once: queued → running → success, nothing more.
    const events = (await store.listEvents(0, 10_000, null)).filter((e) => e.jobId === fast[0].job.id);
    expect(events.filter((e) => e.type === 'task:state:changed').map((e) => `${e.data.from}>${e.data.to}`)).toEqual(['queued>running', 'running>success']);

    await hub.worker?.stop({ graceMs: 50 });
    // Nothing stays leased: the blocked task and the held ones are queued again, their attempt given back.
    for (const { job } of [blocker, ...later]) {
      const tasks = await store.listTasks(job.id, { limit: 5 });
      expect(tasks.items[0].state === 'queued' || tasks.items[0].state === 'success').toBe(true);
      if (tasks.items[0].state === 'queued') expect(tasks.items[0].attempts).toBe(0);
    }

    openGate();
    const again = new Worker({ port: engine, workflows: engine.workflows, site: 'local', concurrency: 4, pollWaitMs: 50, heartbeatMs: 200 });
    await again.start();
    try {
      for (const { job } of later) expect((await hub.waitForJob(job.id)).state).toBe('success');
    } finally {
      await again.stop({ graceMs: 1000 });
    }
  });
});
