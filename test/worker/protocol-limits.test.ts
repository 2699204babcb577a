import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerPort } from '../../src/engine/ports.js';
import { defineWorkflow, z } from '../../src/index.js';
import type { TaskActivity } from '../../src/model/index.js';
import { Worker } from '../../src/worker/worker.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

/** The worker protocol's limits (src/api/routes/worker.ts), checked on every request a worker makes. */
function checkRequest(batch: TaskActivity[]): void {
  expect(batch.length).toBeLessThanOrEqual(1_000);
  expect(Buffer.byteLength(JSON.stringify({ reports: batch }))).toBeLessThanOrEqual(8 * 1024 * 1024);
  for (const activity of batch) {
    expect(activity.logs?.length ?? 0).toBeLessThanOrEqual(10_000);
    expect(activity.items?.length ?? 0).toBeLessThanOrEqual(10_000);
    for (const line of activity.logs ?? []) expect(line.length).toBeLessThanOrEqual(65_536);
  }
}

const chatty = defineWorkflow({
  name: 'chatty',
  fields: z.object({ lines: z.number(), width: z.number() }),
  plan: () => [{ type: 'talk' }],
  tasks: {
    talk: (ctx) => {
      const pad = 'w'.repeat(ctx.job.fields.width);
      for (let i = 0; i < ctx.job.fields.lines; i++) ctx.log(`${i} ${pad}`);
      return { changed: true };
    },
  },
});

let hub: TestHub | null = null;
let worker: Worker | null = null;
afterEach(async () => {
  await worker?.stop({ graceMs: 1_000 });
  await hub?.close();
  hub = null;
  worker = null;
});

describe('requests a worker sends fit the worker protocol', () => {
  it('keeps 30,000 log lines of 2 KB, buffered while the hub was unreachable, in order and within every limit', async () => {
    hub = await createTestHub({ workflows: [chatty], worker: false });
    const engine = hub.engine;
    let unreachableUntil = 0;
    // The hub is unreachable for the first second of reports: the worker keeps that activity and sends it later.
    const port: WorkerPort = {
      register: (info) => engine.register(info),
      lease: (request) => engine.lease(request),
      heartbeat: (request) => engine.heartbeat(request),
      report: async (batch) => {
        checkRequest(batch);
        unreachableUntil ||= Date.now() + 1_000;
        if (Date.now() < unreachableUntil) throw Object.assign(new Error('hub unreachable'), { status: 0 });
        return engine.report(batch);
      },
      complete: async (batch) => {
        checkRequest(batch);
        return engine.complete(batch);
      },
      transferStatus: (request) => engine.transferStatus(request),
      transferUpload: (request) => engine.transferUpload(request),
      transferDownload: (request) => engine.transferDownload(request),
    };
    worker = new Worker({ port, workflows: engine.workflows, site: 'local', pollWaitMs: 50, heartbeatMs: 200 });
    await worker.start();
    const { job } = await engine.submit({ workflow: 'chatty', fields: { lines: 30_000, width: 2_000 } }, hub.actor);
    expect((await hub.waitForJob(job.id, undefined, 60_000)).state).toBe('success');
    const [task] = (await hub.store.listTasks(job.id, { limit: 1 })).items;
    const lines = await hub.store.taskOutput(task.id, 0, 40_000);
    expect(lines).toHaveLength(30_000);
    expect(lines.every((line, i) => line.line.startsWith(`${i} `))).toBe(true);
  }, 90_000);
});
