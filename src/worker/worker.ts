import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { isSpanContextValid } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { Coalescer } from '../engine/coalescer.js';
import type { WorkerPort } from '../engine/ports.js';
import { ATTR, recordError, type Span, SpanKind, startSpan, withSpan } from '../engine/tracing.js';
import type { ActivityResult, CompletionResult, LeasedTask, TaskActivity, TaskCompletion } from '../model/index.js';
import { type Workflow, workflowModule } from '../sdk/define-workflow.js';
import type { WorkflowRegistry } from '../sdk/workflow-registry.js';
import { HandlerPool } from './handler-pool.js';
import { PACKAGE_VERSION } from './package-version.js';
import { chunkBatch, splitActivity } from './report-limits.js';
import { type ActivitySink, type Executor, inProcess, TaskRun } from './task-run.js';
import { TransferClient } from './transfer-client.js';

/**
 * Where handlers run. `thread` (the default): in a pool of worker threads, so a handler's
 * faults, busy loops and ignored stop signals cannot take down or freeze the process hosting
 * the worker (see HandlerPool). `in-process`: on the worker's own event loop — the least
 * overhead, for trusted handlers. A workflow whose module is unknown (defined inline, without
 * `module: import.meta.url`) always runs in-process.
 */
export type Isolation = 'thread' | 'in-process';

/** How long stop() lets handlers run on after their signal aborted, once its own grace is over. */
const SHUTDOWN_KILL_MS = 1_000;
/** A prefetched task that has waited this long for a slot goes back to the hub (handlers turned slow). */
const MAX_HOLD_MS = 5_000;
/**
 * A prefetched task held longer than this has its lease confirmed with the hub (a heartbeat)
 * every such period until it starts: a cancel or pause requested meanwhile is honoured before
 * it runs. Tasks held less long start as promptly as a task leased for a free slot would.
 */
const CONFIRM_HELD_MS = 250;
/** Tasks staged in each handler thread at most, behind tasks running there (see Worker.begin). */
const STAGED_PER_THREAD = 2;
/** How often the worker's recent pace (tasks ended per second) is measured. */
const PACE_WINDOW_MS = 250;

export interface WorkerOptions {
  port: WorkerPort;
  workflows: WorkflowRegistry;
  site: string;
  /**
   * The directory this worker serves its site from: handlers resolve every path inside it
   * (`ctx.site.root`, `resolveInSite`). Checked at start: it must be an existing directory.
   */
  root?: string;
  name?: string;
  /** A stable id, for a worker whose leases its host settles on restart (the hub's local worker); random otherwise. */
  id?: string;
  /** Where it runs, as shown in the console. */
  host?: string;
  /** The version it reports when it registers, shown in the console (default: this package's). */
  version?: string;
  /** Most tasks run at once. */
  concurrency?: number;
  /** Most tasks leased per round trip (default 500). */
  leaseBatch?: number;
  /**
   * Most tasks leased beyond the free slots and held here until a slot frees (default
   * `leaseBatch`; 0 leases only for free slots). The worker holds only what it gets through in
   * `holdMs` at its recent pace, so slow handlers hold nothing and fast ones lease in batches.
   * Held tasks are leased (the console shows them running on this worker), their leases are
   * renewed, a cancel or pause of one is honoured before it runs, and stop() hands them back.
   */
  prefetch?: number;
  /** The hold budget of prefetching (default 500 ms); a held task that waits 5 s goes back to the hub. */
  holdMs?: number;
  /** How often running tasks' leases are renewed; well under the hub's lease time. */
  heartbeatMs?: number;
  /** How long one lease call waits for work when there is none. */
  pollWaitMs?: number;
  /** Where handlers run (default `thread`). */
  isolation?: Isolation;
  /**
   * In `thread` isolation: most threads (default: one per core but one, which is left to the
   * worker's own thread, at least 1 and at most `concurrency`; with `threadTasks` alone, as
   * many as `concurrency` needs; see HandlerPool).
   */
  threads?: number;
  /** In `thread` isolation: most tasks one thread runs at once (default: `concurrency` spread over `threads`). */
  threadTasks?: number;
  /** In `thread` isolation: a thread idle this long ends (default 30 s). */
  threadIdleMs?: number;
  /** In `thread` isolation: a thread's heap limit; past it the thread ends and its task fails (default: Node's). */
  threadMaxHeapMb?: number;
  logger?: Logger;
}

