import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineWorkflow, fail, skip, z } from '../../src/index.js';
import type { Store } from '../../src/store/store.js';
import { postgresHarness, type StoreHarness, sqliteHarness } from '../helpers/store-harness.js';
import { createTestHub as createHubOn, type TestHub, type TestHubOptions } from '../helpers/test-hub.js';

const copyTree = defineWorkflow({
  name: 'copy-tree',
  fields: z.object({ files: z.number().int().min(0), failEvery: z.number().int().optional(), parts: z.number().int().default(4) }),
  plan: (fields) => Array.from({ length: fields.parts }, (_, part) => ({ type: 'copy', input: { part } })),
  tasks: {
    copy: async (ctx) => {
      const { part } = ctx.task.input as { part: number };
      const { files, failEvery, parts } = ctx.job.fields;
      const mine = Array.from({ length: files }, (_, i) => i).filter((i) => i % parts === part);
      mine.forEach((i, n) => {
        const failed = failEvery !== undefined && i % failEvery === 0;
        ctx.item(`/data/file-${i}`, {
          operation: 'copy',
          outcome: failed ? 'failed' : 'completed',
          bytes: 100,
          error: failed ? 'checksum mismatch' : undefined,
        });
        ctx.progress(n + 1, mine.length);
      });
      ctx.log(`copied ${mine.length} files`);
      return { changed: mine.length > 0, result: { copied: mine.length } };
    },
  },
});

let attemptsSeen = 0;
const flaky = defineWorkflow({
  name: 'flaky',
  fields: z.object({ mode: z.enum(['throw', 'fatal', 'skip', 'recover']) }),
  retry: { maxAttempts: 3, backoffMs: 1, maxBackoffMs: 5 },
  plan: () => [{ type: 'run' }, { type: 'run' }],
  tasks: {
    run: (ctx) => {
      attemptsSeen += 1;
      const { mode } = ctx.job.fields;
      if (mode === 'throw') throw new Error(`attempt ${ctx.task.attempt} broke`);
      if (mode === 'fatal') fail('the source does not exist');
      if (mode === 'skip') skip('already in place');
      if (mode === 'recover' && ctx.task.attempt < 2) throw new Error('transient');
      return { changed: true };
    },
  },
});

const fanOut = defineWorkflow({
  name: 'fan-out',
  fields: z.object({ children: z.number().int() }),
  plan: () => [{ type: 'scan', key: 'scan' }],
  tasks: {
    scan: (ctx) => {
      const keys = Array.from({ length: ctx.job.fields.children }, (_, i) => `child-${i}`);
      ctx.spawn(keys.map((key, i) => ({ type: 'child', key, input: i })));
      ctx.spawn({ type: 'summary', key: 'summary', after: ['scan', ...keys] });
      return { changed: false };
    },
    child: (ctx) => {
      ctx.item(`child-${ctx.task.input}`, { operation: 'touch', outcome: 'completed' });
      return { changed: true };
    },
    summary: () => ({ changed: false, result: 'done' }),
  },
});

/** The started `wait` handlers' resolvers, oldest first. */
const waiting: Array<() => void> = [];
/**
 * Settles the oldest started `wait` handler, once one has started: a job reads running from the
 * moment its task is leased, a little before the worker calls the handler.
 */
async function release(): Promise<void> {
  await vi.waitUntil(() => waiting.length > 0, { timeout: 15_000, interval: 20 });
  waiting.shift()?.();
}
const slow = defineWorkflow({
  name: 'slow',
  fields: z.object({}),
  plan: () => [{ type: 'wait' }],
  tasks: {
    wait: (ctx) =>
      new Promise((resolve, reject) => {
        const settle = () => resolve({ changed: true });
        waiting.push(settle);
        ctx.signal.addEventListener('abort', () => {
          const at = waiting.indexOf(settle);
          if (at >= 0) waiting.splice(at, 1);
          reject(ctx.signal.reason);
        });
      }),
  },
});

