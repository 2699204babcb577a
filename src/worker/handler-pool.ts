import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Json, LeasedTask, TaskErrorInfo } from '../model/index.js';
import { ERROR_LIMITS, errorInfo, truncateText } from '../model/index.js';
import type { TaskContext } from '../sdk/define-workflow.js';
import type { Execution, ExecutionEnd, Staging } from './task-run.js';
import type { FromThread, ToThread } from './thread-messages.js';

export interface HandlerPoolOptions {
  /** Most threads alive at once. */
  threads: number;
  /** Most tasks one thread runs at once. */
  tasksPerThread: number;
  /** A thread with no task for this long ends. */
  idleMs?: number;
  /** A thread whose heap grows past this ends (its task fails) instead of the process running out of memory. */
  maxHeapMb?: number;
  logger: Logger;
}

type Ctx = TaskContext<Record<string, unknown>, Json>;

interface PoolRun {
  runId: number;
  taskId: number;
  ctx: Ctx;
  settle(end: ExecutionEnd): void;
  /** False while staged: sent to its thread to follow another run, not started yet. */
  started: boolean;
  /** A staged run follows it. */
  followed: boolean;
  /** Staged, and told to go (aborted or unstaged): nothing may be staged behind it any more. */
  leaving: boolean;
  /** Staged: the run it follows, when it was staged, and whom to tell once it starts. */
  staging: { after: number; at: number; started(): void } | null;
}

interface PoolThread {
  thread: Thread;
  runs: Map<number, PoolRun>;
  /** Takes no new task: a fault was seen in it, or it is ending. */
  retired: boolean;
  /** Runs one suspect task alone (see `suspects`). */
  exclusive: boolean;
  /** A fault in it was pinned on one of its tasks. */
  blamed: boolean;
  idleTimer: NodeJS.Timeout | null;
  /** Tasks given this thread that have not yet joined `runs`: counted so that tasks started in one turn do not crowd in past tasksPerThread. */
  claimed: number;
  /** Runs of `runs` that are staged (not started). */
  staged: number;
  /** Staged runs by the run they follow (which may have left `runs` already, blamed for a fault, its handler still going). */
  successors: Map<number, PoolRun>;
}

/**
 * Runs task handlers in `node:worker_threads` threads, so that what a handler does wrong stays
 * there: a throw from a timer, an unhandled rejection, `process.exit(n)` or a crash fails the
 * task that caused it, never the process hosting the worker, and a synchronous loop blocks its
 * thread, not the hub's API.
 *
 * Threads start when a task needs one, are reused across tasks, and end after `idleMs`
 * (default 30 s) without work. The Worker sizes the pool at one thread per core but one (at
 * least 1, at most its concurrency) and spreads its concurrency over them. Handlers are mostly
 * I/O-bound (copying, hashing streams) and share a thread's event loop well, while threads
 * beyond the core count only add memory (10–30 MB each with the workflow module loaded),
 * start-up time and wake-ups: on 2 cores, no-op tasks at concurrency 50 ran 3 times as fast
 * in 2 threads of 25 as in 7 threads of 8, and 1.4 times as fast again in 1 thread of 50,
 * the other core left to the worker. What one untraceable fault sends back to the queue
 * (below) is a thread's share of the concurrency; `threadTasks` bounds it where that matters.
 * Workflows whose handlers compute for long stretches should run on a worker with
 * `threadTasks: 1`, since a busy handler delays the tasks sharing its thread.
 *
 * Attribution: a fault is traced to its task by the async context it happened in
 * (AsyncLocalStorage in the thread), which finds the task for throws from timers, callbacks
 * and promise chains it started. That task fails with a readable error, and the thread is
 * retired: it takes no new task, its other tasks finish normally, and it ends. A fault that
 * cannot be traced (no async context, e.g. a throw from a queueMicrotask callback) fails the
 * task when it is the thread's only one; with several tasks, none can be blamed fairly, so the
 * thread is terminated and all of them are released to run again, their attempt not counted.
 * A thread that dies with several tasks (out of memory, an untraced process.exit) does the
 * same. Released tasks are remembered as suspects: when one comes back to this worker it runs
 * alone in a thread of its own, where its next fault is its own, so a faulty handler cannot
 * keep sending its neighbours back. A thread terminated because a task outlived its stop grace
 * releases the tasks it shared the thread with.
 */
