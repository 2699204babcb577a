import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import type { JobRecord, TaskRecord } from '../../src/model/index.js';
import type { WorkerOptions } from '../../src/worker/worker.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';
import { faults } from './fixtures/fault-workflows.js';

type Mode = Parameters<typeof faults.plan>[0]['mode'];

let hub: TestHub | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

async function start(worker: Partial<WorkerOptions> = {}): Promise<TestHub> {
  hub = await createTestHub({ workflows: [faults], worker: { isolation: 'thread', concurrency: 4, ...worker } });
  return hub;
}

async function runJob(mode: Mode, fields: Record<string, unknown> = {}): Promise<{ job: JobRecord; task: TaskRecord }> {
  if (!hub) throw new Error('start a hub first');
  const { job } = await hub.engine.submit({ workflow: 'faults', fields: { mode, ...fields } }, hub.actor);
  const done = await hub.waitForJob(job.id);
  const [task] = (await hub.store.listTasks(job.id, { limit: 1 })).items;
  return { job: done, task };
}

describe('thread isolation', () => {
  it('runs a handler in a thread: its logs, items, progress, spawns and heartbeats reach the hub', async () => {
    await start();
    const { job, task } = await runJob('ok');
    expect(job).toMatchObject({ state: 'success', itemCounts: { completed: 1 } });
    expect((task.result as { threadId: number }).threadId).not.toBe(0);
    expect((await hub?.store.taskOutput(task.id, 0, 10))?.map((l) => l.line)).toEqual(['mode ok']);
    expect(job.taskCounts.success).toBe(2);
  });

  it.each(['thread', 'in-process'] as const)('gives %s handlers their site and its root in ctx.site', async (isolation) => {
    await start({ isolation, root: tmpdir() });
    const { task } = await runJob('ok');
    expect((task.result as { site: unknown }).site).toEqual({ name: 'local', root: resolve(tmpdir()) });
  });

  it('refuses to start a worker whose site root is not a directory', async () => {
    await expect(start({ root: join(tmpdir(), 'no-such-site-root') })).rejects.toThrow(/site root .* is not a directory/);
  });

  it.each([
    ['timer-throw', /^handler threw from a timer or callback: boom in a timer$/],
    ['unhandled-rejection', /^handler left a promise rejection unhandled: nobody caught me$/],
    ['exit', /^handler called process\.exit\(3\)$/],
  ] as const)('fails the task, not the process, on %s', async (mode, message) => {
    await start();
    const { job, task } = await runJob(mode);
    expect(job.state).toBe('failure');
    expect(task.error?.message).toMatch(message);
    // The thread was replaced: the next task runs.
    expect((await runJob('ok')).job.state).toBe('success');
  });

  it('with threadTasks alone, starts as many threads as its concurrency needs', { timeout: 120_000 }, async () => {
    await start({ concurrency: 3, threadTasks: 1 });
    const dir = await mkdtemp(join(tmpdir(), 'swy-rendezvous-'));
    try {
      const jobs = await Promise.all([1, 2, 3].map(() => runJob('rendezvous', { dir, count: 3 })));
      expect(jobs.map(({ job }) => job.state)).toEqual(['success', 'success', 'success']);
      expect(new Set(jobs.map(({ task }) => (task.result as { threadId: number }).threadId)).size).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ concurrency: 0 }, 'worker option concurrency must be an integer of at least 1, not 0'],
    [{ threads: 1.5 }, 'worker option threads must be an integer of at least 1, not 1.5'],
    [{ threadTasks: Number.NaN }, 'worker option threadTasks must be an integer of at least 1, not NaN'],
    [{ prefetch: -1 }, 'worker option prefetch must be an integer of at least 0, not -1'],
    [{ heartbeatMs: Number.POSITIVE_INFINITY }, 'worker option heartbeatMs must be a number of at least 0, not Infinity'],
  ] as const)('refuses a worker with %o, naming the option', async (options, message) => {
    await expect(start(options)).rejects.toThrow(message);
  });

  it('fails a task whose thread runs out of its heap limit', async () => {
    await start({ threadMaxHeapMb: 64 });
    const { job, task } = await runJob('hog-memory');
    expect(job.state).toBe('failure');
    expect(task.error?.message).toMatch(/^the handler's thread died: .*out of memory/i);
    expect((await runJob('ok')).job.state).toBe('success');
  });

  it('keeps the host event loop responsive while a handler busy-loops for 5 s in its thread', async () => {
    await start();
    expect((await runJob('ok')).job.state).toBe('success'); // the thread is up
    let last = performance.now();
    let worstGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
    }, 10);
    try {
      const { job } = await runJob('busy', { busyMs: 5_000 });
      expect(job.state).toBe('success');
    } finally {
      clearInterval(ticker);
    }
    // On the handler's own thread the gap would be the whole 5 s. The bound leaves room for a
    // machine busy with other test files (gaps of 100+ ms from the scheduler alone were seen).
    expect(worstGap).toBeLessThan(1_000);
  });

  it('terminates a handler that ignores its signal after cancel, once its stop grace is over', async () => {
    await start();
    if (!hub) return;
    const { job } = await hub.engine.submit({ workflow: 'faults', fields: { mode: 'ignore-signal' } }, hub.actor);
    await hub.waitForJob(job.id, (j) => j.state === 'running');
    await hub.engine.control(job.id, 'cancel', hub.actor);
    expect((await hub.waitForJob(job.id)).state).toBe('cancelled');
    const [task] = (await hub.store.listTasks(job.id, { limit: 1 })).items;
    expect(task.reason).toMatch(/did not return within 300 ms .* its thread was terminated/);
    expect((await runJob('ok')).job.state).toBe('success');
  });

  it('stops within graceMs + 2 s when a handler ignores its signal, and gives the task back', async () => {
    await start();
    if (!hub?.worker) return;
    const { job } = await hub.engine.submit({ workflow: 'faults', fields: { mode: 'ignore-signal' } }, hub.actor);
    await hub.waitForJob(job.id, (j) => j.state === 'running');
    const began = performance.now();
    await hub.worker.stop({ graceMs: 500 });
    expect(performance.now() - began).toBeLessThan(2_500);
    const [task] = (await hub.store.listTasks(job.id, { limit: 1 })).items;
    expect(task).toMatchObject({ state: 'queued', attempts: 0 });
  });
});