describe.each([sqliteHarness(), postgresHarness()])('engine lifecycle on $name, in-process worker', (harness: StoreHarness) => {
  let hub: TestHub | undefined;
  let store: Store | undefined;
  let unavailable: string | null = null;
  beforeAll(async () => {
    unavailable = await harness.available();
    if (unavailable) console.warn(`\n!!! SKIPPING engine lifecycle on ${harness.name}: ${unavailable}\n`);
  });
  afterEach(async () => {
    await hub?.close();
    if (store) await harness.destroy(store);
    hub = undefined;
    waiting.length = 0;
    store = undefined;
  });
  /** A hub on a fresh store of this backend (one file or schema per test). */
  async function createTestHub(options: TestHubOptions, context: { task: { name: string }; skip(): void }): Promise<TestHub> {
    if (unavailable) context.skip();
    store = await harness.create(context.task.name);
    return createHubOn({ ...options, store });
  }

  it('runs a job of several tasks recording 1,000 items to success', async (context) => {
    hub = await createTestHub({ workflows: [copyTree] }, context);
    const { job } = await hub.engine.submit({ workflow: 'copy-tree', fields: { files: 1000 } }, hub.actor);
    const done = await hub.waitForJob(job.id);
    expect(done).toMatchObject({ state: 'success', outcome: 'changed', itemCounts: { completed: 1000, failed: 0 } });
    expect(done.taskCounts.success).toBe(4);
    expect(done.progress.done).toBe(done.progress.total);
    const page = await hub.store.listItems(job.id, { limit: 2000 });
    expect(page.items).toHaveLength(1000);
    const [task] = (await hub.store.listTasks(job.id, { limit: 1 })).items;
    expect(task.result).toEqual({ copied: 250 });
    expect((await hub.store.taskOutput(task.id, 0, 10)).map((l) => l.line)).toEqual(['copied 250 files']);
  });

  it('ends in error when some items failed', async (context) => {
    hub = await createTestHub({ workflows: [copyTree] }, context);
    const { job } = await hub.engine.submit({ workflow: 'copy-tree', fields: { files: 100, failEvery: 10 } }, hub.actor);
    const done = await hub.waitForJob(job.id);
    expect(done).toMatchObject({ state: 'error', itemCounts: { completed: 90, failed: 10 } });
    const failed = await hub.store.listItems(job.id, { outcome: 'failed', limit: 100 });
    expect(failed.items.every((item) => item.error === 'checksum mismatch')).toBe(true);
  });

  it('fails a job whose task throws, after its retries', async (context) => {
    hub = await createTestHub({ workflows: [flaky] }, context);
    attemptsSeen = 0;
    const { job } = await hub.engine.submit({ workflow: 'flaky', fields: { mode: 'throw' } }, hub.actor);
    const done = await hub.waitForJob(job.id);
    expect(done.state).toBe('failure');
    expect(done.reason).toMatch(/attempt 3 broke/);
    expect(attemptsSeen).toBe(6);
    const tasks = (await hub.store.listTasks(job.id, { limit: 10 })).items;
    expect(tasks.map((t) => [t.state, t.attempts])).toEqual([
      ['failure', 3],
      ['failure', 3],
    ]);
  });

  it('fails at once on fail(), and recovers when a retry succeeds', async (context) => {
    hub = await createTestHub({ workflows: [flaky] }, context);
    attemptsSeen = 0;
    const fatal = await hub.engine.submit({ workflow: 'flaky', fields: { mode: 'fatal' } }, hub.actor);
    expect(await hub.waitForJob(fatal.job.id)).toMatchObject({ state: 'failure', reason: expect.stringMatching(/does not exist/) });
    expect(attemptsSeen).toBe(2);
    const recover = await hub.engine.submit({ workflow: 'flaky', fields: { mode: 'recover' } }, hub.actor);
    expect(await hub.waitForJob(recover.job.id)).toMatchObject({ state: 'success', outcome: 'changed' });
  });

  it('ends skipped when every task had nothing to do', async (context) => {
    hub = await createTestHub({ workflows: [flaky] }, context);
    const { job } = await hub.engine.submit({ workflow: 'flaky', fields: { mode: 'skip' } }, hub.actor);
    expect(await hub.waitForJob(job.id)).toMatchObject({ state: 'skipped', outcome: 'unchanged' });
  });

  it('fans out spawned tasks and runs the dependent summary last', async (context) => {
    hub = await createTestHub({ workflows: [fanOut] }, context);
    const { job } = await hub.engine.submit({ workflow: 'fan-out', fields: { children: 50 } }, hub.actor);
    const done = await hub.waitForJob(job.id);
    expect(done).toMatchObject({ state: 'success', itemCounts: { completed: 50 }, progress: { done: 52_000, total: 52_000 } });
    const tasks = (await hub.store.listTasks(job.id, { limit: 100 })).items;
    const summary = tasks.find((t) => t.type === 'summary');
    const lastChild = Math.max(...tasks.filter((t) => t.type !== 'summary').map((t) => t.endedAt ?? 0));
    expect(summary?.startedAt).toBeGreaterThanOrEqual(lastChild);
    expect(summary?.dependsOn).toHaveLength(51);
    expect(summary?.result).toBe('done');
  });

  it('cancels a running job: the handler sees its signal abort and the job ends cancelled', async (context) => {
    hub = await createTestHub({ workflows: [slow] }, context);
    const { job } = await hub.engine.submit({ workflow: 'slow', fields: {} }, hub.actor);
    await hub.waitForJob(job.id, (j) => j.state === 'running');
    expect((await hub.engine.control(job.id, 'cancel', hub.actor)).state).toBe('cancelling');
    expect(await hub.waitForJob(job.id)).toMatchObject({ state: 'cancelled' });
    const audit = await hub.store.listAudit({ sites: null, target: `job:${job.id}`, limit: 10 });
    expect(audit.items.map((a) => a.action)).toEqual(['job.cancel', 'job.submit']);
  });

  it('audits a submission with its job, once: concurrent submits of one idempotency key make one job and one entry', async (context) => {
    hub = await createTestHub({ workflows: [slow], worker: false }, context);
    const outcomes = await Promise.all(
      [1, 2, 3].map(
        () => hub?.engine.submit({ workflow: 'slow', fields: {}, idempotencyKey: 'once' }, hub.actor) as Promise<{ job: { id: number }; created: boolean }>,
      ),
    );
    expect(new Set(outcomes.map((o) => o.job.id)).size).toBe(1);
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    const audit = await hub.store.listAudit({ sites: null, target: `job:${outcomes[0].job.id}`, limit: 10 });
    expect(audit.items).toMatchObject([{ action: 'job.submit', actor: hub.actor.name, data: { workflow: 'slow' } }]);
  });

  it('re-runs a task whose worker went silent, once its lease expires', async (context) => {
    let now = Date.now();
    hub = await createTestHub({ workflows: [slow], worker: false, engine: { clock: () => now, leaseMs: 5_000 } }, context);
    const { job } = await hub.engine.submit({ workflow: 'slow', fields: {} }, hub.actor);
    const [first] = await hub.engine.lease({ workerId: 'ghost', site: 'local', workflows: ['slow'], limit: 1, waitMs: 0 });
    now += 6_000;
    await hub.engine.duties.tick();
    const task = await hub.store.getTask(first.task.id);
    expect(task?.state).toBe('queued');
    expect((await hub.engine.complete([{ ...first, taskId: first.task.id, report: { kind: 'succeeded', changed: true } }]))[0].accepted).toBe(false);
    now += 60_000;
    const [second] = await hub.engine.lease({ workerId: 'alive', site: 'local', workflows: ['slow'], limit: 1, waitMs: 0 });
    expect(second.task).toMatchObject({ id: first.task.id, attempts: 2, workerId: 'alive' });
    await hub.engine.complete([{ taskId: second.task.id, leaseToken: second.leaseToken, report: { kind: 'succeeded', changed: true } }]);
    expect(await hub.store.getJob(job.id)).toMatchObject({ state: 'success' });
  });

  it('validates submissions: unknown workflow, bad fields, unknown site', async (context) => {
    hub = await createTestHub({ workflows: [copyTree], worker: false }, context);
    await expect(hub.engine.submit({ workflow: 'nope' }, hub.actor)).rejects.toMatchObject({
      code: 'SWY_ERR_WORKFLOW_UNKNOWN',
      message: expect.stringContaining('copy-tree'),
    });
    await expect(hub.engine.submit({ workflow: 'copy-tree', fields: { files: 'many' } }, hub.actor)).rejects.toMatchObject({
      code: 'SWY_ERR_WORKFLOW_FIELDS',
      fields: [{ path: 'fields.files', message: expect.any(String) }],
    });
    await expect(hub.engine.submit({ workflow: 'copy-tree', fields: { files: 1 }, site: 'mars' }, hub.actor)).rejects.toMatchObject({
      code: 'SWY_ERR_SITE_UNKNOWN',
    });
    expect((await hub.store.listJobs({ sites: null, limit: 10 })).items).toHaveLength(0);
  });

  it('resubmits an identical job and releases the slow task on demand', async (context) => {
    hub = await createTestHub({ workflows: [slow] }, context);
    const { job } = await hub.engine.submit({ workflow: 'slow', fields: {} }, hub.actor);
    await hub.waitForJob(job.id, (j) => j.state === 'running');
    await release();
    await hub.waitForJob(job.id);
    const again = await hub.engine.resubmit(job.id, hub.actor);
    expect(again.job).toMatchObject({ workflow: 'slow', parentJobId: job.id, state: 'queued' });
    await hub.waitForJob(again.job.id, (j) => j.state === 'running');
    await release();
    expect(await hub.waitForJob(again.job.id)).toMatchObject({ state: 'success' });
  });
});
