/**
 * The entry point of a handler thread (see HandlerPool). It imports workflow modules by URL,
 * runs the handlers it is sent with a `ctx` whose calls become messages to the parent, and
 * turns every way a handler can break the thread — a throw from a timer, an unhandled
 * rejection, process.exit() — into a fault message naming the task that caused it, found by
 * the async context the fault happened in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { errorInfo, signalKind } from '../model/index.js';
import type { TaskContext, Workflow } from '../sdk/define-workflow.js';
import { isWorkflow, taskHandler } from '../sdk/define-workflow.js';
import { loadWorkflows } from '../sdk/load-workflows.js';
import type { SiteInfo } from '../sdk/site-paths.js';
import type { TransferBlob } from '../sdk/transfer.js';
import { boundChange, boundLogLine, checkItemOutcome } from './report-limits.js';
import { toNewTaskSpec } from './task-run.js';
import type { FaultKind, FromThread, ThreadOutcome, ThreadTask, ToThread, TransferCall } from './thread-messages.js';

const port = parentPort;
if (!port) throw new Error('handler-thread.ts runs in a worker thread only');

const currentRun = new AsyncLocalStorage<number>();
const controllers = new Map<number, AbortController>();
const heartbeats = new Map<number, () => void>();
const transfers = new Map<number, { resolve(value: TransferBlob): void; reject(error: Error): void; onProgress?: (bytes: number) => void }>();
const modules = new Map<string, Promise<Workflow[]>>();
let nextRequest = 1;

const post = (message: FromThread) => port.postMessage(message);

function fault(kind: FaultKind, error: ReturnType<typeof errorInfo>, exitCode?: number): void {
  post({ type: 'fault', runId: currentRun.getStore() ?? null, kind, error, exitCode });
}

process.on('uncaughtException', (error) => fault('uncaught', errorInfo(error)));
process.on('unhandledRejection', (reason) => fault('unhandled-rejection', errorInfo(reason)));
// In a worker thread process.exit() ends only the thread; say which task called it first.
const exit = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  const exitCode = Number(code ?? process.exitCode ?? 0) || 0;
  fault('exit', { message: `handler called process.exit(${exitCode})` }, exitCode);
  exit(exitCode);
}) as typeof process.exit;

type RunMessage = Extract<ToThread, { type: 'run' }>;
/** Staged tasks by the run they follow, and which run each follows. */
const staged = new Map<number, RunMessage>();
const stagedAfter = new Map<number, number>();

/**
 * Drops a staged task that has not started yet; false if there is none (it has started, or was
 * never staged). The task staged behind it follows the one it followed instead.
 */
function unstage(runId: number): boolean {
  const after = stagedAfter.get(runId);
  if (after === undefined) return false;
  stagedAfter.delete(runId);
  staged.delete(after);
  const behind = staged.get(runId);
  if (behind) {
    staged.delete(runId);
    staged.set(after, behind);
    stagedAfter.set(behind.runId, after);
  }
  post({ type: 'unstarted', runId });
  return true;
}

port.on('message', (message: ToThread) => {
  if (message.type === 'run') {
    // It follows a running task, or one staged itself.
    if (message.after !== undefined && (controllers.has(message.after) || stagedAfter.has(message.after))) {
      staged.set(message.after, message);
      stagedAfter.set(message.runId, message.after);
    } else void run(message);
  } else if (message.type === 'abort') {
    if (!unstage(message.runId)) controllers.get(message.runId)?.abort(new Error(message.reason));
  } else if (message.type === 'unstage') unstage(message.runId);
  else if (message.type === 'heartbeat-done') heartbeats.get(message.requestId)?.();
  else if (message.type === 'transfer-progress') transfers.get(message.requestId)?.onProgress?.(message.bytes);
  else {
    const pending = transfers.get(message.requestId);
    transfers.delete(message.requestId);
    if (!pending) return;
    if (message.ok) pending.resolve(message.value);
    else pending.reject(Object.assign(new Error(message.error.message), { name: message.error.name ?? 'Error', code: message.error.code }));
  }
});

/** Asks the worker's main side to make a `ctx.transfer` call (the I/O happens there, over its port to the hub). */
function transferCall(runId: number, call: TransferCall, onProgress?: (bytes: number) => void): Promise<TransferBlob> {
  return new Promise((resolve, reject) => {
    const requestId = nextRequest++;
    transfers.set(requestId, { resolve, reject, onProgress });
    post({ type: 'transfer', runId, requestId, call, progress: onProgress !== undefined });
  });
}

