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

  it('honours a cancel or a pause of a held task before it runs: it is handed back unrun, no attempt spent', async () => {
    gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    hub = await createTestHub({ workflows: [gated], worker: { concurrency: 1, prefetch: 100, holdMs: 1000 } });
    const { engine, store, actor } = hub;
    // Fast jobs give the worker a pace, so it prefetches beyond its one slot.
    const fast = await engine.submitMany(
      Array.from({ length: 150 }, () => ({ workflow: 'gated', fields: { block: false } })),
      actor,
    );
    const blocker = await engine.submit({ workflow: 'gated', fields: { block: true } }, actor);
    const behind = await engine.submitMany(
      Array.from({ length: 20 }, () => ({ workflow: 'gated', fields: { block: false } })),
      actor,
    );
    for (const { job } of fast) await hub.waitForJob(job.id);
    await hub.waitForJob(blocker.job.id, (job) => job.state === 'running');
    const held = [];
    for (const { job } of behind) if ((await store.getJob(job.id))?.state === 'running') held.push(job.id);
    expect(held.length).toBeGreaterThanOrEqual(2);

    const [cancelled, paused] = held;
    await engine.control(cancelled, 'cancel', actor);
    await engine.control(paused, 'pause', actor);
    // Neither waits for the slot: the held leases are confirmed and handed back.
    expect((await hub.waitForJob(cancelled, undefined, 5_000)).state).toBe('cancelled');
    expect((await hub.waitForJob(paused, (job) => job.state === 'paused', 5_000)).state).toBe('paused');
    for (const id of [cancelled, paused]) {
      const [task] = (await store.listTasks(id, { limit: 5 })).items;
      expect(task.attempts).toBe(0);
      const moves = (await store.listEvents(0, 100_000, null)).filter((e) => e.jobId === id && e.type === 'task:state:changed');
      // Never started: no handler ran (it would have ended the task, not stopped it).
      expect(moves.map((e) => e.data.to)).not.toContain('success');
    }

    openGate();
    for (const { job } of behind) if (job.id !== cancelled && job.id !== paused) expect((await hub.waitForJob(job.id)).state).toBe('success');
    await engine.control(paused, 'resume', actor);
    expect((await hub.waitForJob(paused)).state).toBe('success');
  });
});
