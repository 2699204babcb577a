import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildServer } from '../src/api/server.js';
import { createWorker } from '../src/client/index.js';
import { SYSTEM_ACTOR } from '../src/engine/actor.js';
import { Engine } from '../src/engine/engine.js';
import { defineWorkflow, z } from '../src/index.js';
import { isTerminalJobState } from '../src/model/index.js';
import { WorkflowRegistry } from '../src/sdk/workflow-registry.js';
import type { Store } from '../src/store/store.js';
import { Worker } from '../src/worker/worker.js';
import { benchStore, type StoreKind } from './bench-store.js';

export interface BenchOptions {
  kind: StoreKind;
  jobs: number;
  items: number;
  seconds: number;
  /** Finished jobs the retention measurement prunes (`--prune-jobs`). */
  pruneJobs: number;
  /** Jobs and items the scale measurement loads (`--scale-jobs`, `--scale-items`). */
  scaleJobs: number;
  scaleItems: number;
  /** Queued jobs the bulk cancel measurement cancels (`--bulk-jobs`, default 100,000). */
  bulkJobs?: number;
  /** Jobs per bulk batch (`--bulk-batch`; default: the runner's own for the store). */
  bulkBatch?: number;
  /** Small files send-to-site copies (`--transfer-files`, default 10,000). */
  transferFiles?: number;
  /** MiB of the large file send-to-site copies (`--transfer-mb`, default 200). */
  transferMb?: number;
}

export interface Measurement {
  name: string;
  label: string;
  /** What `value` counts: jobs/s, items/s, ms. */
  unit: string;
  run(options: BenchOptions): Promise<{ value: number; detail: string }>;
}

const starts = new Map<number, number>();
const noop = defineWorkflow({
  name: 'noop',
  fields: z.object({ at: z.number().optional() }),
  retry: { maxAttempts: 1 },
  plan: () => [{ type: 'noop' }],
  tasks: {
    noop: (ctx) => {
      if (ctx.job.fields.at !== undefined) starts.set(ctx.job.id, performance.now());
      return { changed: false };
    },
  },
});
const itemsWorkflow = defineWorkflow({
  name: 'items',
  fields: z.object({ tasks: z.number(), perTask: z.number() }),
  plan: (f) => Array.from({ length: f.tasks }, () => ({ type: 'record' })),
  tasks: {
    record: (ctx) => {
      for (let i = 0; i < ctx.job.fields.perTask; i++) ctx.item(`/bench/${ctx.task.id}/${i}`, { operation: 'copy', outcome: 'completed', bytes: i });
      return { changed: true };
    },
  },
});

async function withEngine<T>(kind: StoreKind, body: (engine: Engine, store: Store) => Promise<T>): Promise<T> {
  const { store, dispose } = await benchStore(kind);
  const engine = new Engine({ store, workflows: new WorkflowRegistry([noop, itemsWorkflow]), runDuties: false });
  await engine.init();
  try {
    return await body(engine, store);
  } finally {
    await engine.stop();
    await dispose();
  }
}

function worker(engine: Engine, concurrency: number): Worker {
  return new Worker({ port: engine, workflows: engine.workflows, site: 'local', concurrency, leaseBatch: 1000, pollWaitMs: 200, heartbeatMs: 60_000 });
}

export async function allFinished(store: Store, ids: number[]): Promise<void> {
  const last = Math.max(...ids);
  for (;;) {
    const job = await store.getJob(last);
    if (job && isTerminalJobState(job.state)) {
      const open = await store.listJobs({ sites: null, states: ['queued', 'running', 'created'], limit: 1 });
      if (open.items.length === 0) return;
    }
    await sleep(20);
  }
}

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

/** Submits no-op jobs at 200 a second for `seconds` and answers the p99 of submit → handler start (the worker is running). */
async function latencyAt200(engine: Engine, store: Store, seconds: number): Promise<{ value: number; detail: string }> {
  const submitted = new Map<number, number>();
  const total = Math.round(200 * seconds);
  const begin = performance.now();
  for (let i = 0; i < total; i++) {
    const due = begin + i * 5;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const at = performance.now();
    const { job } = await engine.submit({ workflow: 'noop', fields: { at } }, SYSTEM_ACTOR);
    submitted.set(job.id, at);
  }
  await allFinished(store, [...submitted.keys()]);
  const latencies = [...submitted].map(([id, at]) => (starts.get(id) ?? Number.NaN) - at).sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2);
  return {
    value: Number(pct(99)),
    detail: `p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1)?.toFixed(2)} ms over ${total} jobs in ${seconds} s`,
  };
}

