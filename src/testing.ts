/**
 * Helpers for workflow authors' tests: `import { runWorkflow } from 'switchyard/testing'`.
 */
import { createHub } from './hub/index.js';
import type { ItemRecord, JobRecord, Json, TaskLogLine, TaskRecord } from './model/index.js';
import { SYSTEM_ACTOR } from './model/index.js';
import type { Workflow } from './sdk/define-workflow.js';
import type { Isolation } from './worker/worker.js';

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
  /** Submission options: site (default `local`), queue, priority, runAt. */
  site?: string;
  /**
   * Other sites the workflow's tasks run at (a plan or spawn that names a `site`): each gets a
   * worker of its own, so a job that spans sites runs to its end. Default: none.
   */
  sites?: string[];
  queue?: string;
  priority?: number;
}

/** A finished run: the job, every task and item record, each task's log lines, and the tasks' results. */
export interface WorkflowRun {
  job: JobRecord;
  /** In creation order. */
  tasks: TaskRecord[];
  /** Every item record, in the order they were written. */
  items: ItemRecord[];
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
  const hub = await createHub({
    db: ':memory:',
    workflows: [workflow, ...others],
    defaultSite: options.site ?? 'local',
    leaseMs: options.leaseMs,
    console: false,
  });
  try {
    const home = options.site ?? 'local';
    for (const site of [home, ...new Set((options.sites ?? []).filter((other) => other !== home))]) {
      await hub.startWorker({
        concurrency: options.concurrency ?? 4,
        isolation: options.isolation ?? 'in-process',
        pollWaitMs: 200,
        heartbeatMs: 500,
        name: site === home ? 'test' : `test-${site}`,
        site,
      });
    }
    const submitted = await hub.submit({ workflow: workflow.name, fields, site: options.site, queue: options.queue, priority: options.priority });
    const job = await hub.waitForJob(submitted.id, { timeoutMs: options.timeoutMs ?? 30_000 });
    const tasks = await hub.tasks(job.id);
    const items = await hub.items(job.id);
    const logs: Record<number, string[]> = {};
    const results: Record<number, Json | null> = {};
    for (const task of tasks) {
      logs[task.id] = (await allOutput(hub.engine, task)).map((line) => line.line);
      results[task.id] = task.result;
    }
    return { job, tasks, items, logs, results };
  } finally {
    await hub.close({ graceMs: 1000 });
  }
}

async function allOutput(engine: Awaited<ReturnType<typeof createHub>>['engine'], task: TaskRecord): Promise<TaskLogLine[]> {
  const lines: TaskLogLine[] = [];
  for (;;) {
    const page = await engine.reads.taskOutput(await engine.reads.task(task.id, SYSTEM_ACTOR), lines.at(-1)?.seq ?? 0, 1000);
    lines.push(...page);
    if (page.length < 1000) return lines;
  }
}
