import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/model/index.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';
import { relay } from './fixtures/staging-workflows.js';

// A worker running handlers in threads stages the next task in the thread of a running one
// while tasks end quickly: it starts there as that one ends. These tests hold it to what
// concurrency promises and to what a held (prefetched) task does when cancelled or orphaned.

type Mode = 'quick' | 'brief' | 'wait' | 'mark' | 'exit';

let hub: TestHub;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swy-staging-'));
  hub = await createTestHub({ workflows: [relay], worker: { isolation: 'thread', concurrency: 1 } });
});
afterEach(async () => {
  await hub.close();
  await rm(dir, { recursive: true, force: true });
});

async function submit(modes: Mode[]): Promise<number[]> {
  const outcomes = await hub.engine.submitMany(
    modes.map((mode) => ({ workflow: 'relay', fields: { mode, dir } })),
    hub.actor,
  );
  return outcomes.map((outcome) => {
    if (!('job' in outcome)) throw new Error(`not submitted: ${JSON.stringify(outcome)}`);
    return outcome.job.id;
  });
}

async function resultOf(jobId: number): Promise<{ staged: boolean; overlap: number }> {
  const [task] = (await hub.store.listTasks(jobId, { limit: 1 })).items;
  return task.result as { staged: boolean; overlap: number };
}

describe('tasks staged in a handler thread', () => {
  it('at concurrency 1, never overlap, and start there as the previous one ends', { timeout: 120_000 }, async () => {
    // Handlers of 2 ms: time enough, even on a busy machine, to stage the next while one runs.
    const ids = await submit(Array.from({ length: 400 }, () => 'brief' as const));
    const jobs: JobRecord[] = [];
    for (const id of ids) jobs.push(await hub.waitForJob(id, undefined, 60_000));
    expect(jobs.every((job) => job.state === 'success')).toBe(true);
    const results = await Promise.all(ids.map(resultOf));
    expect(Math.max(...results.map((result) => result.overlap))).toBe(1);
    // Once the pace is known (a quarter second in), the next task waits in the thread.
    expect(results.filter((result) => result.staged).length).toBeGreaterThan(0);
  });

  it('at concurrency 3 in one thread, with cancels among them, never run more than 3 at once', { timeout: 120_000 }, async () => {
    await hub.close();
    hub = await createTestHub({ workflows: [relay], worker: { isolation: 'thread', concurrency: 3, threads: 1, threadTasks: 3 } });
    const ids = await submit(Array.from({ length: 600 }, () => 'brief' as const));
    // Cancels land on jobs queued, held, staged and running alike.
    const cancelled = ids.filter((_, i) => i % 7 === 3);
    for (const id of cancelled) {
      await hub.engine.control(id, 'cancel', hub.actor).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const jobs: JobRecord[] = [];
    for (const id of ids) jobs.push(await hub.waitForJob(id, undefined, 60_000));
    expect(jobs.every((job) => job.state === 'success' || (job.state === 'cancelled' && cancelled.includes(job.id)))).toBe(true);
    const results = await Promise.all(jobs.filter((job) => job.state === 'success').map((job) => resultOf(job.id)));
    expect(Math.max(...results.map((result) => result.overlap))).toBeLessThanOrEqual(3);
  });

  it.each([
    ['cancel', 'cancelled', 'cancelled'],
    ['pause', 'paused', 'paused'],
  ] as const)(
    'a task told to %s while it waits behind a running one never runs: its job ends %s',
    { timeout: 120_000 },
    async (control, jobState, taskState) => {
      const quick = await submit(Array.from({ length: 300 }, () => 'quick' as const));
      const [waiting, marked] = await submit(['wait', 'mark']);
      await hub.waitForJob(quick[quick.length - 1], undefined, 60_000);
      await hub.waitForJob(waiting, (job) => job.state === 'running', 60_000);
      // Leased by the worker: staged behind the waiting task, or held.
      await hub.waitForJob(marked, (job) => job.state === 'running', 60_000);
      await hub.engine.control(marked, control, hub.actor);
      expect((await hub.waitForJob(marked, (job) => job.state === jobState, 60_000)).state).toBe(jobState);
      await writeFile(join(dir, 'go'), '');
      expect((await hub.waitForJob(waiting, undefined, 60_000)).state).toBe('success');
      expect(existsSync(join(dir, `ran-${marked}`))).toBe(false);
      const [task] = (await hub.store.listTasks(marked, { limit: 1 })).items;
      // Handed back unrun: no attempt spent.
      expect(task).toMatchObject({ state: taskState, attempts: 0 });
    },
  );

  it('a task staged in a thread that dies is given back, runs again and succeeds', { timeout: 120_000 }, async () => {
    const quick = await submit(Array.from({ length: 300 }, () => 'quick' as const));
    const [exiting, marked] = await submit(['exit', 'mark']);
    await hub.waitForJob(quick[quick.length - 1], undefined, 60_000);
    expect((await hub.waitForJob(exiting, undefined, 60_000)).state).toBe('failure');
    expect((await hub.waitForJob(marked, undefined, 60_000)).state).toBe('success');
    expect(existsSync(join(dir, `ran-${marked}`))).toBe(true);
    const [task] = (await hub.store.listTasks(marked, { limit: 1 })).items;
    expect(task.attempts).toBe(1);
  });
});
