/**
 * Helpers for workflow authors' tests: `import { runWorkflow } from 'switchyard/testing'`.
 */
import { createHub, type Hub } from './hub/index.js';
import type { ChangeDetail, ItemRecord, JobRecord, Json, TaskLogLine, TaskRecord } from './model/index.js';
import { isLeasedTaskState, isTerminalJobState, SYSTEM_ACTOR } from './model/index.js';
import type { Workflow } from './sdk/define-workflow.js';
import type { Isolation, Worker } from './worker/worker.js';

export interface RunWorkflowOptions {
  /** Other workflows the hub should know (e.g. ones this workflow's tasks hand work to). */
  workflows?: Workflow[];
  /** Most tasks run at once (default 4). */
  concurrency?: number;
  /** `in-process` (default: handlers share the test's module state and mocks) or `thread`. */
  isolation?: Isolation;
  /** Fails the run when the job has not finished by then (default 30 s). */
  timeoutMs?: number;
  /** How long a lease lasts without a heartbeat (default 30 s): shorten it to test lease expiry. */
  leaseMs?: number;
  /** Submission options: site (default `local`), queue, priority, runAt (epoch ms on the run's clock). */
  site?: string;
  /**
   * Other sites the workflow's tasks run at (a plan or spawn that names a `site`): each gets a
   * worker of its own, so a job that spans sites runs to its end. Default: none.
   */
  sites?: string[];
  queue?: string;
  priority?: number;
  runAt?: number;
  /**
   * The hub's clock (see createTestClock): retry backoffs, delays (`runAt`), job timeouts,
   * lease expiry and schedules follow it instead of the wall clock. Default: the wall clock.
   */
  clock?: TestClock;
}

/** How long (real time) a run with an auto-advancing clock must sit idle before its clock jumps. */
const IDLE_MS = 50;

/** Runs a clock drives: each advance renews their workers' leases, runs their hub's duties and wakes the workers. */
const driven = new WeakMap<TestClock, Set<{ hub: Hub; worker: Worker }>>();

/**
 * A hub clock for tests that moves only when told. `advance(ms)` moves it on, renews the
 * leases of running tasks (as their worker's heartbeats would have meanwhile), runs the hub's
 * background duties once at the new time (the watchdog's job timeouts, the scheduler's slots)
 * and wakes idle workers, so what fell due runs at once. With
 * `autoAdvance` (the default), a run that has nothing to do but wait for a moment — a retry
 * backoff, a delayed start — jumps straight to it; a running handler is never skipped past:
 * to test a timeout, advance the clock yourself (a handler may do it: it runs in your test's
 * process).
 */
export class TestClock {
  private at: number;
  readonly autoAdvance: boolean;

  constructor(options: { startAt?: number | Date; autoAdvance?: boolean } = {}) {
    const start = options.startAt ?? Date.UTC(2030, 0, 1);
    this.at = typeof start === 'number' ? start : start.getTime();
    this.autoAdvance = options.autoAdvance ?? true;
  }

  /** The time on this clock, epoch ms. */
  now(): number {
    return this.at;
  }

