import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import pino, { type Logger } from 'pino';
import { apiPlugin } from '../api/plugin.js';
import { buildServer } from '../api/server.js';
import type { Engine, SubmitRequest } from '../engine/engine.js';
import type { HubEventName, HubEvents } from '../engine/event-feed.js';
import type { NotifierOptions } from '../engine/notifier.js';
import { openEngine } from '../engine/open-engine.js';
import type { JobListQuery } from '../engine/read-verbs.js';
import { type Actor, type ItemRecord, isTerminalJobState, type JobRecord, SYSTEM_ACTOR, type TaskRecord } from '../model/index.js';
import type { EnvelopeType } from '../sdk/define-envelope.js';
import type { Workflow } from '../sdk/define-workflow.js';
import { WorkflowRegistry } from '../sdk/workflow-registry.js';
import { type Isolation, Worker } from '../worker/worker.js';
import { findWebRoot } from './web-root.js';

export interface CreateHubOptions {
  /**
   * Where jobs are kept: a PostgreSQL URL (`postgres://…`), an SQLite file path, or `':memory:'`
   * (gone when the process ends). Default: `switchyard.db` in `dataDir`.
   */
  db?: string | null;
  /** Where the default SQLite file lives (created owner-only); default `.switchyard`. */
  dataDir?: string;
  /** The workflows this hub knows; default the built-in ones (`checksum-tree`, `simulate`). Envelope types (`defineEnvelope`) may be listed alongside. */
  workflows?: (Workflow | EnvelopeType)[];
  /** The site jobs go to when none is named, and where `startWorker()` works; default `local`. */
  defaultSite?: string;
  /** How long a task lease lasts without a heartbeat (default 30 s). */
  leaseMs?: number;
  /**
   * Create the `admin` user for the console on first start: with this password, or a random
   * one (answered once in `generatedAdminPassword`) when null. Default: no user is created.
   */
  adminPassword?: string | null;
  /** Serve the console with the API (default: yes, when the package's console is built). */
  console?: boolean;
  /** Run background duties (lease expiry, job timeouts); tests may drive them by hand. Default true. */
  runDuties?: boolean;
  /** A clock for the engine (tests); default Date.now. */
  clock?: () => number;
  logger?: Logger;
  /** Shown by /health and in the OpenAPI document. */
  version?: string;
  /**
   * Notifications: SMTP server, from-address and the console's public URL for links. Read by
   * the notifier at each round, so `publicUrl` may be filled in once the hub listens.
   */
  notifier?: NotifierOptions;
  /** Finished jobs (and events) older than this are pruned in the background; absent: kept forever. */
  retainMs?: number;
}

export interface HubWorkerOptions {
  /** Most tasks run at once (default 8). */
  concurrency?: number;
  /** The site it works at (default: the hub's default site). */
  site?: string;
  /** The directory it serves its site from (`ctx.site.root`; see WorkerOptions.root). */
  root?: string;
  /** `thread` (default: handlers in worker threads) or `in-process`. */
  isolation?: Isolation;
  /** A stable id: a restarted hub settles what a worker of the same id left running. Random by default. */
  id?: string;
  name?: string;
  host?: string;
  /** How long one lease call waits for work when there is none (default 30 s). */
  pollWaitMs?: number;
  /** How often running tasks' leases are renewed. */
  heartbeatMs?: number;
  /** Most tasks held beyond the free slots (default: the lease batch; 0 leases only for free slots). See WorkerOptions. */
  prefetch?: number;
}

/**
 * A Switchyard hub inside a Node application. Verbs act as the system (an all-sites admin)
 * unless an actor is given; each is the engine's own verb, access-checked and audited.
 */