/**
 * Runs task handlers for one site. Pulls tasks in batches over its port (the engine in
 * process, HTTP when remote), renews leases while handlers run, sends activity and
 * completions in batches sized to the worker protocol, and on a lost connection retries with
 * backoff: its leases simply expire at the hub and the tasks run again elsewhere.
 *
 * Handlers run in worker threads by default (`isolation`, see HandlerPool): a handler that
 * crashes, exits, loops or ignores its stop signal costs its own task, not this process. A
 * task told to stop (cancel, pause, timeout, lost lease, shutdown) whose handler has not
 * returned `stopGraceMs` after its signal aborted is given up on and reported stopped.
 */
export class Worker {
  readonly id: string;
  private readonly port: WorkerPort;
  private readonly workflows: WorkflowRegistry;
  private readonly site: string;
  private readonly root: string | null;
  private readonly concurrency: number;
  private readonly leaseBatch: number;
  private readonly heartbeatMs: number;
  private readonly pollWaitMs: number;
  private readonly logger: Logger;
  private readonly name: string;
  private readonly host: string;
  private readonly version: string;
  /** Tasks leased here: running, or ended with their completion not answered yet. */
  private readonly runs = new Map<number, TaskRun>();
  /** Handlers running now: what `concurrency` bounds (a task awaiting its completion's answer holds no slot). */
  private active = 0;
  /**
   * Tasks begun beyond the concurrency: staged in a handler thread behind a running task, to
   * start there in its place as it ends (see HandlerPool.run). They hold no slot until then.
   */
  private readonly staged = new Set<number>();
  /** Most tasks staged at once: STAGED_PER_THREAD for each thread of the pool (0 in-process). */
  private readonly stageLimit: number = 0;
  /** Prefetched tasks waiting for a slot, in lease order, with when they were leased. */
  private readonly held: { leased: LeasedTask; at: number; leaseSpan: Span }[] = [];
  private readonly prefetch: number;
  private readonly holdMs: number;
  /** Tasks ended in the current pace window, and the pace of the last one (tasks/s). */
  private paceCount = 0;
  private paceStart = Date.now();
  private pace = 0;
  private holdTimer: NodeJS.Timeout | null = null;
  /** A heartbeat confirming held leases is under way. */
  private confirming = false;
  private readonly completions: Coalescer<TaskCompletion, CompletionResult>;
  private readonly reports: Coalescer<TaskActivity, ActivityResult>;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly gathered: { completion: TaskCompletion; resolve: (result: CompletionResult) => void; reject: (error: unknown) => void }[] = [];
  private loopDone: Promise<void> | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private leaseAbort = new AbortController();
  private readonly isolation: Isolation;
  private readonly pool: HandlerPool | null = null;
  private readonly executors = new Map<Workflow, Executor>();

  constructor(options: WorkerOptions) {
    checkCounts(options);
    this.port = options.port;
    this.workflows = options.workflows;
    this.site = options.site;
    this.root = options.root ? resolve(options.root) : null;
    this.concurrency = options.concurrency ?? 16;
    this.leaseBatch = options.leaseBatch ?? 500;
    this.prefetch = Math.max(0, options.prefetch ?? this.leaseBatch);
    this.holdMs = options.holdMs ?? 500;
    // Heartbeats also carry cancel requests to running tasks: every 2 s keeps cancels prompt at the cost of one small transaction.
    this.heartbeatMs = options.heartbeatMs ?? 2_000;
    this.pollWaitMs = options.pollWaitMs ?? 1_000;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.host = options.host ?? hostname();
    this.version = options.version ?? PACKAGE_VERSION;
    this.name = options.name ?? `${this.host}:${process.pid}`;
    this.id = options.id ?? `${this.name}-${randomBytes(4).toString('hex')}`;
    this.completions = new Coalescer((batch) => inChunks(batch, (chunk) => this.port.complete(chunk)), 500);
    this.reports = new Coalescer((batch) => this.sendReports(batch), 200);
    this.isolation = options.isolation ?? 'thread';
    if (this.isolation === 'thread') {
      const threads = options.threads ?? defaultThreads(this.concurrency, options.threadTasks);
      const tasksPerThread = options.threadTasks ?? Math.ceil(this.concurrency / threads);
      this.pool = new HandlerPool({ threads, tasksPerThread, idleMs: options.threadIdleMs, maxHeapMb: options.threadMaxHeapMb, logger: this.logger });
      this.stageLimit = STAGED_PER_THREAD * threads;
    }
  }

