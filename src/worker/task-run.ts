import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import { ATTR, context, recordFailure, type Span, startSpan, withSpan } from '../engine/tracing.js';
import type { HandlerOutcome, LeasedTask, LeaseRef, NewChange, NewItem, NewTaskSpec, TaskActivity, TaskCompletion, TaskErrorInfo } from '../model/index.js';
import { classifyTaskRun, errorInfo, type Json, type Progress, type TaskReport } from '../model/index.js';
import { type TaskContext, type TaskHandler, type TaskSpec, taskHandler, type Workflow } from '../sdk/define-workflow.js';
import type { SiteInfo } from '../sdk/site-paths.js';
import type { SiteTransfer } from '../sdk/transfer.js';
import { boundChange, boundItem, boundLogLine, boundResult, changeChars } from './report-limits.js';
import { noTransfer } from './transfer-client.js';

/** Why a run was told to stop. `lost`: another attempt owns the task now, so this one's results are dropped. */
export type StopReason = 'cancel' | 'lost' | 'shutdown';

/** Buffers flush when they reach this many entries; log lines also flush after LOG_FLUSH_MS so output shows live. */
const FLUSH_AT = 500;
const LOG_FLUSH_MS = 500;
/** …or this many characters, so that a report of long lines stays far below the 8 MiB request limit. */
const FLUSH_AT_CHARS = 512 * 1024;
/** How long a handler may run on after its signal aborted, unless its workflow says otherwise. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** How a handler's execution ended: its outcome, a fault of its thread, or given back unrun (its thread was lost to another task's fault). */
export type ExecutionEnd = { kind: 'outcome'; outcome: HandlerOutcome } | { kind: 'fault'; error: TaskErrorInfo } | { kind: 'released'; reason: string };

/** A handler running somewhere: in this process, or in a thread. `kill` gives up on it (terminating its thread, if it has one). */
export interface Execution {
  end: Promise<ExecutionEnd>;
  /** Tells the handler to stop (in a thread, its `ctx.signal` aborts; in-process handlers see the run's own signal). */
  abort(reason: string): void;
  kill(): void;
  /** How a killed execution is described: "its thread was terminated". */
  killed: string;
}

/** Told when a staged task starts in its thread: it has taken the place of the run it followed. */
export interface Staging {
  started(): void;
}

/** Runs a handler. `staging`: start it only in the place of a task running now, and say when (handler threads only; see HandlerPool.run). */
export type Executor = (handler: TaskHandler, ctx: TaskContext<Record<string, unknown>, Json>, leased: LeasedTask, staging?: Staging) => Execution;

/** Runs the handler on this event loop: what it leaves behind (timers, promises) stays here. */
export const inProcess: Executor = (handler, ctx) => ({
  end: (async (): Promise<ExecutionEnd> => {
    try {
      return { kind: 'outcome', outcome: { ok: true, value: await handler(ctx) } };
    } catch (thrown) {
      return { kind: 'outcome', outcome: { ok: false, thrown } };
    }
  })(),
  abort: () => {},
  kill: () => {},
  killed: 'its promise was abandoned',
});

export interface ActivitySink {
  report(activity: TaskActivity): Promise<boolean>;
  heartbeat(run: TaskRun): Promise<void>;
  /** `ctx.transfer` for a task of `jobId` (the hub's blobs of that job), stopped by `signal`. */
  transfer?(jobId: number, signal: AbortSignal): SiteTransfer;
}

/**
 * One attempt at one task on this worker: the handler's context, its buffered activity
 * (items, log lines, progress, spawned tasks — sent in bulk, in order), and the report it
 * ends with.
 */
export class TaskRun {
  // Made on first use: most handlers never look at their signal, and one per task adds up.
  private controller: AbortController | null = null;
  /** The handler's execution, once started; told to abort on the first stop. */
  private execution: Execution | null = null;
  private stopReason: StopReason | null = null;
  private items: NewItem[] = [];
  private changes: NewChange[] = [];
  private logs: string[] = [];
  private spawns: NewTaskSpec[] = [];
  private latestProgress: Progress | null = null;
  private bufferedChars = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private logTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private graceEnded: (() => void) | null = null;
  private graceMs: number;
  private finished = false;

