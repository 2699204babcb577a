/**
 * The TypeScript client: talk to a hub over its REST API, or run a worker inside another
 * program.
 *
 *   import { createClient, createWorker } from 'switchyard/client';
 */
import type { Logger } from 'pino';
import type { Workflow } from '../sdk/define-workflow.js';
import { WorkflowRegistry } from '../sdk/workflow-registry.js';
import { type Isolation, Worker } from '../worker/worker.js';
import { createClient } from './client.js';
import { HttpWorkerPort } from './http-worker-port.js';

export type { Isolation, Worker } from '../worker/worker.js';
export type {
  ChangePage,
  ClientOptions,
  Envelope,
  EnvelopeDetail,
  ItemStats,
  Job,
  JobChange,
  JobChangeDetail,
  JobComparison,
  JobFilters,
  Page,
  SubmitEnvelope,
  SubmitJob,
  SwitchyardClient,
  UploadEnvelope,
  WorkflowInfo,
} from './client.js';
export { createClient, HubError } from './client.js';
export { HttpWorkerPort } from './http-worker-port.js';

export interface CreateWorkerOptions {
  /** The hub, e.g. http://hub.example:4680 */
  hub: string;
  /** A token of role `worker` (or admin) allowed at `site`. */
  token: string;
  site: string;
  /** The directory the site's files live in (`ctx.site.root`); data workflows act only inside it. */
  root?: string;
  workflows: Workflow[];
  name?: string;
  concurrency?: number;
  logger?: Logger;
  /** Where handlers run: a pool of worker threads (default; a crashing handler fails only its task) or this thread. */
  isolation?: Isolation;
  /** Threads in the pool (default: one per core but one, at least 1, at most `concurrency`; with `threadTasks` alone, as many as `concurrency` needs). */
  threads?: number;
  /** Tasks one thread runs at once (default: `concurrency` spread over the threads; 1 for CPU-heavy handlers). */
  threadTasks?: number;
}

/** A worker that pulls tasks for `site` from a remote hub. Call `start()`, and `stop()` to drain. */
export function createWorker(options: CreateWorkerOptions): Worker {
  const client = createClient({ url: options.hub, token: options.token });
  return new Worker({
    port: new HttpWorkerPort(client),
    workflows: new WorkflowRegistry(options.workflows),
    site: options.site,
    root: options.root,
    name: options.name,
    concurrency: options.concurrency,
    logger: options.logger,
    isolation: options.isolation,
    threads: options.threads,
    threadTasks: options.threadTasks,
    // Remote workers wait longer per lease call: fewer idle round trips over the network.
    pollWaitMs: 20_000,
  });
}
