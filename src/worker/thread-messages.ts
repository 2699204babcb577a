import type { HandlerReturn, LeasedTask, TaskErrorInfo, TaskSignalKind } from '../model/index.js';
import type { ChangeReport, ItemReport, TaskSpec } from '../sdk/define-workflow.js';
import type { SiteInfo } from '../sdk/site-paths.js';

/** What a handler thread is told: run a task, abort one, or that a heartbeat it asked for is done. */
export type ToThread =
  | { type: 'run'; runId: number; module: string; leased: LeasedTask; site: SiteInfo }
  | { type: 'abort'; runId: number; reason: string }
  | { type: 'heartbeat-done'; runId: number; requestId: number };

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
  | { type: 'done'; runId: number; outcome: ThreadOutcome }
  /** `runId` is null when the fault happened outside any task's async context. */
  | { type: 'fault'; runId: number | null; kind: FaultKind; error: TaskErrorInfo; exitCode?: number };