  /** How `workflow`'s handlers run here: in the pool when its module is known, else in-process (said once, in the log). */
  private executorFor(workflow: Workflow | undefined): Executor {
    if (!workflow || !this.pool) return inProcess;
    let executor = this.executors.get(workflow);
    if (!executor) {
      const moduleUrl = workflowModule(workflow);
      const pool = this.pool;
      if (moduleUrl) {
        executor = (_handler, ctx, leased, staging) => pool.run(moduleUrl, leased, ctx, staging);
      } else {
        this.logger.warn(
          { workflow: workflow.name },
          'workflow has no known module (pass `module: import.meta.url` to defineWorkflow); its handlers run in-process, unisolated',
        );
        executor = inProcess;
      }
      this.executors.set(workflow, executor);
    }
    return executor;
  }

  get running(): number {
    return this.active;
  }

  async start(): Promise<void> {
    if (this.root) {
      const info = await stat(this.root).catch(() => null);
      if (!info?.isDirectory()) throw new Error(`the site root ${this.root} is not a directory on this machine`);
    }
    await this.register();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
    this.holdTimer = setInterval(() => this.checkHeld(), CONFIRM_HELD_MS);
    this.holdTimer.unref();
    this.loopDone = this.loop();
    this.logger.info({ worker: this.id, site: this.site, root: this.root, workflows: this.workflows.names() }, 'worker started');
  }

  /**
   * Announces the worker. A hub that cannot be reached yet (a network error or a 5xx answer)
   * is waited for with backoff; any other refusal (a bad token, a site the token may not
   * serve) is final and thrown.
   */
  private async register(): Promise<void> {
    for (let failures = 0; ; failures++) {
      try {
        await this.port.register({
          id: this.id,
          name: this.name,
          site: this.site,
          workflows: this.workflows.names(),
          host: this.host,
          version: this.version,
        });
        return;
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        const transient = typeof status !== 'number' || status === 0 || status >= 500;
        if (!transient || this.stopping) throw error;
        const wait = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
        this.logger.warn({ err: error, retryInMs: wait }, 'cannot reach the hub to register; retrying');
        await delay(wait);
      }
    }
  }