export const measurements: Measurement[] = [
  {
    name: 'submit-single',
    label: 'submit, one job per call, one caller',
    unit: 'jobs/s',
    run: ({ kind, jobs }) =>
      withEngine(kind, async (engine) => {
        const count = Math.min(jobs, 10_000);
        const start = performance.now();
        for (let i = 0; i < count; i++) await engine.submit({ workflow: 'noop' }, SYSTEM_ACTOR);
        const ms = performance.now() - start;
        return { value: rate(count, ms), detail: `${count} jobs in ${ms.toFixed(0)} ms, one transaction each` };
      }),
  },
  {
    name: 'submit-concurrent',
    label: 'submit, one job per call, 50 concurrent callers',
    unit: 'jobs/s',
    run: ({ kind, jobs }) =>
      withEngine(kind, async (engine) => {
        const count = Math.min(jobs, 20_000);
        const perCaller = Math.ceil(count / 50);
        const start = performance.now();
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            for (let i = 0; i < perCaller; i++) await engine.submit({ workflow: 'noop' }, SYSTEM_ACTOR);
          }),
        );
        const ms = performance.now() - start;
        return { value: rate(perCaller * 50, ms), detail: `${perCaller * 50} jobs in ${ms.toFixed(0)} ms; concurrent calls share commits` };
      }),
  },
  {
    name: 'submit-bulk',
    label: 'submit in bulk (1,000 jobs per call)',
    unit: 'jobs/s',
    run: ({ kind, jobs }) =>
      withEngine(kind, async (engine) => {
        const batches = Math.ceil(Math.max(jobs, 50_000) / 1000);
        const batch = Array.from({ length: 1000 }, () => ({ workflow: 'noop' }));
        const start = performance.now();
        for (let i = 0; i < batches; i++) await engine.submitMany(batch, SYSTEM_ACTOR);
        const ms = performance.now() - start;
        return { value: rate(batches * 1000, ms), detail: `${batches * 1000} jobs in ${ms.toFixed(0)} ms` };
      }),
  },
  {
    name: 'items',
    label: 'items recorded',
    unit: 'items/s',
    run: ({ kind, items }) =>
      withEngine(kind, async (engine, store) => {
        const tasks = 200;
        const perTask = Math.ceil(items / tasks);
        const { job } = await engine.submit({ workflow: 'items', fields: { tasks, perTask } }, SYSTEM_ACTOR);
        const runner = worker(engine, 50);
        const start = performance.now();
        await runner.start();
        await allFinished(store, [job.id]);
        const ms = performance.now() - start;
        await runner.stop({ graceMs: 1000 });
        const done = await store.getJob(job.id);
        const recorded = done?.itemCounts.completed ?? 0;
        return { value: rate(recorded, ms), detail: `${recorded} items from ${tasks} tasks in ${ms.toFixed(0)} ms, in batches of 500` };
      }),
  },
  {
    name: 'latency',
    label: 'submit → task start latency at 200 jobs/s, p99',
    unit: 'ms',
    run: ({ kind, seconds }) =>
      withEngine(kind, async (engine, store) => {
        const runner = worker(engine, 64);
        await runner.start();
        try {
          return await latencyAt200(engine, store, seconds);
        } finally {
          await runner.stop({ graceMs: 1000 });
        }
      }),
  },
  {
    name: 'latency-remote',
    label: 'submit → task start latency at 200 jobs/s, remote worker over HTTP (C=10), p99',
    unit: 'ms',
    run: ({ kind, seconds }) =>
      withEngine(kind, async (engine, store) => {
        // The hub's REST API on loopback and a worker of `switchyard/client` with a worker token,
        // as a worker at another site would run (in this process: the network path is the same).
        const server = await buildServer({ engine, logger: false });
        const url = await server.listen({ port: 0, host: '127.0.0.1' });
        const { token } = await engine.auth.createToken(SYSTEM_ACTOR, { name: 'bench-remote', role: 'worker', sites: ['local'] });
        const remote = createWorker({ hub: url, token, workflows: [noop], site: 'local', concurrency: 10 });
        await remote.start();
        try {
          return await latencyAt200(engine, store, seconds);
        } finally {
          await remote.stop({ graceMs: 1000 });
          await server.close();
        }
      }),
  },
];