export interface Hub {
  /** The engine: every verb, for what this facade does not cover. */
  readonly engine: Engine;
  /** A Fastify plugin serving health, the REST API (/api/v1), /metrics and the console: `app.register(hub.plugin, { prefix: '/ops' })`. */
  readonly plugin: FastifyPluginAsync;
  /**
   * The same routes as `plugin` for a Node `http` server or an Express/Connect app:
   * `http.createServer(hub.handler)`, or `app.use('/ops', hub.handler)` (Express's mount path,
   * `req.baseUrl`, becomes the prefix, so the console knows where it lives). It answers every
   * request it is given, with the hub's 404 for paths it does not know.
   */
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** Set when `adminPassword: null` made the admin user with a random password: shown once. */
  readonly generatedAdminPassword: string | null;
  /** Calls `listener` for each such event after the store accepted it; answers the function that unsubscribes. */
  on<K extends HubEventName>(name: K, listener: (event: HubEvents[K]) => void): () => void;
  /** Submits a job; answers it as created (or the earlier one, for a repeated idempotency key). */
  submit(request: SubmitRequest, actor?: Actor): Promise<JobRecord>;
  /** One job (SWY_ERR_JOB_NOT_FOUND when absent or at a site the actor may not see). */
  job(id: number, actor?: Actor): Promise<JobRecord>;
  /** A page of jobs, newest first unless `sort` says otherwise (default limit 50). */
  jobs(query?: Partial<JobListQuery>, actor?: Actor): Promise<{ items: JobRecord[]; nextCursor: string | null }>;
  /** Pause, resume, cancel or retry a job. */
  control(id: number, action: 'pause' | 'resume' | 'cancel' | 'retry', actor?: Actor): Promise<JobRecord>;
  /** Every task of a job, in order. */
  tasks(jobId: number, actor?: Actor): Promise<TaskRecord[]>;
  /** Every item a job's tasks recorded, in order. */
  items(jobId: number, actor?: Actor): Promise<ItemRecord[]>;
  /** How many jobs are not finished (waiting, running, paused…). */
  openJobs(actor?: Actor): Promise<number>;
  /** Resolves with the job once it is finished (or `until` holds); rejects after `timeoutMs` (default 60 s). */
  waitForJob(id: number, options?: { timeoutMs?: number; until?: (job: JobRecord) => boolean }): Promise<JobRecord>;
  /** Starts a worker in this process that runs the hub's workflows. `close()` stops it. */
  startWorker(options?: HubWorkerOptions): Promise<Worker>;
  /** Serves the hub on its own HTTP server (standalone use); answers its URL. */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** The server `listen` started, if any. */
  readonly server: FastifyInstance | null;
  /** Serves /metrics without authentication on its own port (default host 127.0.0.1); answers its URL. */
  listenMetrics(options: { port: number; host?: string }): Promise<string>;
  /** Stops workers (letting running tasks finish for `graceMs`, default 10 s), the servers and the engine, then closes the store. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Creates a hub: the store (migrated), the engine and its duties; nothing listens and no
 * worker runs until asked (`listen`, `plugin`, `startWorker`).
 *
 *   const hub = await createHub({ db: ':memory:', workflows: [myWorkflow] });
 *   await app.register(hub.plugin, { prefix: '/ops' });
 *   await hub.startWorker();
 *   hub.on('job:finished', (event) => console.log(event.jobId, event.state));
 */
export async function createHub(options: CreateHubOptions = {}): Promise<Hub> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const db = options.db ?? null;
  const postgres = db !== null && /^postgres(ql)?:\/\//.test(db);
  const dataDir = options.dataDir ?? '.switchyard';
  if (!db) ensurePrivateDir(dataDir);
  // Imported on demand: the built-in workflows import the package entry, which exports createHub.
  const workflows = new WorkflowRegistry(options.workflows ?? (await import('../workflows/index.js')).builtInWorkflows);
  const engine = await openEngine({
    db: postgres ? db : null,
    dataDir,
    sqliteFile: !postgres && db ? db : undefined,
    workflows,
    logger,
    defaultSite: options.defaultSite,
    leaseMs: options.leaseMs,
    runDuties: options.runDuties,
    clock: options.clock,
    notifier: options.notifier,
    retainMs: options.retainMs,
  });
  let generatedAdminPassword: string | null = null;
  if (options.adminPassword !== undefined) {
    try {
      generatedAdminPassword = await engine.auth.bootstrapAdmin(options.adminPassword);
    } catch (error) {
      await engine.close();
      throw error;
    }
  }

  const webRoot = options.console === false ? null : findWebRoot();
  const plugin = apiPlugin({ engine, webRoot, version: options.version });
  const workers: Worker[] = [];
  // Hub.handler: one Fastify instance (without a server of its own) per mount prefix seen.
  const handlers = new Map<string, Promise<{ fastify: FastifyInstance; route: NodeHandler }>>();
  const handlerFor = (prefix: string) => {
    let entry = handlers.get(prefix);
    if (!entry) {
      entry = (async () => {
        let route: NodeHandler | null = null;
        const fastify = await buildServer({
          engine,
          webRoot,
          logger: options.logger ?? false,
          version: options.version,
          prefix,
          serverFactory: (handler) => {
            route = handler;
            return createServer();
          },
        });
        await fastify.ready();
        if (!route) throw new Error('the hub handler was not set up');
        return { fastify, route };
      })();
      handlers.set(prefix, entry);
    }
    return entry;
  };
  let server: FastifyInstance | null = null;
  let metricsServer: Server | null = null;
  let closing: Promise<void> | null = null;
  const pageSize = 500;