  constructor(
    readonly leased: LeasedTask,
    private readonly workflow: Workflow | undefined,
    private readonly sink: ActivitySink,
    private readonly execute: Executor = inProcess,
    /** This attempt's `switchyard.task` span (a no-op unless the host registered an OpenTelemetry SDK). */
    private readonly span: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
    /** The site this worker serves and its root directory, as handlers see it in `ctx.site`. */
    private readonly site: SiteInfo = { name: leased.task.site, root: null },
  ) {
    this.graceMs = workflow?.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  }

  get taskId(): number {
    return this.leased.task.id;
  }

  get lease(): LeaseRef {
    return { taskId: this.leased.task.id, leaseToken: this.leased.leaseToken };
  }

  get lost(): boolean {
    return this.stopReason === 'lost';
  }

  /**
   * Aborts the handler's signal. A handler still running `graceMs` later (the workflow's
   * `stopGraceMs` unless given) is given up on: see `run`.
   */
  stop(reason: StopReason, graceMs?: number): void {
    if (this.stopReason !== 'lost') this.stopReason = reason;
    if (this.controller && !this.controller.signal.aborted) this.controller.abort(new Error(stopMessage(this.stopReason ?? reason)));
    this.execution?.abort(stopMessage(this.stopReason ?? reason));
    if (graceMs !== undefined && graceMs < this.graceMs && this.graceTimer) {
      clearTimeout(this.graceTimer);
      this.graceTimer = null;
    }
    if (graceMs !== undefined) this.graceMs = Math.min(this.graceMs, graceMs);
    if (!this.finished) this.graceTimer ??= setTimeout(() => this.graceEnded?.(), this.graceMs).unref();
  }

