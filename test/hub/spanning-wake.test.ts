import { createHub, defineWorkflow, type Hub, z } from 'switchyard';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * A job whose work is at another site than its own waits in its workflow's concurrency line;
 * when the job ahead ends and it is admitted, the worker of the site its tasks run at is woken
 * — not only a worker of the job's home site. The waiting worker long-polls for a minute, so
 * without the wake the admitted job would sit for that minute.
 */
const remote = defineWorkflow({
  name: 'remote-limited',
  fields: z.object({ hold: z.boolean().default(false) }),
  concurrency: { limit: 1 },
  plan: () => [{ type: 'work', site: 'far' }],
  tasks: {
    work: async (ctx) => {
      if (ctx.job.fields.hold) await new Promise((resolve) => setTimeout(resolve, 300));
      return { changed: true };
    },
  },
});

describe('a job admitted from a concurrency line', () => {
  let hub: Hub | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
  });

  it('wakes the workers of the sites its tasks run at', async () => {
    hub = await createHub({ db: ':memory:', workflows: [remote] });
    await hub.startWorker({ site: 'far', isolation: 'in-process', pollWaitMs: 60_000, concurrency: 4 });
    const first = await hub.submit({ workflow: 'remote-limited', fields: { hold: true } });
    const second = await hub.submit({ workflow: 'remote-limited', fields: {} });
    expect((await hub.waitForJob(first.id, { timeoutMs: 30_000 })).state).toBe('success');
    expect((await hub.waitForJob(second.id, { timeoutMs: 30_000 })).state).toBe('success');
  });
});
