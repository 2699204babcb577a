import { defineWorkflow, SYSTEM_ACTOR, z } from 'switchyard';
import { describe, expect, it } from 'vitest';
import { useHubOn } from '../helpers/hub-on-store.js';
import { hubStores } from '../helpers/store-harness.js';

const serial = defineWorkflow({
  name: 'serial-noop',
  fields: z.object({}),
  plan: () => [{ type: 'work' }],
  tasks: { work: () => ({ changed: false }) },
});

const JOBS = 8;

/**
 * A queue of concurrency 1 runs its jobs one after another: the end of each frees the slot the
 * next waits for, and wakes the idle workers. No task of the next job becomes ready when it
 * does, so before that wake the workers found it only at the lease's recheck, a second later:
 * the queue ran a job a second, whatever the job (8 no-op jobs took about 8 s; now well under
 * one). The bound below is half of what the missing wake costs.
 */
describe.each(hubStores('queue wake'))('a queue of concurrency 1 on $name', (store) => {
  const open = useHubOn(store, [serial]);

  it('starts each job as soon as the one ahead ends', async (context) => {
    const hub = await open(context);
    const jobs = [];
    for (let i = 0; i < JOBS; i++) jobs.push(await hub.submit({ workflow: 'serial-noop', queue: 'serial', fields: {} }));
    await hub.engine.queues.update('serial', { concurrency: 1 }, SYSTEM_ACTOR);
    const started = performance.now();
    await hub.startWorker({ isolation: 'in-process', concurrency: 4 });
    for (const job of jobs) expect((await hub.waitForJob(job.id, { timeoutMs: 60_000 })).state).toBe('success');
    expect(performance.now() - started).toBeLessThan((JOBS * 1000) / 2);
  });
});