  private get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopReason) this.controller.abort(new Error(stopMessage(this.stopReason)));
    }
    return this.controller.signal;
  }

  /**
   * Runs the handler to its end and returns the completion to send, or null if the lease was
   * lost. A handler that outlives its stop grace is killed and reported `stopped` (`released`
   * on shutdown: the task runs again elsewhere and the attempt does not count).
   */
  async run(): Promise<TaskCompletion | null> {
    const handler = this.workflow ? taskHandler(this.workflow, this.leased.task.type) : undefined;
    let report: TaskReport;
    if (!handler) {
      const missing = this.workflow ? `task type "${this.leased.task.type}"` : `workflow "${this.leased.task.workflow}"`;
      report = { kind: 'failed', retryable: false, error: { message: `this worker has no handler for ${missing}` } };
    } else {
      // In-process handlers run with the run span active: their own spans nest under it. Without
      // an SDK (the task span records nothing) no child span or context is made: a few hundred
      // nanoseconds per task instead of a few microseconds.
      const runSpan = this.span.isRecording() ? startSpan('switchyard.task.run', {}, withSpan(this.span)) : null;
      const execution = runSpan
        ? context.with(withSpan(runSpan), () => this.execute(handler, this.context(), this.leased))
        : this.execute(handler, this.context(), this.leased);
      const graceOver = new Promise<'grace'>((resolve) => {
        this.graceEnded = () => resolve('grace');
      });
      this.execution = execution;
      if (this.stopReason) execution.abort(stopMessage(this.stopReason));
      const end = await Promise.race([execution.end, graceOver]);
      this.finished = true;
      if (this.graceTimer) clearTimeout(this.graceTimer);
      if (end === 'grace') {
        execution.kill();
        const reason = `${stopMessage(this.stopReason ?? 'cancel')}; the handler did not return within ${this.graceMs} ms of being told to stop, so ${execution.killed}`;
        report = this.stopReason === 'shutdown' ? { kind: 'released' } : { kind: 'stopped', reason };
      } else if (end.kind === 'released') {
        report = { kind: 'released' };
      } else {
        const outcome: HandlerOutcome = end.kind === 'fault' ? { ok: false, error: end.error, signal: null } : end.outcome;
        report = boundReport(classifyTaskRun(outcome, this.stopReason !== null));
        if (!outcome.ok && this.stopReason === 'shutdown') report = { kind: 'released' };
      }
      if (runSpan) endRunSpan(runSpan, report);
    }
    this.span.setAttribute(ATTR.outcome, report.kind);
    if (report.kind === 'failed') recordFailure(this.span, report.error);
    if (this.logTimer) clearTimeout(this.logTimer);
    await this.flushChain;
    await this.sendBacklog();
    if (this.lost) return null;
    // Built whole, not spread (V8's slow path for a spread followed by more properties).
    return Object.assign({ taskId: this.leased.task.id, leaseToken: this.leased.leaseToken, report }, this.drain());
  }

  private context(): TaskContext<Record<string, unknown>, Json> {
    const { task, job } = this.leased;
    const run = this;
    let transfer: SiteTransfer | null = null;
    return {
      job: { ...job, fields: job.fields },
      task: {
        id: task.id,
        type: task.type,
        key: task.key,
        site: task.site,
        input: task.input,
        attempt: task.attempts,
        maxAttempts: task.maxAttempts,
        retryPaths: this.leased.retryPaths ?? null,
      },
      site: this.site,
      get signal() {
        return run.signal;
      },
      log: (line) => {
        const text = boundLogLine(String(line));
        this.logs.push(text);
        this.bufferedChars += text.length;
        if (this.logs.length >= FLUSH_AT || this.bufferedChars >= FLUSH_AT_CHARS) this.flush();
        else if (!this.logTimer) this.logTimer = setTimeout(() => this.flush(), LOG_FLUSH_MS);
      },
      progress: (done, total) => {
        if (Number.isFinite(done) && Number.isFinite(total)) this.latestProgress = { done: Math.round(done), total: Math.round(total) };
      },
      item: (path, report) => {
        const item = boundItem({
          path: String(path),
          operation: report.operation,
          outcome: report.outcome,
          bytes: report.bytes ?? null,
          error: report.error ?? null,
        });
        this.items.push(item);
        this.bufferedChars += itemChars(item);
        if (this.items.length >= FLUSH_AT || this.bufferedChars >= FLUSH_AT_CHARS) this.flush();
      },
      change: (path, report) => {
        const change = boundChange(path, report);
        this.changes.push(change);
        this.bufferedChars += changeChars(change);
        if (this.changes.length >= FLUSH_AT || this.bufferedChars >= FLUSH_AT_CHARS) this.flush();
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
      get transfer() {
        transfer ??= run.sink.transfer ? run.sink.transfer(job.id, run.signal) : noTransfer;
        return transfer;
      },
    };
  }

  /**
   * Sends what is buffered, in pieces of at most FLUSH_AT entries and about FLUSH_AT_CHARS
   * characters. Sends go out one after another and take from the front of the buffer when
   * they run, so a piece the hub could not take goes back to the front and the hub still sees
   * everything in order.
   */
  private flush(): void {
    if (this.logTimer) {
      clearTimeout(this.logTimer);
      this.logTimer = null;
    }
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.flushChain = this.flushChain.then(async () => {
      this.flushQueued = false;
      await this.sendBuffered();
    });
  }

  /** Sends pieces until the buffer is empty; false when the hub could not be reached (the piece is kept). */
  private async sendBuffered(): Promise<boolean> {
    while (!this.lost && this.hasBuffered()) {
      const piece = this.takePiece();
      try {
        if (!(await this.sink.report({ ...this.lease, ...piece }))) this.stop('lost');
      } catch {
        // The hub is unreachable: keep the activity for later rather than lose it.
        this.requeue(piece);
        return false;
      }
    }
    return true;
  }

  /**
   * After the handler: sends what the buffer still holds beyond what one completion may
   * carry (a backlog from while the hub was unreachable), retrying with backoff.
   */
  private async sendBacklog(): Promise<void> {
    for (let attempt = 0; !this.lost && this.overFlushLimits() && attempt < 8; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 250 * 2 ** attempt)));
      if (await this.sendBuffered()) return;
    }
  }

  private hasBuffered(): boolean {
    return this.items.length > 0 || this.changes.length > 0 || this.logs.length > 0 || this.spawns.length > 0 || this.latestProgress !== null;
  }

  private overFlushLimits(): boolean {
    return (
      this.items.length >= FLUSH_AT ||
      this.changes.length >= FLUSH_AT ||
      this.logs.length >= FLUSH_AT ||
      this.spawns.length >= FLUSH_AT ||
      this.bufferedChars >= FLUSH_AT_CHARS
    );
  }

  private requeue(activity: Activity): void {
    this.items = [...(activity.items ?? []), ...this.items];
    this.changes = [...(activity.changes ?? []), ...this.changes];
    this.logs = [...(activity.logs ?? []), ...this.logs];
    this.spawns = [...(activity.spawn ?? []), ...this.spawns];
    this.latestProgress ??= activity.progress ?? null;
    this.bufferedChars += activityChars(activity);
  }

  /** Takes a piece from the front of the buffer: at most FLUSH_AT entries of each kind, about FLUSH_AT_CHARS characters. */
  private takePiece(): Activity {
    const piece: Activity = {};
    let chars = 0;
    const take = <T>(list: T[], size: (entry: T) => number): T[] => {
      let n = 0;
      while (n < list.length && n < FLUSH_AT && (n === 0 || chars < FLUSH_AT_CHARS)) chars += size(list[n++]);
      return list.splice(0, n);
    };
    if (this.logs.length > 0) piece.logs = take(this.logs, (line) => line.length);
    if (this.items.length > 0) piece.items = take(this.items, itemChars);
    if (this.changes.length > 0) piece.changes = take(this.changes, changeChars);
    if (this.spawns.length > 0) piece.spawn = take(this.spawns, () => 0);
    if (this.latestProgress) piece.progress = this.latestProgress;
    this.latestProgress = null;
    this.bufferedChars = Math.max(0, this.bufferedChars - chars);
    return piece;
  }

  private drain(): Activity {
    const activity: Activity = {};
    if (this.items.length > 0) activity.items = this.items;
    if (this.changes.length > 0) activity.changes = this.changes;
    if (this.logs.length > 0) activity.logs = this.logs;
    if (this.spawns.length > 0) activity.spawn = this.spawns;
    if (this.latestProgress) activity.progress = this.latestProgress;
    this.items = [];
    this.changes = [];
    this.logs = [];
    this.spawns = [];
    this.latestProgress = null;
    this.bufferedChars = 0;
    return activity;
  }
}