describe('tasks sharing a thread', () => {
  it('releases the tasks of a thread whose fault names none, then runs the suspect alone and fails it', { timeout: 150_000 }, async () => {
    await start({ concurrency: 2, threads: 1, threadTasks: 2 });
    if (!hub) return;
    const held = await hub.engine.submit({ workflow: 'faults', fields: { mode: 'hold' } }, hub.actor);
    const faulty = await hub.engine.submit({ workflow: 'faults', fields: { mode: 'micro-throw' } }, hub.actor);
    // Generous: the suspect's rerun waits for a fresh thread, slow on a busy machine.
    const innocent = await hub.waitForJob(held.job.id, undefined, 60_000);
    const culprit = await hub.waitForJob(faulty.job.id, undefined, 60_000);
    expect(innocent.state).toBe('success');
    expect(culprit.state).toBe('failure');
    const [task] = (await hub.store.listTasks(faulty.job.id, { limit: 1 })).items;
    expect(task.error?.message).toBe('handler threw from a timer or callback: untraceable');
    expect(task.attempts).toBe(1);
  });
});

describe('a thread ended by one of its tasks', () => {
  it('fails the task that called process.exit and releases the one beside it, which then succeeds', async () => {
    await start({ concurrency: 2, threads: 1, threadTasks: 2 });
    if (!hub) return;
    const held = await hub.engine.submit({ workflow: 'faults', fields: { mode: 'hold' } }, hub.actor);
    await hub.waitForJob(held.job.id, (j) => j.state === 'running');
    const exiting = await hub.engine.submit({ workflow: 'faults', fields: { mode: 'exit' } }, hub.actor);
    const culprit = await hub.waitForJob(exiting.job.id);
    expect(culprit.state).toBe('failure');
    expect(culprit.reason).toMatch(/handler called process\.exit\(3\)/);
    const innocent = await hub.waitForJob(held.job.id);
    expect(innocent.state).toBe('success');
    const [task] = (await hub.store.listTasks(held.job.id, { limit: 1 })).items;
    expect(task.attempts).toBe(1);
  });
});

