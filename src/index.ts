/**
 * The package entry: the workflow SDK, and a hub to embed in a Node application.
 *
 *   import { defineWorkflow, z, skip } from 'switchyard';
 *   import { createHub } from 'switchyard';
 */
import type { CreateHubOptions, Hub } from './hub/index.js';

export { z } from 'zod';
// Embedding: the hub's types here; createHub, at the end, loads the hub on its first call.
export type { Engine, SubmitRequest } from './engine/engine.js';
export type { HubEvent, HubEventName, HubEvents } from './engine/event-feed.js';
export type { JobListQuery } from './engine/read-verbs.js';
export type { CreateHubOptions, Hub, HubWorkerOptions } from './hub/index.js';
export type { Actor, ItemRecord, JobRecord, JobState, TaskRecord, TaskState } from './model/index.js';
export { SYSTEM_ACTOR } from './model/index.js';
export type { LockMode, LockSpec } from './model/resource-locks.js';
export type { HandlerReturn, Json } from './model/task-report.js';
export { fail, skip } from './model/task-signals.js';
export type {
  ChangeReport,
  CompensationHandler,
  CompensationSource,
  EnvelopeConfig,
  EnvelopeEntry,
  EnvelopeInput,
  EnvelopeType,
  ItemReport,
  PlanContext,
  SiteEntry,
  SiteInfo,
  SiteTransfer,
  TaskContext,
  TaskHandler,
  TaskSpec,
  TransferBlob,
  TransferGetOptions,
  TransferOptions,
  Workflow,
  WorkflowConfig,
} from './sdk/index.js';
export {
  defineEnvelope,
  defineWorkflow,
  EnvelopeInputError,
  entryBytes,
  isTransferPartial,
  isWorkflow,
  joinSitePath,
  resolveInSite,
  SITE_STATE_DIR,
  SitePathError,
  showPathBytes,
  walkSite,
  workflowModule,
} from './sdk/index.js';
export type { Isolation, Worker } from './worker/worker.js';

/**
 * Creates a hub (see hub/create-hub.ts). The hub's modules (HTTP server, stores, exports) load
 * on the first call, not with the package: a workflow module imports `switchyard` for
 * defineWorkflow, and every handler thread and remote worker that loads it would otherwise
 * load the whole hub (about a second, and its memory, per thread).
 */
export async function createHub(options?: CreateHubOptions): Promise<Hub> {
  const hub = await import('./hub/index.js');
  return hub.createHub(options);
}