export class HandlerPool {
  private readonly threads = new Set<PoolThread>();
  private readonly waiting: (() => void)[] = [];
  private readonly idleMs: number;
  private nextRun = 1;
  private closed = false;
  /**
   * Tasks released by a fault no task could be blamed for. When one comes back it runs alone
   * in a thread of its own, so that if it was the culprit its next fault is attributed and
   * fails it, instead of releasing its neighbours again and again.
   */
  private readonly suspects = new Set<number>();

  constructor(private readonly options: HandlerPoolOptions) {
    this.idleMs = options.idleMs ?? 30_000;
  }

  get size(): number {
    return this.threads.size;
  }

  /**
   * Runs `leased`'s handler from `moduleUrl` in a thread; `ctx` is the parent's context its
   * calls are forwarded to.
   *
   * With `staging`, the task is staged: sent to a thread now, to start there the moment one of
   * its running tasks ends, in that task's place (`staging.started` says when), so that the
   * thread does not wait for this event loop's turn between two tasks. Ask `canStage` first.
   * A staged task that is aborted, or unstaged (`unstageOlderThan`, `unstageAll`), before it
   * starts ends `released`: it never ran.
   */
  run(moduleUrl: string, leased: LeasedTask, ctx: Ctx, staging?: Staging): Execution {
    const runId = this.nextRun++;
    let owner: PoolThread | null = null;
    let settle: (end: ExecutionEnd) => void = () => {};
    const end = new Promise<ExecutionEnd>((resolve) => {
      settle = resolve;
    });
    const run: PoolRun = {
      runId,
      taskId: leased.task.id,
      ctx,
      settle: (value) => settle(value),
      started: true,
      followed: false,
      leaving: false,
      staging: null,
    };
    let killed = false;
    // Why it was told to stop, if it was: sent to its thread once, as soon as it has one.
    let abortReason: string | null = null;
    let abortSent = false;
    const sendAbort = () => {
      if (!owner || abortReason === null || abortSent) return;
      abortSent = true;
      this.giveUpOn(run);
      post(owner, { type: 'abort', runId, reason: abortReason });
    };
    const send = (slot: PoolThread, after?: number) => {
      owner = slot;
      slot.runs.set(runId, run);
      const { task } = leased;
      const slim = {
        id: task.id,
        workflow: task.workflow,
        type: task.type,
        key: task.key,
        site: task.site,
        input: task.input,
        attempts: task.attempts,
        maxAttempts: task.maxAttempts,
      };
      post(slot, {
        type: 'run',
        runId,
        module: moduleUrl,
        leased: { job: leased.job, task: slim, retryPaths: leased.retryPaths ?? null },
        site: ctx.site,
        after,
      });
      sendAbort();
    };
    const start = async () => {
      const slot = this.suspects.has(leased.task.id) ? (this.closed ? null : this.claim(this.spawn(true))) : await this.acquire();
      if (!slot) return run.settle({ kind: 'released', reason: 'the worker is stopping' });
      slot.claimed -= 1;
      this.suspects.delete(leased.task.id);
      if (killed) {
        // Given up on while it waited for a thread: it never starts.
        this.freed(slot);
        return;
      }
      send(slot);
    };
    const behind = staging && !this.suspects.has(leased.task.id) ? this.predecessor() : null;
    if (behind && staging) {
      behind.run.followed = true;
      run.started = false;
      run.staging = { after: behind.run.runId, at: Date.now(), started: staging.started };
      behind.slot.staged += 1;
      behind.slot.successors.set(behind.run.runId, run);
      send(behind.slot, behind.run.runId);
    } else {
      // Nothing to follow (canStage said otherwise a moment ago, or the task is a suspect): it starts as any other.
      staging?.started();
      void start();
    }
    return {
      end,
      abort: (reason) => {
        abortReason ??= reason;
        sendAbort();
      },
      kill: () => {
        killed = true;
        if (owner) this.kill(owner, runId);
      },
      killed: 'its thread was terminated',
    };
  }

