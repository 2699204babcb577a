import type { HandlerReturn, LeasedTask, TaskErrorInfo, TaskSignalKind } from '../model/index.js';
import type { ChangeReport, ItemReport, TaskSpec } from '../sdk/define-workflow.js';
import type { SiteInfo } from '../sdk/site-paths.js';
import type { TransferBlob } from '../sdk/transfer.js';

/** What a thread needs of a leased task to run its handler; the rest of the record stays with the worker (less to copy). */
export interface ThreadTask {
  job: LeasedTask['job'];
  task: Pick<LeasedTask['task'], 'id' | 'workflow' | 'type' | 'key' | 'site' | 'input' | 'attempts' | 'maxAttempts'>;
  retryPaths: string[] | null;
}

/** What a handler thread is told: run a task, abort one, or that a heartbeat it asked for is done. */
export type ToThread =
  /**
   * Run a task; with `after`, once the run `after` of this thread has ended (at once if it
   * has already): a staged task, which takes that run's place without the worker's turn in
   * between (see HandlerPool.run).
   */
  | { type: 'run'; runId: number; module: string; leased: ThreadTask; site: SiteInfo; after?: number }
  | { type: 'abort'; runId: number; reason: string }
  /** Drop a staged task that has not started: it is answered `unstarted`. */
  | { type: 'unstage'; runId: number }
  | { type: 'heartbeat-done'; runId: number; requestId: number }
  /** A `ctx.transfer` call ended: its answer, or what it threw (described). */
  | { type: 'transfer-done'; runId: number; requestId: number; ok: true; value: TransferBlob }
  | { type: 'transfer-done'; runId: number; requestId: number; ok: false; error: TaskErrorInfo & { code?: string } }
  | { type: 'transfer-progress'; runId: number; requestId: number; bytes: number };

/** A `ctx.transfer` call the thread asks the worker's main side to make (it does the I/O there, over the worker's port). */
export type TransferCall =
  | { op: 'put'; path: string | Uint8Array }
  | { op: 'putData'; data: Uint8Array | string }
  | { op: 'get'; blob: TransferBlob; destination: string | Uint8Array; mtimeMs?: number };

/** How a handler ended, as it crosses from the thread: what it threw is already described. */
export type ThreadOutcome = { ok: true; value: HandlerReturn } | { ok: false; error: TaskErrorInfo; signal: TaskSignalKind | null };

/** Why a thread's task cannot go on: the thread is replaced after any of these. */
export type FaultKind = 'uncaught' | 'unhandled-rejection' | 'exit';

/** What a handler thread says: the `ctx` calls of a running handler, its end, or a fault. */
export type FromThread =
  | { type: 'log'; runId: number; line: string }
  | { type: 'progress'; runId: number; done: number; total: number }
  | { type: 'item'; runId: number; path: string; report: ItemReport }
  /** Already bounded in the thread; `textOmitted` says texts were dropped there. */
  | { type: 'change'; runId: number; path: string; report: ChangeReport & { textOmitted?: boolean } }
  | { type: 'spawn'; runId: number; tasks: TaskSpec[] }
  | { type: 'heartbeat'; runId: number; requestId: number }
  | { type: 'transfer'; runId: number; requestId: number; call: TransferCall; progress: boolean }
  | { type: 'done'; runId: number; outcome: ThreadOutcome }
  /** A staged task was dropped before it started (aborted or unstaged): it never ran. */
  | { type: 'unstarted'; runId: number }
  /** `runId` is null when the fault happened outside any task's async context. */
  | { type: 'fault'; runId: number | null; kind: FaultKind; error: TaskErrorInfo; exitCode?: number };
