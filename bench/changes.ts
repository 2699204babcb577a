import { performance } from 'node:perf_hooks';
import { compareItemStates, type NewChange, type NewItem } from '../src/model/index.js';
import type { Store } from '../src/store/store.js';
import { benchStore, type StoreKind } from './bench-store.js';
import { newJobSpec } from './lock-jobs.js';
import type { Measurement } from './measurements.js';

/**
 * Change sets and the comparison of two runs, on the store alone: how fast a job's changes
 * (with 1 KiB texts) are recorded, and how long comparing two runs of `items / 2` paths each
 * takes (what GET /jobs/:id/compare does: the previous run, each path's last record, the diff).
 */
async function withRunningTask(
  kind: StoreKind,
  body: (store: Store, lease: { jobId: number; taskId: number; leaseToken: string }) => Promise<{ value: number; detail: string }>,
) {
  const { store, dispose } = await benchStore(kind);
  try {
    const [{ job }] = await store.submitJobs([newJobSpec([])], Date.now());
    const [leased] = await store.leaseTasks({ workerId: 'bench', site: 'local', workflows: ['demo'], limit: 1, leaseMs: 600_000, now: Date.now() });
    return await body(store, { jobId: job.id, taskId: leased.task.id, leaseToken: leased.leaseToken });
  } finally {
    await dispose();
  }
}

async function finishedJobWithItems(store: Store, items: NewItem[]): Promise<number> {
  const [{ job }] = await store.submitJobs([newJobSpec([])], Date.now());
  const [leased] = await store.leaseTasks({ workerId: 'bench', site: 'local', workflows: ['demo'], limit: 1, leaseMs: 600_000, now: Date.now() });
  for (let i = 0; i < items.length; i += 5000) {
    await store.recordActivity([{ taskId: leased.task.id, leaseToken: leased.leaseToken, items: items.slice(i, i + 5000) }], Date.now());
  }
  await store.completeTasks([{ taskId: leased.task.id, leaseToken: leased.leaseToken, report: { kind: 'succeeded', changed: true } }], Date.now());
  return job.id;
}

export const changeMeasurements: Measurement[] = [
  {
    name: 'changes-record',
    label: 'changes recorded (1 KiB texts before and after)',
    unit: 'changes/s',
    run: ({ kind }) =>
      withRunningTask(kind, async (store, lease) => {
        const total = 20_000;
        const text = 'line of text\n'.repeat(79);
        const start = performance.now();
        for (let i = 0; i < total; i += 500) {
          const changes: NewChange[] = Array.from({ length: 500 }, (_, k) => ({
            path: `/tree/${i + k}.txt`,
            change: 'changed',
            sizeBefore: text.length,
            sizeAfter: text.length + 1,
            textBefore: text,
            textAfter: `${text}x`,
          }));
          await store.recordActivity([{ taskId: lease.taskId, leaseToken: lease.leaseToken, changes }], Date.now());
        }
        const ms = performance.now() - start;
        return { value: (total / ms) * 1000, detail: `${total} changes in ${ms.toFixed(0)} ms, 500 per report` };
      }),
  },
  {
    name: 'changes-compare',
    label: 'compare two runs',
    unit: 'ms',
    run: async ({ kind, items }) => {
      const { store, dispose } = await benchStore(kind);
      try {
        const paths = Math.max(1000, Math.floor(items / 2));
        const run = (changedEvery: number) =>
          Array.from(
            { length: paths },
            (_, i): NewItem => ({ path: `/tree/${i}`, operation: 'copy', outcome: 'completed', bytes: i % changedEvery === 0 ? i + 1 : i }),
          );
        await finishedJobWithItems(store, run(Number.MAX_SAFE_INTEGER));
        const second = await finishedJobWithItems(store, run(10));
        const job = await store.getJob(second);
        const start = performance.now();
        const previous = await store.previousRun({ id: second, workflow: job?.workflow ?? '', site: job?.site ?? '', scheduleId: null });
        const [before, after] = await Promise.all([store.latestItems(previous ?? 0, 200_001), store.latestItems(second, 200_001)]);
        const { counts } = compareItemStates(before, after);
        const ms = performance.now() - start;
        return { value: ms, detail: `${paths} paths per run, ${counts.changed} changed` };
      } finally {
        await dispose();
      }
    },
  },
];