  /** Whether a task can be staged now: some running task in a thread taking tasks has none staged behind it. */
  canStage(taskId: number): boolean {
    return !this.closed && !this.suspects.has(taskId) && this.predecessor() !== null;
  }

  /** Gives back staged tasks that have waited `ms` or more (the task they follow runs long): they end `released`. */
  unstageOlderThan(ms: number): void {
    const before = Date.now() - ms;
    for (const slot of this.threads) {
      if (slot.staged === 0) continue;
      for (const run of slot.runs.values()) {
        if (run.staging && run.staging.at <= before) {
          this.giveUpOn(run);
          post(slot, { type: 'unstage', runId: run.runId });
        }
      }
    }
  }

  /** Gives back every staged task (the worker is stopping): they end `released`. */
  unstageAll(): void {
    this.unstageOlderThan(-Infinity);
  }

  /**
   * A staged task about to be told to go: no task is staged behind it from now on. The thread
   * may drop it before this side hears so, and a task staged behind one it no longer knows
   * would start at once.
   */
  private giveUpOn(run: PoolRun): void {
    if (!run.started) run.leaving = true;
  }

  /**
   * A task that a staged one may follow: running or staged itself, in a thread taking tasks,
   * with none behind it yet, the oldest first.
   */
  private predecessor(): { slot: PoolThread; run: PoolRun } | null {
    for (const slot of this.threads) {
      if (slot.retired || slot.exclusive) continue;
      for (const run of slot.runs.values()) if (!run.followed && !run.leaving) return { slot, run };
    }
    return null;
  }