  const hub: Hub = {
    engine,
    plugin,
    generatedAdminPassword,
    get server() {
      return server;
    },
    handler(request, response) {
      // Express strips its mount path from `url` and keeps it in `baseUrl`: put it back and serve under it.
      const prefix = ((request as { baseUrl?: unknown }).baseUrl as string | undefined) || '';
      if (prefix) request.url = `${prefix}${request.url === '/' ? '/' : request.url}`;
      handlerFor(prefix).then(
        ({ route }) => route(request, response),
        (error: unknown) => {
          logger.error({ err: error }, 'the hub handler could not start');
          if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: { code: 'SWY_ERR_INTERNAL', message: 'The hub could not start its HTTP handler' } }));
        },
      );
    },
    on: (name, listener) => engine.events.on(name, listener),
    async submit(request, actor = SYSTEM_ACTOR) {
      return (await engine.submit(request, actor)).job;
    },
    job: (id, actor = SYSTEM_ACTOR) => engine.reads.job(id, actor),
    jobs: (query = {}, actor = SYSTEM_ACTOR) => engine.reads.listJobs({ limit: 50, ...query }, actor),
    control: (id, action, actor = SYSTEM_ACTOR) => (action === 'retry' ? engine.retry(id, actor) : engine.control(id, action, actor)),
    async tasks(jobId, actor = SYSTEM_ACTOR) {
      const all: TaskRecord[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: TaskRecord[]; nextCursor: string | null } = await engine.reads.tasks(jobId, { limit: pageSize, cursor }, actor);
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },
    async items(jobId, actor = SYSTEM_ACTOR) {
      const all: ItemRecord[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: ItemRecord[]; nextCursor: string | null } = await engine.reads.items(jobId, { limit: pageSize, cursor }, actor);
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },
    async openJobs(actor = SYSTEM_ACTOR) {
      return (await engine.reads.openJobs(actor)).reduce((sum, row) => sum + row.count, 0);
    },
    waitForJob: (id, waitOptions = {}) =>
      waitForJob(engine, id, waitOptions.until ?? ((job) => isTerminalJobState(job.state)), waitOptions.timeoutMs ?? 60_000),
    async startWorker(workerOptions = {}) {
      const worker = new Worker({
        port: engine,
        workflows,
        site: workerOptions.site ?? engine.defaultSite,
        root: workerOptions.root,
        id: workerOptions.id,
        name: workerOptions.name ?? 'embedded',
        host: workerOptions.host ?? 'in-process',
        concurrency: workerOptions.concurrency ?? 8,
        isolation: workerOptions.isolation,
        pollWaitMs: workerOptions.pollWaitMs,
        heartbeatMs: workerOptions.heartbeatMs,
        prefetch: workerOptions.prefetch,
        logger,
      });
      await worker.start();
      workers.push(worker);
      return worker;
    },
    async listen(listenOptions = {}) {
      server ??= await buildServer({ engine, webRoot, logger: options.logger ?? false, version: options.version });
      await server.listen({ host: listenOptions.host ?? '127.0.0.1', port: listenOptions.port ?? 4680 });
      return urlOf(server.server.address(), listenOptions.host);
    },
    async listenMetrics({ port, host = '127.0.0.1' }) {
      metricsServer = createServer((request, response) => {
        if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
          response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
          return;
        }
        engine.metrics.text().then(
          (text) => response.writeHead(200, { 'content-type': engine.metrics.contentType }).end(text),
          (error: unknown) => {
            logger.warn({ err: error }, 'metrics could not be collected');
            response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
          },
        );
      });
      const listening = metricsServer;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => resolve());
      });
      return `${urlOf(listening.address(), host)}/metrics`;
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        await Promise.all(workers.map((worker) => worker.stop({ graceMs: closeOptions.graceMs ?? 10_000 })));
        await engine.stop();
        await server?.close();
        for (const entry of handlers.values()) await entry.then(({ fastify }) => fastify.close()).catch(() => {});
        if (metricsServer) {
          const open = metricsServer;
          await new Promise<void>((resolve) => open.close(() => resolve()));
        }
        await engine.close();
      })();
      return closing;
    },
  };
  return hub;
}

type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Re-reads the job on each event the store appends (and every second, as a fallback) until `until` holds. */
async function waitForJob(engine: Engine, id: number, until: (job: JobRecord) => boolean, timeoutMs: number): Promise<JobRecord> {
  const first = await engine.reads.job(id, SYSTEM_ACTOR);
  if (until(first)) return first;
  return new Promise<JobRecord>((resolve, reject) => {
    let checking = false;
    let again = false;
    const check = async () => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          const job = await engine.reads.job(id, SYSTEM_ACTOR);
          if (until(job)) return finish(null, job);
        } while (again);
      } catch (error) {
        finish(error as Error, null);
      } finally {
        checking = false;
      }
    };
    const off = engine.onWake((signal) => {
      if (signal.kind === 'events') void check();
    });
    const poll = setInterval(() => void check(), 1000);
    const timer = setTimeout(() => finish(new Error(`job ${id} did not finish within ${timeoutMs} ms`), null), timeoutMs);
    const finish = (error: Error | null, job: JobRecord | null) => {
      off();
      clearInterval(poll);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(job as JobRecord);
    };
    void check();
  });
}

function urlOf(address: ReturnType<Server['address']>, host: string | undefined): string {
  const port = typeof address === 'object' && address ? address.port : 0;
  const shown = host && host !== '0.0.0.0' && host !== '::' ? host : '127.0.0.1';
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/**
 * The data directory holds the SQLite file (password hashes, job fields) and the CLI's admin
 * token: readable by its owner only (0700), whether we create it or it exists.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
