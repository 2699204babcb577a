import { performance } from 'node:perf_hooks';
import { DEFAULT_RETRY_POLICY, type ResourceLock } from '../src/model/index.js';
import type { NewJob, Store } from '../src/store/store.js';

/** A one-task job of the bench's `demo` workflow holding `locks`. */
export function newJobSpec(locks: ResourceLock[]): NewJob {
  return {
    workflow: 'demo',
    site: 'local',
    queue: 'default',
    creator: 'bench',
    priority: 0,
    fields: {},
    searchText: '',
    runAt: null,
    idempotencyKey: null,
    timeoutMs: null,
    retry: DEFAULT_RETRY_POLICY,
    parentJobId: null,
    tasks: [{ type: 'work', input: null }],
    locks,
  };
}

/**
 * Submits `jobs` (1,000 per call), then leases and completes them with one worker loop (up to
 * 100 leases a call) until all have run: jobs admitted per second, and what submitting took.
 * `stuck` names what was never released when nothing is leasable with jobs left.
 */
export async function admitAll(store: Store, jobs: NewJob[], stuck: string): Promise<{ value: number; detail: string }> {
  const total = jobs.length;
  let now = Date.now();
  const submitStarted = performance.now();
  for (let i = 0; i < total; i += 1000) await store.submitJobs(jobs.slice(i, i + 1000), ++now);
  const submitMs = performance.now() - submitStarted;
  const started = performance.now();
  let done = 0;
  while (done < total) {
    const leased = await store.leaseTasks({ workerId: 'bench', site: 'local', workflows: ['demo'], limit: 100, leaseMs: 60_000, now: ++now });
    if (leased.length === 0) throw new Error(`nothing leasable with ${total - done} jobs left: ${stuck} was never released`);
    await store.completeTasks(
      leased.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: false } })),
      ++now,
    );
    done += leased.length;
  }
  const seconds = (performance.now() - started) / 1000;
  return { value: total / seconds, detail: `${total} jobs in ${seconds.toFixed(1)} s; submitting them took ${(submitMs / 1000).toFixed(1)} s` };
}