  /** Terminates every thread; tasks still in them are released. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all([...this.threads].map((slot) => this.end(slot, 'the worker is stopping')));
  }

  private async acquire(): Promise<PoolThread | null> {
    for (;;) {
      if (this.closed) return null;
      let best: PoolThread | null = null;
      for (const slot of this.threads) {
        if (!slot.retired && !slot.exclusive && load(slot) < this.options.tasksPerThread && (!best || load(slot) < load(best))) best = slot;
      }
      if (best && (load(best) === 0 || this.liveThreads() >= this.options.threads)) return this.claim(best);
      if (this.liveThreads() < this.options.threads) return this.claim(this.spawn());
      if (best) return this.claim(best);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private liveThreads(): number {
    let live = 0;
    for (const slot of this.threads) if (!slot.retired && !slot.exclusive) live += 1;
    return live;
  }

  private claim(slot: PoolThread): PoolThread {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    slot.claimed += 1;
    return slot;
  }

  private spawn(exclusive = false): PoolThread {
    const { entry, tsx } = threadEntry();
    const resourceLimits = this.options.maxHeapMb ? { maxOldGenerationSizeMb: this.options.maxHeapMb } : undefined;
    const thread = new Thread(BOOTSTRAP, { eval: true, workerData: { entry, tsx }, resourceLimits });
    // An exclusive thread is retired from the start: it ends with its one task.
    const slot: PoolThread = {
      thread,
      runs: new Map(),
      retired: exclusive,
      exclusive,
      blamed: false,
      idleTimer: null,
      claimed: 0,
      staged: 0,
      successors: new Map(),
    };
    this.threads.add(slot);
    thread.on('message', (message: FromThread) => this.receive(slot, message));
    thread.on('error', (error) => this.died(slot, `the handler's thread died: ${errorMessage(error)}`));
    thread.on('exit', (code) => this.died(slot, `the handler's thread exited with code ${code}`));
    return slot;
  }

  private receive(slot: PoolThread, message: FromThread): void {
    if (message.type === 'fault') {
      this.fault(slot, message);
      return;
    }
    // The task staged behind one that ended has started in its place (even if the one that
    // ended had been blamed for a fault and left `runs` already).
    if (message.type === 'done') this.startSuccessor(slot, message.runId);
    const run = slot.runs.get(message.runId);
    if (!run) return;
    try {
      this.forward(slot, run, message);
    } catch (error) {
      // This runs on the host's event loop: nothing a thread sends may throw here.
      this.options.logger.warn({ err: error, type: message.type }, 'could not pass on a message from a handler thread');
    }
  }

  private forward(slot: PoolThread, run: PoolRun, message: Exclude<FromThread, { type: 'fault' }>): void {
    if (message.type === 'log') run.ctx.log(message.line);
    else if (message.type === 'progress') run.ctx.progress(message.done, message.total);
    else if (message.type === 'item') run.ctx.item(message.path, message.report);
    else if (message.type === 'change') run.ctx.change(message.path, message.report);
    else if (message.type === 'spawn')
      run.ctx.spawn(message.tasks); // checked in the thread already, against the same workflow
    else if (message.type === 'transfer') this.transfer(slot, run, message);
    else if (message.type === 'heartbeat') {
      void run.ctx
        .heartbeat()
        .catch(() => {})
        .finally(() => post(slot, { type: 'heartbeat-done', runId: message.runId, requestId: message.requestId }));
    } else if (message.type === 'unstarted') {
      slot.runs.delete(message.runId);
      // The task staged behind it, if any, follows the one it followed instead (as in the thread).
      const behind = slot.successors.get(run.runId);
      const after = run.staging?.after;
      this.unstaged(slot, run);
      if (behind?.staging && after !== undefined) {
        slot.successors.delete(run.runId);
        slot.successors.set(after, behind);
        behind.staging.after = after;
        const before = slot.runs.get(after);
        if (before) before.followed = true;
      }
      run.settle({ kind: 'released', reason: 'released: it was staged in a thread and given back before it started' });
    } else {
      slot.runs.delete(message.runId);
      run.settle({ kind: 'outcome', outcome: message.outcome });
      this.freed(slot);
    }
  }

  private startSuccessor(slot: PoolThread, runId: number): void {
    const next = slot.successors.get(runId);
    if (!next?.staging) return;
    const { started } = next.staging;
    this.unstaged(slot, next);
    next.started = true;
    started();
  }

  /** `run` is staged no more: it started, or it never will. */
  private unstaged(slot: PoolThread, run: PoolRun): void {
    if (!run.staging) return;
    const before = slot.runs.get(run.staging.after);
    if (before) before.followed = false;
    slot.successors.delete(run.staging.after);
    slot.staged -= 1;
    run.staging = null;
  }

  /** Makes a thread's `ctx.transfer` call here, with the run's own context (its port, its signal), and answers it. */
  private transfer(slot: PoolThread, run: PoolRun, message: Extract<FromThread, { type: 'transfer' }>): void {
    const { runId, requestId, call } = message;
    const onProgress = message.progress ? (bytes: number) => post(slot, { type: 'transfer-progress', runId, requestId, bytes }) : undefined;
    const asPath = (path: string | Uint8Array) => (typeof path === 'string' ? path : Buffer.from(path.buffer, path.byteOffset, path.byteLength));
    const transfer = run.ctx.transfer;
    const made =
      call.op === 'put'
        ? transfer.put(asPath(call.path), { onProgress })
        : call.op === 'putData'
          ? transfer.putData(call.data)
          : transfer.get(call.blob, asPath(call.destination), { mtimeMs: call.mtimeMs, onProgress });
    void made.then(
      (value) => post(slot, { type: 'transfer-done', runId, requestId, ok: true, value }),
      (error: unknown) => {
        const info = errorInfo(error);
        const code = (error as { code?: unknown })?.code;
        post(slot, { type: 'transfer-done', runId, requestId, ok: false, error: { ...info, ...(typeof code === 'string' ? { code } : {}) } });
      },
    );
  }