  /** Moves the clock `ms` on (never back), then runs the duties of the hubs it drives and wakes their workers. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`TestClock.advance: ms must be a number >= 0, not ${ms}`);
    this.at += ms;
    for (const { hub, worker } of driven.get(this) ?? []) {
      await worker.renewLeases();
      await hub.engine.duties.tick();
      hub.engine.wakeWorkers();
    }
  }
}

/** A clock for `runWorkflow(…, { clock })` that starts at `startAt` (default 2030-01-01 UTC) and moves only when told (see TestClock). */
export function createTestClock(options: { startAt?: number | Date; autoAdvance?: boolean } = {}): TestClock {
  return new TestClock(options);
}

/** A finished run: the job, every task and item record, each task's log lines, and the tasks' results. */
export interface WorkflowRun {
  job: JobRecord;
  /** In creation order. */
  tasks: TaskRecord[];
  /** Every item record, in the order they were written. */
  items: ItemRecord[];
  /** The job's change set (`ctx.change`), in the order recorded, each with its texts. */
  changes: ChangeDetail[];
  /** Log lines by task id. */
  logs: Record<number, string[]>;
  /** What each task's handler returned, by task id (null when nothing). */
  results: Record<number, Json | null>;
}

/**
 * Runs one job of `workflow` with `fields` to its end, in this process, on an in-memory SQLite
 * store of its own that is gone afterwards: the real engine, planner, worker and ledger, no
 * server. Answers even when the job fails (look at `job.state`); rejects when the fields are
 * invalid or the job does not finish within `timeoutMs`.
 *
 *   const run = await runWorkflow(myWorkflow, { root: '.' });
 *   expect(run.job.state).toBe('success');
 */
export async function runWorkflow(workflow: Workflow, fields: unknown, options: RunWorkflowOptions = {}): Promise<WorkflowRun> {
  const others = (options.workflows ?? []).filter((other) => other.name !== workflow.name);
  const clock = options.clock;
  const hub = await createHub({
    db: ':memory:',
    workflows: [workflow, ...others],
    defaultSite: options.site ?? 'local',
    leaseMs: options.leaseMs,
    console: false,
    // On a test clock the duties run when it moves (TestClock.advance), not on real-time timers.
    ...(clock ? { clock: () => clock.now(), runDuties: false } : {}),
  });
  let driving: { hub: Hub; worker: Worker } | null = null;
  try {
    const home = options.site ?? 'local';
    const workers: Worker[] = [];
    for (const site of [home, ...new Set((options.sites ?? []).filter((other) => other !== home))]) {
      workers.push(
        await hub.startWorker({
          concurrency: options.concurrency ?? 4,
          isolation: options.isolation ?? 'in-process',
          pollWaitMs: 200,
          heartbeatMs: 500,
          name: site === home ? 'test' : `test-${site}`,
          site,
        }),
      );
    }
    const worker = workers[0];
    if (clock) {
      driving = { hub, worker };
      const runs = driven.get(clock) ?? new Set();
      runs.add(driving);
      for (const other of workers.slice(1)) runs.add({ hub, worker: other });
      driven.set(clock, runs);
    }
    const submitted = await hub.submit({
      workflow: workflow.name,
      fields,
      site: options.site,
      queue: options.queue,
      priority: options.priority,
      runAt: options.runAt,
    });
    const timeoutMs = options.timeoutMs ?? 30_000;
    const job = clock?.autoAdvance ? await runOnClock(hub, submitted.id, clock, timeoutMs) : await hub.waitForJob(submitted.id, { timeoutMs });
    const tasks = await hub.tasks(job.id);
    const items = await hub.items(job.id);
    const changes = await allChanges(hub.engine, job.id);
    const logs: Record<number, string[]> = {};
    const results: Record<number, Json | null> = {};
    for (const task of tasks) {
      logs[task.id] = (await allOutput(hub.engine, task)).map((line) => line.line);
      results[task.id] = task.result;
    }
    return { job, tasks, items, changes, logs, results };
  } finally {
    if (clock && driving) {
      // This run's workers, the one at each other site included.
      const runs = driven.get(clock);
      for (const run of [...(runs ?? [])]) if (run.hub === driving.hub) runs?.delete(run);
    }
    await hub.close({ graceMs: 1000 });
  }
}

/** Waits for the job to end, moving `clock` to the next moment something is due whenever the run sits idle. */
async function runOnClock(hub: Hub, jobId: number, clock: TestClock, timeoutMs: number): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await hub.job(jobId);
    if (isTerminalJobState(job.state)) return job;
    if (Date.now() >= deadline) throw new Error(`job ${jobId} did not finish within ${timeoutMs} ms (state ${job.state})`);
    const due = nextDue(await hub.tasks(jobId), clock.now());
    if (due !== null) {
      await clock.advance(due - clock.now());
      continue;
    }
    try {
      return await hub.waitForJob(jobId, { timeoutMs: Math.min(IDLE_MS, Math.max(1, deadline - Date.now())) });
    } catch (error) {
      if ((error as { code?: unknown }).code !== undefined) throw error;
    }
  }
}

/**
 * When the clock should jump to: the earliest moment a waiting task becomes ready, if no task
 * holds a lease and none is ready now (a worker is about to take it); otherwise null.
 */
function nextDue(tasks: TaskRecord[], now: number): number | null {
  let due: number | null = null;
  for (const task of tasks) {
    if (isLeasedTaskState(task.state)) return null;
    if (task.state !== 'queued') continue;
    if (task.availableAt <= now) return null;
    due = due === null ? task.availableAt : Math.min(due, task.availableAt);
  }
  return due;
}

async function allOutput(engine: Awaited<ReturnType<typeof createHub>>['engine'], task: TaskRecord): Promise<TaskLogLine[]> {
  const lines: TaskLogLine[] = [];
  for (;;) {
    const page = await engine.reads.taskOutput(await engine.reads.task(task.id, SYSTEM_ACTOR), lines.at(-1)?.seq ?? 0, 1000);
    lines.push(...page);
    if (page.length < 1000) return lines;
  }
}

async function allChanges(engine: Hub['engine'], jobId: number): Promise<ChangeDetail[]> {
  const changes: ChangeDetail[] = [];
  let cursor: string | null = null;
  do {
    const page = await engine.reads.changes(jobId, { cursor, limit: 500 }, SYSTEM_ACTOR);
    for (const change of page.items) {
      changes.push(change.hasText ? await engine.reads.change(jobId, change.id, SYSTEM_ACTOR) : { ...change, textBefore: null, textAfter: null });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return changes;
}
