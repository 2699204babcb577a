import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { Engine } from '../src/engine/engine.js';
import { SYSTEM_ACTOR } from '../src/model/index.js';
import { defineWorkflow } from '../src/sdk/define-workflow.js';
import { WorkflowRegistry } from '../src/sdk/workflow-registry.js';
import type { Store } from '../src/store/store.js';
import { benchStore } from './bench-store.js';
import { newJobSpec } from './lock-jobs.js';
import type { Measurement } from './measurements.js';

const demo = defineWorkflow({ name: 'demo', fields: z.object({}), plan: () => [{ type: 'work' }], tasks: { work: () => {} } });

/** The store with its `applyOperationBatch` timed: the longest single bulk transaction. */
function timedBatches(store: Store): { store: Store; longestMs: () => number; percentileMs: (p: number) => number; batches: () => number } {
  let longest = 0;
  let count = 0;
  const times: number[] = [];
  const proxy = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== 'applyOperationBatch') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<Store['applyOperationBatch']>) => {
        const started = performance.now();
        try {
          return await target.applyOperationBatch(...args);
        } finally {
          const ms = performance.now() - started;
          longest = Math.max(longest, ms);
          times.push(ms);
          count += 1;
        }
      };
    },
  });
  const percentileMs = (p: number) => [...times].sort((a, b) => a - b)[Math.min(times.length - 1, Math.floor(times.length * p))] ?? 0;
  return { store: proxy, longestMs: () => longest, percentileMs, batches: () => count };
}

async function submitQueued(store: Store, total: number, spreadMs: number, start: number): Promise<void> {
  const chunk = 1000;
  for (let i = 0; i < total; i += chunk) {
    const jobs = Array.from({ length: Math.min(chunk, total - i) }, () => newJobSpec([]));
    await store.submitJobs(jobs, start + Math.floor((i / total) * spreadMs));
  }
}

const RUNS = 20;

/** Median and nearest-rank p95 of durations in ms. */
function stats(runs: number[]): { median: number; p95: number } {
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], p95: sorted[Math.ceil(0.95 * sorted.length) - 1] };
}

/** RUNS calls of `call`, timed. */
async function timed(call: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await call();
    runs.push(performance.now() - started);
  }
  return stats(runs);
}

/**
 * Bulk actions (R59) and the dashboard (R30) at scale:
 * - bulk-cancel: 100,000 queued one-task jobs cancelled by one filtered bulk operation, run by
 *   the engine's operation runner batch after batch (each batch one transaction). Reports the
 *   total time and the longest single transaction.
 * - dashboard: the dashboard's aggregates over 1,000,000 jobs created in its 24-hour window
 *   (50,000 of them run to their end, for the durations), Global, hourly buckets; median and
 *   p95 of 20 calls, and the p95 of its two parts: the store's aggregates and the queue counts.
 */
export const bulkMeasurements: Measurement[] = [
  {
    name: 'bulk-cancel',
    label: 'bulk cancel of 100,000 matching queued jobs',
    unit: 's',
    run: async ({ kind, bulkJobs, bulkBatch }) => {
      const { store: raw, dispose } = await benchStore(kind);
      try {
        const total = bulkJobs ?? 100_000;
        const now = Date.now();
        await submitQueued(raw, total, 60_000, now - 120_000);
        const timed = timedBatches(raw);
        const engine = new Engine({
          store: timed.store,
          workflows: new WorkflowRegistry([demo]),
          runDuties: false,
          ...(bulkBatch ? { operations: { batchSize: bulkBatch } } : {}),
        });
        const started = performance.now();
        const op = await engine.bulk.start({ action: 'cancel', filter: { states: ['queued'] } }, SYSTEM_ACTOR);
        while ((await raw.getOperation(op.id))?.state === 'running') await engine.operations.run();
        const seconds = (performance.now() - started) / 1000;
        const done = await raw.getOperation(op.id);
        await engine.stop();
        if (done?.succeeded !== total) throw new Error(`cancelled ${done?.succeeded} of ${total}`);
        return {
          value: seconds,
          detail: `${total} jobs, ${Math.round(total / seconds)} jobs/s; ${timed.batches()} batches, transaction median ${timed.percentileMs(0.5).toFixed(1)} ms, p99 ${timed.percentileMs(0.99).toFixed(1)} ms, longest ${timed.longestMs().toFixed(1)} ms`,
        };
      } finally {
        await dispose();
      }
    },
  },
  {
    name: 'bulk-dashboard',
    label: 'dashboard aggregates over 1,000,000 jobs (Global, 24 h, hourly)',
    unit: 'ms',
    run: async ({ kind }) => {
      const { store, dispose } = await benchStore(kind);
      try {
        const day = 86_400_000;
        const to = Date.now();
        const from = to - day;
        const finished = 50_000;
        await submitQueued(store, 1_000_000 - finished, day - 3_600_000, from);
        await submitQueued(store, finished, 3_600_000, to - 3_600_000);
        let now = to - 1_800_000;
        for (let done = 0; done < finished; ) {
          now += 10;
          const leased = await store.leaseTasks({ workerId: 'bench', site: 'local', workflows: ['demo'], limit: 500, leaseMs: 60_000, now });
          if (leased.length === 0) break;
          // Durations from 10 ms to 610 ms, for a spread of percentiles.
          now += 10 + (done % 7) * 100;
          await store.completeTasks(
            leased.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: false } })),
            now,
          );
          done += leased.length;
        }
        const engine = new Engine({ store, workflows: new WorkflowRegistry([demo]), runDuties: false });
        const runs: number[] = [];
        let totals = '';
        for (let i = 0; i < RUNS; i++) {
          const started = performance.now();
          const board = await engine.dashboard.dashboard({ from, to, bucketMs: 3_600_000 }, SYSTEM_ACTOR);
          runs.push(performance.now() - started);
          totals = `${board.totals.created} created, ${board.totals.ended} ended, p95 ${board.durations[0]?.p95Ms} ms`;
        }
        await engine.stop();
        // Its parts: the store's aggregates (the roll-up) and the queue counts (listQueues).
        const aggregates = await timed(() => store.dashboardAggregates({ sites: null, from, to, bucketMs: 3_600_000 }));
        const queues = await timed(() => store.listQueues(null));
        const whole = stats(runs);
        return {
          value: whole.median,
          detail:
            `${totals}; ${RUNS} calls: median ${whole.median.toFixed(0)} ms, p95 ${whole.p95.toFixed(0)} ms; ` +
            `of which aggregates p95 ${aggregates.p95.toFixed(1)} ms, queue counts p95 ${queues.p95.toFixed(1)} ms`,
        };
      } finally {
        await dispose();
      }
    },
  },
];