  private fault(slot: PoolThread, message: Extract<FromThread, { type: 'fault' }>): void {
    const error = describeFault(message);
    const started = [...slot.runs.values()].filter((run) => run.started);
    const culprit = message.runId !== null ? slot.runs.get(message.runId) : started.length === 1 ? started[0] : undefined;
    slot.retired = true;
    if (culprit) {
      slot.runs.delete(culprit.runId);
      slot.blamed = true;
      culprit.settle({ kind: 'fault', error });
    } else if (message.runId !== null) {
      this.options.logger.warn({ err: error }, 'a handler faulted after its task had ended; replacing its thread');
    } else if (started.length > 1) {
      this.options.logger.warn(
        { err: error, tasks: started.length },
        'a handler thread faulted and the fault names no task; its tasks are released to run again',
      );
      for (const run of started) this.suspects.add(run.taskId);
      void this.end(slot, `released: another task in its thread faulted (${error.message.slice(0, 200)})`);
      return;
    }
    this.freed(slot);
  }

  /** Ends the thread a run is in (its stop grace is over); the thread's other tasks are released. */
  private kill(slot: PoolThread, runId: number): void {
    slot.runs.delete(runId);
    void this.end(slot, 'released: a task sharing its thread had to be terminated');
  }

  private async end(slot: PoolThread, reason: string): Promise<void> {
    slot.retired = true;
    for (const run of slot.runs.values()) run.settle({ kind: 'released', reason });
    slot.runs.clear();
    slot.successors.clear();
    slot.staged = 0;
    await slot.thread.terminate();
  }

  private died(slot: PoolThread, reason: string): void {
    if (!this.threads.delete(slot)) return;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const all = [...slot.runs.values()];
    slot.runs.clear();
    slot.successors.clear();
    slot.staged = 0;
    // Staged tasks never started: they are given back, suspected of nothing.
    for (const run of all) if (!run.started) run.settle({ kind: 'released', reason: `released: it was staged in a thread that ended (${reason})` });
    const runs = all.filter((run) => run.started);
    if (slot.blamed) {
      // It died of a fault already pinned on a task (process.exit): the others did nothing.
      for (const run of runs) run.settle({ kind: 'released', reason: `released: a task sharing its thread ended it (${reason})` });
    } else if (runs.length === 1) {
      runs[0].settle({ kind: 'fault', error: { name: 'Error', message: reason } });
    } else {
      for (const run of runs) {
        this.suspects.add(run.taskId);
        run.settle({ kind: 'released', reason });
      }
    }
    this.waiting.shift()?.();
  }

  /** A task left `slot`: a retired thread with nothing left ends; an idle one ends after idleMs. */
  private freed(slot: PoolThread): void {
    if (load(slot) === 0) {
      if (slot.retired) void slot.thread.terminate();
      else slot.idleTimer ??= setTimeout(() => void this.end(slot, 'idle'), this.idleMs).unref();
    }
    this.waiting.shift()?.();
  }
}

/**
 * The thread starts from this script: it registers tsx when running from TypeScript sources
 * (tests, `tsx`), then imports handler-thread. `eval` keeps it one file that works from
 * src/ and dist/ alike.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((error) => setImmediate(() => { throw error; }));
`;

let entryCache: { entry: string; tsx: string | null } | null = null;

function threadEntry(): { entry: string; tsx: string | null } {
  if (!entryCache) {
    const built = new URL('./handler-thread.js', import.meta.url);
    if (existsSync(built)) entryCache = { entry: built.href, tsx: null };
    else {
      const tsxApi = createRequire(import.meta.url)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs');
      entryCache = { entry: new URL('./handler-thread.ts', import.meta.url).href, tsx: pathToFileURL(tsxApi).href };
    }
  }
  return entryCache;
}

function describeFault(message: Extract<FromThread, { type: 'fault' }>): TaskErrorInfo {
  const prefix =
    message.kind === 'uncaught'
      ? 'handler threw from a timer or callback: '
      : message.kind === 'unhandled-rejection'
        ? 'handler left a promise rejection unhandled: '
        : '';
  return { ...message.error, message: truncateText(prefix + message.error.message, ERROR_LIMITS.message) };
}

/** The tasks a thread runs or is about to (not counting staged ones, which wait for a running one to end). */
function load(slot: PoolThread): number {
  return slot.runs.size - slot.staged + slot.claimed;
}

function post(slot: PoolThread, message: ToThread): void {
  slot.thread.postMessage(message);
}

function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
