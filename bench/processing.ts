import { performance } from 'node:perf_hooks';
import { SYSTEM_ACTOR } from '../src/engine/actor.js';
import { Engine } from '../src/engine/engine.js';
import { WorkflowRegistry } from '../src/sdk/workflow-registry.js';
import { type Isolation, Worker } from '../src/worker/worker.js';
import { benchStore } from './bench-store.js';
import { isolatedNoop } from './isolation-workflows.js';
import { allFinished, type Measurement } from './measurements.js';

/**
 * Processing at the concurrency users set: one-task no-op jobs (full history kept) drained by
 * one worker of concurrency 1, 10 and 50, with handlers in threads (the default) and
 * in-process; the gap between the two is what isolating handlers costs. The worker keeps its
 * defaults (leases up to 500 per round trip, prefetches what it gets through in its hold time). The pool is warmed by `concurrency` jobs first (a thread's
 * start-up is paid once per thread, not per task), then `--jobs` jobs (at most 5,000 at
 * concurrency 1) are submitted in bulk and timed from the first submit until the last one ends.
 */
export const processingMeasurements: Measurement[] = (['in-process', 'thread'] as Isolation[]).flatMap((isolation) =>
  [1, 10, 50].map(
    (concurrency): Measurement => ({
      name: `processing-${isolation}-${concurrency}`,
      label: `processing one-task no-op jobs, handlers ${isolation}, concurrency ${concurrency}`,
      unit: 'jobs/s',
      run: async ({ kind, jobs }) => {
        const { store, dispose } = await benchStore(kind);
        const engine = new Engine({ store, workflows: new WorkflowRegistry([isolatedNoop]), runDuties: false });
        await engine.init();
        const worker = new Worker({
          port: engine,
          workflows: engine.workflows,
          site: 'local',
          concurrency,
          isolation,
          pollWaitMs: 200,
          heartbeatMs: 60_000,
        });
        try {
          await worker.start();
          const warm = await engine.submitMany(
            Array.from({ length: concurrency }, () => ({ workflow: 'isolated-noop' })),
            SYSTEM_ACTOR,
          );
          await allFinished(
            store,
            warm.map((o) => o.job.id),
          );
          const count = Math.min(jobs, concurrency === 1 ? 5_000 : jobs);
          const ids: number[] = [];
          const start = performance.now();
          for (let i = 0; i < count; i += 1000) {
            const outcomes = await engine.submitMany(
              Array.from({ length: Math.min(1000, count - i) }, () => ({ workflow: 'isolated-noop' })),
              SYSTEM_ACTOR,
            );
            ids.push(...outcomes.map((o) => o.job.id));
          }
          await allFinished(store, ids);
          const ms = performance.now() - start;
          const last = await store.getJob(ids[ids.length - 1]);
          return { value: Math.round((count / ms) * 1000), detail: `${count} jobs in ${ms.toFixed(0)} ms; last job ${last?.state}` };
        } finally {
          await worker.stop({ graceMs: 1000 });
          await engine.stop();
          await dispose();
        }
      },
    }),
  ),
);