describe('a workflow without a known module', () => {
  it('runs in-process, with one warning', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'warn' }, sink);
    const inline = defineWorkflow({
      name: 'inline',
      fields: z.object({}),
      plan: () => [{ type: 'a' }, { type: 'a' }],
      tasks: { a: async () => ({ changed: true, result: (await import('node:worker_threads')).threadId }) },
    });
    hub = await createTestHub({ workflows: [inline], worker: { isolation: 'thread', logger } });
    const { job } = await hub.engine.submit({ workflow: 'inline', fields: {} }, hub.actor);
    expect((await hub.waitForJob(job.id)).state).toBe('success');
    const tasks = (await hub.store.listTasks(job.id, { limit: 2 })).items;
    expect(tasks.map((t) => t.result)).toEqual([0, 0]);
    expect(lines.filter((line) => line.includes('no known module'))).toHaveLength(1);
  });
});

describe('every thrown value is reported, bounded', () => {
  it.each([
    ['throw-bigint', (m: string) => expect(m).toBe('12345678901234567890n')],
    ['throw-circular', (m: string) => expect(m).toBe('{"name":"loop","self":"[Circular]"}')],
    ['throw-proxy', (m: string) => expect(m).toBe('[a thrown object that cannot be read: no access]')],
    ['throw-string', (m: string) => expect(m).toBe('just a string')],
    ['throw-null', (m: string) => expect(m).toBe('null')],
    [
      'throw-huge',
      (m: string) => {
        expect(m.length).toBeLessThanOrEqual(8_192);
        expect(m).toMatch(/^x+…\[truncated \d+ chars\]$/);
      },
    ],
  ] as const)('%s', async (mode, check) => {
    await start();
    const { job, task } = await runJob(mode);
    expect(job.state).toBe('failure');
    check(task.error?.message ?? '');
    expect((task.error?.stack ?? '').length).toBeLessThanOrEqual(16_384);
  });

  it('fails a task whose result cannot cross from its thread, without retries', async () => {
    await start();
    const { job, task } = await runJob('non-cloneable');
    expect(job.state).toBe('failure');
    expect(task.error?.message).toMatch(/result cannot be sent from its thread/);
  });

  it('cuts a result over 1 MiB of JSON and a log line over 64 KiB, and splits 12,000 log lines into accepted reports', async () => {
    await start();
    const big = await runJob('big-result');
    expect(big.job.state).toBe('success');
    expect(big.task.result).toMatch(/^"y+…\[truncated \d+ chars\]$/);
    expect((big.task.result as string).length).toBeLessThanOrEqual(1_048_576);
    const logs = await runJob('long-log');
    expect(logs.job.state).toBe('success');
    const lines = (await hub?.store.taskOutput(logs.task.id, 0, 20_000)) ?? [];
    expect(lines).toHaveLength(12_002);
    expect(lines[1].line.length).toBeLessThanOrEqual(65_536);
    expect(lines[1].line).toMatch(/…\[truncated \d+ chars\]$/);
    expect(lines.at(-1)?.line).toBe('line 11999');
  });
});

describe('in-process isolation', () => {
  it('abandons a handler that ignores its signal after cancel, and reports the task stopped', async () => {
    await start({ isolation: 'in-process' });
    if (!hub) return;
    const { job } = await hub.engine.submit({ workflow: 'faults', fields: { mode: 'ignore-signal' } }, hub.actor);
    await hub.waitForJob(job.id, (j) => j.state === 'running');
    await hub.engine.control(job.id, 'cancel', hub.actor);
    expect((await hub.waitForJob(job.id)).state).toBe('cancelled');
    const [task] = (await hub.store.listTasks(job.id, { limit: 1 })).items;
    expect(task.reason).toMatch(/its promise was abandoned/);
  });

  it('stops within graceMs + 2 s when a handler ignores its signal', async () => {
    await start({ isolation: 'in-process' });
    if (!hub?.worker) return;
    const { job } = await hub.engine.submit({ workflow: 'faults', fields: { mode: 'ignore-signal' } }, hub.actor);
    await hub.waitForJob(job.id, (j) => j.state === 'running');
    const began = performance.now();
    await hub.worker.stop({ graceMs: 500 });
    expect(performance.now() - began).toBeLessThan(2_500);
    const [task] = (await hub.store.listTasks(job.id, { limit: 1 })).items;
    expect(task).toMatchObject({ state: 'queued', attempts: 0 });
  });

  it('reports a Proxy that throws on every access, in-process too', async () => {
    await start({ isolation: 'in-process' });
    const { job, task } = await runJob('throw-proxy');
    expect(job.state).toBe('failure');
    expect(task.error?.message).toBe('[a thrown object that cannot be read: no access]');
  });
});
