import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildServer } from '../api/server.js';
import type { Engine } from '../engine/engine.js';
import { openEngine } from '../engine/open-engine.js';
import type { Workflow } from '../sdk/define-workflow.js';
import { WorkflowRegistry } from '../sdk/workflow-registry.js';
import { type Isolation, Worker } from '../worker/worker.js';
import { SHUTDOWN_GRACE_MS } from './shutdown.js';

export interface HubOptions {
  /** Where the SQLite file and the local CLI credentials live. */
  dataDir: string;
  /** A PostgreSQL URL; otherwise the embedded SQLite store in `dataDir`. */
  db?: string | null;
  host?: string;
  port?: number;
  workflows: Workflow[];
  /** Run a worker in this process for the default site (default: yes). */
  localWorker?: boolean;
  workerConcurrency?: number;
  /** Where the local worker runs handlers (default: worker threads). */
  workerIsolation?: Isolation;
  /** Password of the first `admin` user; a random one is made (and returned) when not given. */
  adminPassword?: string | null;
  defaultSite?: string;
  /** How long a lease lasts without a heartbeat (default 30 s). */
  leaseMs?: number;
  /** Finished jobs older than this many days are pruned in the background; absent: kept forever. */
  retainDays?: number;
  logger?: Logger;
  version?: string;
}

export interface Hub {
  url: string;
  engine: Engine;
  server: FastifyInstance;
  worker: Worker | null;
  /** Set when this start created the admin user with a generated password: shown once. */
  generatedAdminPassword: string | null;
  /** A token for the CLI on this machine, also written to `<dataDir>/cli.json`. */
  cliToken: string;
  close(): Promise<void>;
}

export const CLI_CREDENTIALS = 'cli.json';

/**
 * Starts a hub: the store (migrated), the engine and its duties, the HTTP API and console,
 * and a local worker. On the first start it creates the `admin` user.
 */
export async function startHub(options: HubOptions): Promise<Hub> {
  const logger = options.logger ?? pino({ level: 'silent' });
  ensurePrivateDir(options.dataDir);
  const workflows = new WorkflowRegistry(options.workflows);
  const engine = await openEngine({
    db: options.db,
    dataDir: options.dataDir,
    workflows,
    logger,
    defaultSite: options.defaultSite,
    leaseMs: options.leaseMs,
    retainMs: options.retainDays ? options.retainDays * 86_400_000 : null,
  });
  let generatedAdminPassword: string | null;
  try {
    generatedAdminPassword = await engine.auth.bootstrapAdmin(options.adminPassword ?? null);
  } catch (error) {
    await engine.close();
    throw error;
  }

  const server = await buildServer({ engine, webRoot: findWebRoot(), logger, version: options.version });
  try {
    await server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 4680 });
  } catch (error) {
    await engine.close();
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new Error(`port ${options.port ?? 4680} on ${options.host ?? '127.0.0.1'} is in use (another hub?); choose another with --port`);
    if (code === 'EACCES') throw new Error(`not allowed to listen on port ${options.port ?? 4680}; choose a port above 1023 with --port`);
    throw error;
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const cliToken = await cliCredentials(engine, options.dataDir, url);

  let worker: Worker | null = null;
  if (options.localWorker !== false) {
    // The local worker's id is the same on every start from this data directory, so that a
    // hub restarting after a crash (kill -9) re-queues what it was running at once instead
    // of waiting for those leases to expire.
    const id = `local-${createHash('sha256').update(resolve(options.dataDir)).digest('hex').slice(0, 10)}`;
    const released = await engine.releaseLeasesOf(id);
    if (released > 0) logger.warn({ released }, 'tasks left running by the previous start are queued again');
    worker = new Worker({
      port: engine,
      workflows,
      id,
      site: engine.defaultSite,
      name: 'local',
      host: 'in-process',
      concurrency: options.workerConcurrency ?? 32,
      isolation: options.workerIsolation,
      logger,
    });
    await worker.start();
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    engine,
    server,
    worker,
    generatedAdminPassword,
    cliToken,
    close() {
      closing ??= (async () => {
        await worker?.stop({ graceMs: SHUTDOWN_GRACE_MS });
        await engine.stop();
        await server.close();
        await engine.close();
      })();
      return closing;
    },
  };
}

/**
 * The CLI on this machine talks to the hub with an admin token kept in `<dataDir>/cli.json`
 * (readable by this user only). It is reused across restarts while it stays valid.
 */
async function cliCredentials(engine: Engine, dataDir: string, url: string): Promise<string> {
  const file = join(dataDir, CLI_CREDENTIALS);
  let saved: string | null = null;
  if (existsSync(file)) {
    try {
      saved = (JSON.parse(readFileSync(file, 'utf8')) as { token?: string }).token ?? null;
    } catch {
      saved = null;
    }
  }
  const token = await engine.auth.localCliToken(saved);
  writeFileSync(file, `${JSON.stringify({ url, token }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

/**
 * Resets a user's password straight in the store (no hub needed, none may be running): how a
 * lost admin password is recovered by whoever can read the data directory or database.
 */
export async function resetPasswordOffline(location: { dataDir: string; db: string | null }, username: string, password: string | null): Promise<string> {
  if (!location.db && !existsSync(join(location.dataDir, 'switchyard.db'))) {
    throw new Error(`no Switchyard data in ${resolve(location.dataDir)}: run this where \`switchyard start\` keeps its data, or pass --data or --db`);
  }
  const engine = await openEngine({ db: location.db, dataDir: location.dataDir, workflows: new WorkflowRegistry([]), runDuties: false });
  try {
    return await engine.auth.resetPassword(username, password);
  } finally {
    await engine.close();
  }
}

/**
 * The data directory holds the SQLite file (password hashes, job fields) and the CLI's admin
 * token: readable by its owner only (0700), whether we create it or it exists.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** The built console: dist/web beside the compiled code, or the repository's dist/web when running from sources. */
export function findWebRoot(): string | null {
  for (const candidate of ['../web/', '../../dist/web/']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(path, 'index.html'))) return path;
  }
  return null;
}
