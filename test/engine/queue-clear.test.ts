import { afterEach, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

const idle = defineWorkflow({ name: 'idle', fields: z.object({}), plan: () => [{ type: 'wait' }], tasks: { wait: () => ({ changed: false }) } });

let hub: TestHub | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

describe('clearing a long queue', () => {
  it('cancels every queued job, giving the event loop back between pages', async () => {
    hub = await createTestHub({ workflows: [idle], worker: false });
    await hub.engine.submitMany(
      Array.from({ length: 450 }, () => ({ workflow: 'idle', fields: {}, queue: 'backlog' })),
      hub.actor,
    );
    // Queued before the clear starts: it runs between two pages of 200, not after the last.
    const turn = new Promise<string>((resolve) => setImmediate(() => resolve('event loop')));
    const clearing = hub.engine.queues.clear('backlog', hub.actor);
    expect(await Promise.race([clearing.then(() => 'cleared'), turn])).toBe('event loop');
    expect(await clearing).toBe(450);
    expect((await hub.engine.queues.get('backlog', hub.actor)).queuedJobs).toBe(0);
  });
});