type Activity = Omit<TaskActivity, 'taskId' | 'leaseToken'>;

function itemChars(item: NewItem): number {
  return item.path.length + (item.error?.length ?? 0);
}

function activityChars(activity: Activity): number {
  let chars = 0;
  for (const line of activity.logs ?? []) chars += line.length;
  for (const item of activity.items ?? []) chars += itemChars(item);
  for (const change of activity.changes ?? []) chars += changeChars(change);
  return chars;
}

function endRunSpan(span: Span, report: TaskReport): void {
  span.setAttribute(ATTR.outcome, report.kind);
  if (report.kind === 'failed') recordFailure(span, report.error);
  span.end();
}

/** Bounds a success's result (see boundResult); a result that is not JSON fails the task, without retries. */
function boundReport(report: TaskReport): TaskReport {
  if (report.kind !== 'succeeded') return report;
  try {
    return { ...report, result: boundResult(report.result) };
  } catch (error) {
    return { kind: 'failed', retryable: false, error: errorInfo(error) };
  }
}

export function toNewTaskSpec(spec: TaskSpec): NewTaskSpec {
  if (!spec || typeof spec.type !== 'string') throw new TypeError('spawn: each task needs a string `type`');
  if (spec.site !== undefined && (typeof spec.site !== 'string' || spec.site === '')) throw new TypeError("spawn: a task's `site` must be a site name");
  return { type: spec.type, input: (spec.input ?? null) as Json, key: spec.key ?? null, after: spec.after, ...(spec.site ? { site: spec.site } : {}) };
}

function stopMessage(reason: StopReason): string {
  if (reason === 'cancel') return 'the task was cancelled';
  if (reason === 'lost') return 'the lease on this task was lost (another attempt owns it now)';
  return 'the worker is shutting down';
}