  /**
   * Stops leasing and lets running tasks finish for up to `graceMs` (default 10 s); tasks still
   * running then have their signal aborted and are handed back to the hub (released: the
   * attempt does not count). A handler that ignores its signal is killed 1 s later (its thread
   * terminated; in-process, its promise abandoned), so stop() ends within about graceMs + 1 s.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping = true;
    this.leaseAbort.abort();
    for (const wake of this.slotWaiters.splice(0)) wake();
    await this.loopDone;
    if (this.holdTimer) clearInterval(this.holdTimer);
    await this.release(this.held.splice(0));
    this.pool?.unstageAll();
    const graceMs = options.graceMs ?? 10_000;
    const deadline = Date.now() + graceMs;
    while (this.runs.size > 0 && Date.now() < deadline) await delay(20);
    // Handlers that ignore their signal get SHUTDOWN_KILL_MS more, then are killed: stop() ends within graceMs + ~1 s.
    for (const run of this.runs.values()) run.stop('shutdown', SHUTDOWN_KILL_MS);
    while (this.runs.size > 0) await delay(10);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.completions.idle();
    await this.pool?.close();
    this.logger.info({ worker: this.id }, 'worker stopped');
  }

  /**
   * Leases while there is room: free slots, plus the prefetch target (what the worker gets
   * through in `holdMs` at its recent pace). With tasks held, it leases again once they fall
   * to half the target, so leases come in batches rather than one per freed slot.
   */
  private async loop(): Promise<void> {
    let failures = 0;
    let cooled = false;
    while (!this.stopping) {
      const target = this.prefetchTarget();
      const free = this.concurrency - this.active - this.held.length;
      // Staged tasks are prefetched ones already in their thread.
      const holding = this.held.length + this.staged.size;
      const room = free + target - this.staged.size;
      const backlog = this.runs.size - this.active - this.staged.size;
      const wanted = free > 0 || (holding <= target / 2 && room >= Math.min(this.leaseBatch, target / 2));
      if (room <= 0 || !wanted || backlog >= this.maxBacklog()) {
        await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        continue;
      }
      // Under load, slots free up one by one (handlers in threads end one message at a time):
      // leasing for each would cost a transaction per task. Waiting one turn of the event loop
      // lets the slots freed by the messages already arrived count too.
      if (this.pool && !cooled && room < Math.min(this.leaseBatch, this.concurrency / 4) && this.active > 0) {
        cooled = true;
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      cooled = false;
      let leased: LeasedTask[];
      const leaseStarted = Date.now();
      try {
        leased = await this.port.lease({
          workerId: this.id,
          site: this.site,
          workflows: this.workflows.names(),
          limit: Math.min(room, this.leaseBatch),
          waitMs: this.pollWaitMs,
          signal: this.leaseAbort.signal,
        });
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        failures += 1;
        const wait = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.logger.warn({ err: error, retryInMs: wait }, 'cannot lease tasks from the hub; retrying');
        await delay(wait);
        continue;
      }
      if (leased.length === 0) continue;
      // Only leases that handed out work are traced: an idle worker long-polls all day.
      const leaseSpan = startSpan('switchyard.lease', {
        kind: SpanKind.CLIENT,
        startTime: leaseStarted,
        attributes: { [ATTR.site]: this.site, [ATTR.tasks]: leased.length },
      });
      leaseSpan.end();
      const at = Date.now();
      for (const task of leased) this.held.push({ leased: task, at, leaseSpan });
      if (this.stopping) break;
      this.fill();
    }
  }

  /** How many tasks to hold beyond the free slots: the recent pace times the hold budget, at most `prefetch`. */
  private prefetchTarget(): number {
    if (this.prefetch === 0) return 0;
    const now = Date.now();
    const elapsed = now - this.paceStart;
    if (elapsed >= PACE_WINDOW_MS) {
      this.pace = (this.paceCount * 1000) / elapsed;
      this.paceCount = 0;
      this.paceStart = now;
    }
    return Math.min(this.prefetch, Math.floor((this.pace * this.holdMs) / 1000));
  }

  /** Most tasks whose completions may wait to be answered before leasing pauses (a slow or unreachable hub). */
  private maxBacklog(): number {
    return 2 * Math.max(this.concurrency, this.leaseBatch);
  }

  /** Starts held tasks in the free slots, then stages the next ones in handler threads while it may. */
  private fill(): void {
    while (!this.stopping && this.held.length > 0) {
      const staged = this.active >= this.concurrency;
      if (staged && !this.mayStage(this.held[0].leased)) return;
      const next = this.held.shift() as { leased: LeasedTask; leaseSpan: Span };
      this.begin(next.leased, next.leaseSpan, staged);
    }
  }

  /**
   * Whether `leased` may be staged in a handler thread now. Only while tasks end quickly (the
   * prefetch target, from the recent pace, is at least one task), so that a staged task does
   * not wait long behind the one it follows; at most `stageLimit` at once.
   */
  private mayStage(leased: LeasedTask): boolean {
    if (!this.pool || this.staged.size >= Math.min(this.stageLimit, this.prefetchTarget())) return false;
    if (this.executorFor(this.workflows.get(leased.task.workflow)) === inProcess) return false;
    return this.pool.canStage(leased.task.id);
  }

  /**
   * Gives back held tasks that waited too long for a slot (another worker may run them
   * sooner), and confirms the leases of those held a while, so that a cancel or pause
   * requested since they were leased stops them before they run.
   */
  private checkHeld(): void {
    const now = Date.now();
    let stale = 0;
    while (stale < this.held.length && this.held[stale].at <= now - MAX_HOLD_MS) stale++;
    if (stale > 0) void this.release(this.held.splice(0, stale));
    this.pool?.unstageOlderThan(MAX_HOLD_MS);
    if (this.held.length > 0 && this.held[0].at <= now - CONFIRM_HELD_MS && !this.confirming) {
      this.confirming = true;
      void this.heartbeat([], this.held.slice()).finally(() => {
        this.confirming = false;
      });
    }
  }

  /** Hands held tasks back unrun: they are queued again and the attempt does not count. */
  private async release(entries: { leased: LeasedTask }[]): Promise<void> {
    if (entries.length === 0) return;
    const completions = entries.map(({ leased }): TaskCompletion => ({ taskId: leased.task.id, leaseToken: leased.leaseToken, report: { kind: 'released' } }));
    // One try: a task not handed back is run again elsewhere once its lease expires.
    await Promise.all(
      completions.map((completion) =>
        this.completions
          .add(completion)
          .catch((error) => this.logger.warn({ err: error, task: completion.taskId }, 'could not hand back a prefetched task; its lease will expire')),
      ),
    );
  }

  /** Runs a task in a free slot, or (`staged`) stages it in a handler thread to take the slot of a task running there. */
  private begin(leased: LeasedTask, leaseSpan: Span, staged = false): void {
    const workflow = this.workflows.get(leased.task.workflow);
    const span = taskSpan(leased, leaseSpan);
    const taskId = leased.task.id;
    let started = !staged;
    let executor = this.executorFor(workflow);
    if (staged) {
      const base = executor;
      const staging = {
        started: () => {
          started = true;
          this.staged.delete(taskId);
          this.active += 1;
        },
      };
      executor = (handler, ctx, task) => base(handler, ctx, task, staging);
      this.staged.add(taskId);
    } else {
      this.active += 1;
    }
    const run = new TaskRun(leased, workflow, this.sink, executor, span, { name: this.site, root: this.root });
    this.runs.set(run.taskId, run);
    let ended = false;
    // The slot frees as soon as the handler ends: its completion is sent (and batched with
    // others) while the next task runs. The task stays in `runs`, heartbeated, until answered.
    const endHandler = () => {
      if (ended) return;
      ended = true;
      if (started) {
        this.active -= 1;
        this.paceCount += 1;
      } else {
        this.staged.delete(taskId);
      }
      this.fill();
      this.slotWaiters.shift()?.();
    };
    void run
      .run()
      .then((completion) => {
        endHandler();
        if (completion) return this.finish(completion, span);
        span.setAttribute(ATTR.outcome, 'lost');
      })
      .catch((error) => {
        recordError(span, error);
        this.logger.error({ err: error, task: run.taskId }, 'could not report a task result');
      })
      .finally(() => {
        endHandler();
        span.end();
        this.runs.delete(run.taskId);
        this.slotWaiters.shift()?.();
      });
  }

  /** Sends a completion, retrying while the hub is unreachable; a refused one means the lease was lost. */
  private async finish(completion: TaskCompletion, taskSpan: Span): Promise<void> {
    const span = taskSpan.isRecording() ? startSpan('switchyard.task.complete', { kind: SpanKind.CLIENT }, withSpan(taskSpan)) : taskSpan;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await this.complete(completion);
          span.setAttribute(ATTR.accepted, result.accepted);
          if (!result.accepted) {
            taskSpan.setAttribute(ATTR.outcome, 'lost');
            this.logger.warn({ task: completion.taskId }, 'result refused: the lease was lost, another attempt owns the task');
          }
          return;
        } catch (error) {
          if (attempt >= 8) {
            recordError(span, error);
            throw error;
          }
          await delay(Math.min(10_000, 250 * 2 ** attempt));
        }
      }
    } finally {
      if (span !== taskSpan) span.end();
    }
  }

  /**
   * Adds a completion to the coalescer at the end of this turn of the event loop, together
   * with the others that arrived in it: handlers in threads end one message at a time, and
   * in-process ones start the next held task as they end, so a coalescer that is idle would
   * otherwise flush each alone, one transaction per task.
   */
  private complete(completion: TaskCompletion): Promise<CompletionResult> {
    return new Promise((resolve, reject) => {
      this.gathered.push({ completion, resolve, reject });
      if (this.gathered.length > 1) return;
      setImmediate(() => {
        for (const entry of this.gathered.splice(0)) this.completions.add(entry.completion).then(entry.resolve, entry.reject);
      });
    });
  }

  /**
   * Sends activity reports in requests the protocol accepts. An activity too large for one
   * report goes as several, in order; its answer (one per activity, as the coalescer expects)
   * is accepted only if every piece was.
   */
  private async sendReports(batch: TaskActivity[]): Promise<ActivityResult[]> {
    const pieces = batch.map(splitActivity);
    const answers = await inChunks(pieces.flat(), (chunk) => this.port.report(chunk));
    let next = 0;
    return pieces.map((group, i) => {
      const mine = answers.slice(next, next + group.length);
      next += group.length;
      return { taskId: batch[i].taskId, accepted: mine.every((answer) => answer.accepted) };
    });
  }

  /** Drops a held task (its lease is lost, or it is to stop): it will not run here. */
  private unhold(taskId: number): LeasedTask | undefined {
    const i = this.held.findIndex(({ leased }) => leased.task.id === taskId);
    if (i < 0) return undefined;
    const [{ leased }] = this.held.splice(i, 1);
    this.slotWaiters.shift()?.();
    return leased;
  }

  private readonly sink: ActivitySink = {
    report: async (activity) => (await this.reports.add(activity)).accepted,
    heartbeat: async (run) => {
      await this.heartbeat([run], []);
    },
    transfer: (jobId, signal) => new TransferClient(this.port, jobId, signal),
  };

  /** Renews the leases of the tasks running here now, as the periodic heartbeat does (for a test clock that jumps ahead). */
  renewLeases(): Promise<void> {
    return this.heartbeat();
  }

  /**
   * Renews the leases of `runs` and `held` tasks (default: all). Running tasks told to stop
   * get their signal (a staged one is handed back unrun if it has not started); held ones told
   * to stop (cancel, or any pause: they have not started) are handed back unrun — released, so
   * a cancelling task ends cancelled and a pausing one paused, without an attempt spent.
   */
  private async heartbeat(runs: TaskRun[] = [...this.runs.values()], held: { leased: LeasedTask }[] = this.held): Promise<void> {
    const live = runs.filter((run) => !run.lost);
    const waiting = held.map(({ leased }) => ({ taskId: leased.task.id, leaseToken: leased.leaseToken }));
    if (live.length === 0 && waiting.length === 0) return;
    // Staged tasks have not started either: a pause stops them too (they are handed back unrun).
    const unstarted = [...waiting.map((lease) => lease.taskId), ...live.filter((run) => this.staged.has(run.taskId)).map((run) => run.taskId)];
    try {
      const result = await this.port.heartbeat({
        workerId: this.id,
        leases: [...live.map((run) => run.lease), ...waiting],
        ...(unstarted.length > 0 ? { unstarted } : {}),
      });
      for (const taskId of result.lost) {
        this.runs.get(taskId)?.stop('lost');
        this.unhold(taskId);
      }
      const handBack: { leased: LeasedTask }[] = [];
      for (const { taskId } of result.stop) {
        this.runs.get(taskId)?.stop('cancel');
        const leased = this.unhold(taskId);
        if (leased) handBack.push({ leased });
      }
      if (handBack.length > 0) await this.release(handBack);
    } catch (error) {
      this.logger.warn({ err: error }, 'heartbeat failed; leases expire if the hub stays unreachable');
    }
  }
}

