import type { LeasedTask, LeaseRef, NewItem, NewTaskSpec, TaskActivity, TaskCompletion } from '../model/index.js';
import { classifyTaskRun, type HandlerReturn, type Json, type Progress, type TaskReport } from '../model/index.js';
import type { TaskContext, TaskSpec, Workflow } from '../sdk/define-workflow.js';

/** Why a run was told to stop. `lost`: another attempt owns the task now, so this one's results are dropped. */
export type StopReason = 'cancel' | 'lost' | 'shutdown';

/** Buffers flush when they reach this many entries; log lines also flush after LOG_FLUSH_MS so output shows live. */
const FLUSH_AT = 500;
const LOG_FLUSH_MS = 500;
/** Longer lines are cut: one runaway line must not become a multi-megabyte row. */
const MAX_LINE = 16_384;

export interface ActivitySink {
  report(activity: TaskActivity): Promise<boolean>;
  heartbeat(run: TaskRun): Promise<void>;
}

/**
 * One attempt at one task on this worker: the handler's context, its buffered activity
 * (items, log lines, progress, spawned tasks — sent in bulk, in order), and the report it
 * ends with.
 */
export class TaskRun {
  // Made on first use: most handlers never look at their signal, and one per task adds up.
  private controller: AbortController | null = null;
  private stopReason: StopReason | null = null;
  private items: NewItem[] = [];
  private logs: string[] = [];
  private spawns: NewTaskSpec[] = [];
  private latestProgress: Progress | null = null;
  private flushChain: Promise<void> = Promise.resolve();
  private logTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly leased: LeasedTask,
    private readonly workflow: Workflow | undefined,
    private readonly sink: ActivitySink,
  ) {}

  get taskId(): number {
    return this.leased.task.id;
  }

  get lease(): LeaseRef {
    return { taskId: this.leased.task.id, leaseToken: this.leased.leaseToken };
  }

  get lost(): boolean {
    return this.stopReason === 'lost';
  }

  stop(reason: StopReason): void {
    if (this.stopReason === 'lost') return;
    this.stopReason = reason;
    if (this.controller && !this.controller.signal.aborted) this.controller.abort(new Error(stopMessage(reason)));
  }

  private get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopReason) this.controller.abort(new Error(stopMessage(this.stopReason)));
    }
    return this.controller.signal;
  }

  /** Runs the handler to its end and returns the completion to send, or null if the lease was lost. */
  async run(): Promise<TaskCompletion | null> {
    const handler = this.workflow?.tasks[this.leased.task.type];
    let report: TaskReport;
    if (!handler) {
      const missing = this.workflow ? `task type "${this.leased.task.type}"` : `workflow "${this.leased.task.workflow}"`;
      report = { kind: 'failed', retryable: false, error: { message: `this worker has no handler for ${missing}` } };
    } else {
      let outcome: { ok: true; value: HandlerReturn } | { ok: false; thrown: unknown };
      try {
        outcome = { ok: true, value: await handler(this.context()) };
      } catch (thrown) {
        outcome = { ok: false, thrown };
      }
      report = classifyTaskRun(outcome, this.stopReason !== null);
      if (!outcome.ok && this.stopReason === 'shutdown') report = { kind: 'released' };
    }
    if (this.logTimer) clearTimeout(this.logTimer);
    await this.flushChain;
    if (this.lost) return null;
    return { ...this.lease, ...this.drain(), report };
  }

  private context(): TaskContext<Record<string, unknown>, Json> {
    const { task, job } = this.leased;
    const run = this;
    return {
      job: { ...job, fields: job.fields },
      task: { id: task.id, type: task.type, key: task.key, input: task.input, attempt: task.attempts, maxAttempts: task.maxAttempts },
      get signal() {
        return run.signal;
      },
      log: (line) => {
        const text = String(line);
        this.logs.push(text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}… [line cut at ${MAX_LINE} characters]` : text);
        if (this.logs.length >= FLUSH_AT) this.flush();
        else if (!this.logTimer) this.logTimer = setTimeout(() => this.flush(), LOG_FLUSH_MS);
      },
      progress: (done, total) => {
        if (Number.isFinite(done) && Number.isFinite(total)) this.latestProgress = { done: Math.round(done), total: Math.round(total) };
      },
      item: (path, report) => {
        this.items.push({ path: String(path), operation: report.operation, outcome: report.outcome, bytes: report.bytes ?? null, error: report.error ?? null });
        if (this.items.length >= FLUSH_AT) this.flush();
      },
      spawn: (tasks) => {
        for (const spec of Array.isArray(tasks) ? tasks : [tasks]) {
          if (this.workflow && !(spec?.type in this.workflow.tasks)) {
            throw new TypeError(`spawn: workflow "${this.workflow.name}" has no handler for task type "${spec?.type}"`);
          }
          this.spawns.push(toNewTaskSpec(spec));
        }
        if (this.spawns.length >= FLUSH_AT) this.flush();
      },
      heartbeat: () => this.sink.heartbeat(this),
    };
  }

  /** Sends what is buffered; flushes go out one after another so the hub sees them in order. */
  private flush(): void {
    if (this.logTimer) {
      clearTimeout(this.logTimer);
      this.logTimer = null;
    }
    const activity = { ...this.lease, ...this.drain() };
    this.flushChain = this.flushChain.then(async () => {
      if (this.lost) return;
      try {
        if (!(await this.sink.report(activity))) this.stop('lost');
      } catch {
        // The hub is unreachable: keep the activity for the completion rather than lose it.
        this.requeue(activity);
      }
    });
  }

  private requeue(activity: ReturnType<TaskRun['drain']>): void {
    this.items = [...(activity.items ?? []), ...this.items];
    this.logs = [...(activity.logs ?? []), ...this.logs];
    this.spawns = [...(activity.spawn ?? []), ...this.spawns];
    this.latestProgress ??= activity.progress ?? null;
  }

  private drain(): Omit<TaskActivity, 'taskId' | 'leaseToken'> {
    const activity: Omit<TaskActivity, 'taskId' | 'leaseToken'> = {};
    if (this.items.length > 0) activity.items = this.items;
    if (this.logs.length > 0) activity.logs = this.logs;
    if (this.spawns.length > 0) activity.spawn = this.spawns;
    if (this.latestProgress) activity.progress = this.latestProgress;
    this.items = [];
    this.logs = [];
    this.spawns = [];
    this.latestProgress = null;
    return activity;
  }
}

function toNewTaskSpec(spec: TaskSpec): NewTaskSpec {
  if (!spec || typeof spec.type !== 'string') throw new TypeError('spawn: each task needs a string `type`');
  return { type: spec.type, input: (spec.input ?? null) as Json, key: spec.key ?? null, after: spec.after };
}

function stopMessage(reason: StopReason): string {
  if (reason === 'cancel') return 'the task was cancelled';
  if (reason === 'lost') return 'the lease on this task was lost (another attempt owns it now)';
  return 'the worker is shutting down';
}