function workflowsOf(moduleUrl: string): Promise<Workflow[]> {
  let loaded = modules.get(moduleUrl);
  if (!loaded) {
    loaded = moduleUrl.startsWith('file:')
      ? loadWorkflows(fileURLToPath(moduleUrl))
      : import(moduleUrl).then((module: Record<string, unknown>) => Object.values(module).filter(isWorkflow));
    modules.set(moduleUrl, loaded);
  }
  return loaded;
}

async function run({ runId, module: moduleUrl, leased, site }: RunMessage): Promise<void> {
  const controller = new AbortController();
  controllers.set(runId, controller);
  const outcome = await currentRun.run(runId, async (): Promise<ThreadOutcome> => {
    try {
      const workflow = (await workflowsOf(moduleUrl)).find((candidate) => candidate.name === leased.task.workflow);
      if (!workflow) throw new Error(`${moduleUrl} exports no workflow named "${leased.task.workflow}"`);
      const handler = taskHandler(workflow, leased.task.type);
      if (!handler) throw new Error(`workflow "${workflow.name}" has no handler for task type "${leased.task.type}"`);
      return { ok: true, value: await handler(context(runId, leased, site, workflow, controller.signal)) };
    } catch (thrown) {
      return { ok: false, error: errorInfo(thrown), signal: signalKind(thrown) };
    }
  });
  controllers.delete(runId);
  try {
    post({ type: 'done', runId, outcome });
  } catch (error) {
    const message = `the task's result cannot be sent from its thread (it must be JSON): ${errorInfo(error).message}`;
    post({ type: 'done', runId, outcome: { ok: false, error: { name: 'DataCloneError', message }, signal: 'fail' } });
  }
  // The task staged behind this one takes its place now, without waiting for the worker's turn.
  const next = staged.get(runId);
  if (next) {
    staged.delete(runId);
    stagedAfter.delete(next.runId);
    void run(next);
  }
}

function context(runId: number, leased: ThreadTask, site: SiteInfo, workflow: Workflow, signal: AbortSignal): TaskContext<Record<string, unknown>> {
  const { task, job } = leased;
  return {
    job,
    task: {
      id: task.id,
      type: task.type,
      key: task.key,
      site: task.site,
      input: task.input,
      attempt: task.attempts,
      maxAttempts: task.maxAttempts,
      retryPaths: leased.retryPaths,
    },
    site,
    signal,
    log: (line) => post({ type: 'log', runId, line: boundLogLine(String(line)) }),
    progress: (done, total) => post({ type: 'progress', runId, done: Number(done), total: Number(total) }),
    item: (path, report) => {
      // Checked here, so that a wrong outcome throws to the handler, as in-process.
      checkItemOutcome(report?.outcome);
      post({
        type: 'item',
        runId,
        path: String(path),
        report: {
          operation: String(report.operation),
          outcome: report.outcome,
          bytes: report.bytes,
          error: report.error == null ? undefined : String(report.error),
        },
      });
    },
    change: (path, report) => {
      // Bounded here, so a 64 MiB text is dropped in the thread rather than copied to the parent;
      // a wrong kind throws to the handler, as in-process.
      const bounded = boundChange(path, report);
      const { change, sizeBefore, sizeAfter, textBefore, textAfter, textOmitted } = bounded;
      post({
        type: 'change',
        runId,
        path: bounded.path,
        report: {
          change,
          ...(sizeBefore != null ? { sizeBefore } : {}),
          ...(sizeAfter != null ? { sizeAfter } : {}),
          ...(textBefore != null ? { textBefore } : {}),
          ...(textAfter != null ? { textAfter } : {}),
          ...(textOmitted ? { textOmitted: true } : {}),
        },
      });
    },
    spawn: (tasks) => {
      const specs = (Array.isArray(tasks) ? tasks : [tasks]).map((spec) => {
        if (!(spec?.type in workflow.tasks)) throw new TypeError(`spawn: workflow "${workflow.name}" has no handler for task type "${spec?.type}"`);
        const { type, input, key, after, site } = toNewTaskSpec(spec);
        return { type, input, key: key ?? undefined, after, ...(site ? { site } : {}) };
      });
      post({ type: 'spawn', runId, tasks: specs });
    },
    transfer: {
      put: (path, options) => transferCall(runId, { op: 'put', path }, options?.onProgress),
      putData: (data) => transferCall(runId, { op: 'putData', data }),
      get: (blob, destination, options) =>
        transferCall(
          runId,
          { op: 'get', blob: { sha256: String(blob?.sha256), size: Number(blob?.size) }, destination, mtimeMs: options?.mtimeMs },
          options?.onProgress,
        ),
    },
    heartbeat: () =>
      new Promise<void>((resolve) => {
        const requestId = nextRequest++;
        heartbeats.set(requestId, () => {
          heartbeats.delete(requestId);
          resolve();
        });
        post({ type: 'heartbeat', runId, requestId });
      }),
  };
}