/** The span of one attempt at one task: its own trace, linked to the lease that handed it out (see engine/tracing.ts). */
function taskSpan(leased: LeasedTask, leaseSpan: Span): Span {
  const { task, job } = leased;
  return startSpan('switchyard.task', {
    kind: SpanKind.CONSUMER,
    root: true,
    links: isSpanContextValid(leaseSpan.spanContext()) ? [{ context: leaseSpan.spanContext() }] : undefined,
    attributes: {
      [ATTR.taskId]: task.id,
      [ATTR.taskType]: task.type,
      [ATTR.jobId]: job.id,
      [ATTR.workflow]: job.workflow,
      [ATTR.site]: task.site,
      [ATTR.attempt]: task.attempts,
    },
  });
}

/** Sends a batch in requests the worker protocol accepts (see report-limits.ts), one after another, in order. */
async function inChunks<T extends TaskActivity, R>(batch: T[], send: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const chunks = chunkBatch(batch);
  if (chunks.length === 1) return send(chunks[0]);
  const results: R[] = [];
  for (const chunk of chunks) results.push(...(await send(chunk)));
  return results;
}

/** Refuses counts and durations a worker cannot run with (0 threads, a NaN concurrency…), naming the option. */
function checkCounts(options: WorkerOptions): void {
  const counts = { concurrency: 1, leaseBatch: 1, threads: 1, threadTasks: 1, prefetch: 0 } as const;
  for (const [option, least] of Object.entries(counts)) {
    const value = options[option as keyof typeof counts];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= least)) {
      throw new TypeError(`worker option ${option} must be an integer of at least ${least}, not ${String(value)}`);
    }
  }
  for (const option of ['holdMs', 'heartbeatMs', 'pollWaitMs', 'threadIdleMs', 'threadMaxHeapMb'] as const) {
    const value = options[option];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      throw new TypeError(`worker option ${option} must be a number of at least 0, not ${String(value)}`);
  }
}

/**
 * Handler threads by default: one per core but one, which the worker's own thread needs (it
 * leases, reports and, in a hub, serves the API): a thread on that core only takes turns with
 * it. On 2 cores, no-op tasks at concurrency 10 and 50 ran 3,200 jobs/s in 1 thread and 2,300
 * in 2 (SQLite). With `threadTasks` alone, enough threads to run `concurrency` tasks at once.
 */
function defaultThreads(concurrency: number, threadTasks: number | undefined): number {
  if (threadTasks !== undefined) return Math.max(1, Math.ceil(concurrency / threadTasks));
  return Math.max(1, Math.min(concurrency, availableParallelism() - 1));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
