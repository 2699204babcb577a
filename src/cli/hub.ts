import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import { openEngine } from '../engine/open-engine.js';
import { createHub, type Hub as EmbeddedHub, ensurePrivateDir } from '../hub/index.js';
import type { EnvelopeType } from '../sdk/define-envelope.js';
import type { Workflow } from '../sdk/define-workflow.js';
import { WorkflowRegistry } from '../sdk/workflow-registry.js';
import type { Isolation, Worker } from '../worker/worker.js';
import { CLI_CREDENTIALS } from './connection.js';
import { SHUTDOWN_GRACE_MS } from './shutdown.js';

export { ensurePrivateDir, findWebRoot } from '../hub/index.js';

export interface HubOptions {
  /** Where the SQLite file and the local CLI credentials live. */
  dataDir: string;
  /** A PostgreSQL URL; otherwise the embedded SQLite store in `dataDir`. */
  db?: string | null;
  host?: string;
  port?: number;
  workflows: (Workflow | EnvelopeType)[];
  /** Run a worker in this process for the default site (default: yes). */
  localWorker?: boolean;
  workerConcurrency?: number;
  /** Where the local worker runs handlers (default: worker threads). */
  workerIsolation?: Isolation;
  /** Password of the first `admin` user; a random one is made (and returned) when not given. */
  adminPassword?: string | null;
  defaultSite?: string;
  /**
   * Sites served from directories on this machine (site name → root): one local worker each,
   * with that root (`ctx.site.root`); the default site's local worker takes its root from here.
   */
  siteRoots?: Record<string, string>;
  /** How long a lease lasts without a heartbeat (default 30 s). */
  leaseMs?: number;
  /** Also serve /metrics without authentication on this loopback port. */
  metricsPort?: number | null;
  /** SMTP server for e-mail notifications (smtp:// or smtps://); none: e-mail subscriptions wait. */
  smtpUrl?: string | null;
  /** From: address of notification e-mails. */
  mailFrom?: string;
  /** The console's URL as users reach it, for links in notifications (default: the hub's own). */
  publicUrl?: string | null;
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
  /** The local workers of the other sites with a root (`siteRoots`), by site. */
  siteWorkers: Map<string, Worker>;
  /** The embedded hub this CLI hub is built on. */
  hub: EmbeddedHub;
  /** Where unauthenticated metrics are served (`--metrics-port`), if anywhere. */
  metricsUrl: string | null;
  /** Set when this start created the admin user with a generated password: shown once. */
  generatedAdminPassword: string | null;
  /** A token for the CLI on this machine, also written to `<dataDir>/cli.json`. */
  cliToken: string;
  close(): Promise<void>;
}

/**
 * Starts a hub as `switchyard start` does: an embedded hub (createHub) listening on its own
 * port, the `admin` user on the first start, the CLI's credentials and a local worker.
 */
export async function startHub(options: HubOptions): Promise<Hub> {
  const logger = options.logger ?? pino({ level: 'silent' });
  ensurePrivateDir(options.dataDir);
  // Read by the notifier at each round: the public URL defaults to the hub's own once it listens.
  const notifier = { smtpUrl: options.smtpUrl ?? null, from: options.mailFrom ?? 'switchyard@localhost', publicUrl: options.publicUrl ?? null };
  const hub = await createHub({
    db: options.db,
    dataDir: options.dataDir,
    workflows: options.workflows,
    logger,
    defaultSite: options.defaultSite,
    leaseMs: options.leaseMs,
    // The admin user is made once the hub has its ports (below): a start that fails for a port
    // in use must not make one whose generated password it never shows.
    version: options.version,
    notifier,
    retainMs: options.retainDays ? options.retainDays * 86_400_000 : undefined,
  });
  const { engine } = hub;
  const url = await listening(hub, () => hub.listen({ host: options.host, port: options.port }), options.port ?? 4680, options.host ?? '127.0.0.1', '--port');
  notifier.publicUrl ??= url;
  const metricsUrl =
    options.metricsPort != null
      ? await listening(hub, () => hub.listenMetrics({ port: options.metricsPort as number }), options.metricsPort, '127.0.0.1', '--metrics-port')
      : null;
  let generatedAdminPassword: string | null;
  try {
    generatedAdminPassword = await engine.auth.bootstrapAdmin(options.adminPassword ?? null);
  } catch (error) {
    await hub.close();
    throw error;
  }
  const cliToken = await cliCredentials(engine, options.dataDir, url);

  let worker: Worker | null = null;
  const siteWorkers = new Map<string, Worker>();
  if (options.localWorker !== false) {
    try {
      const defaultSite = engine.defaultSite;
      const roots = options.siteRoots ?? {};
      // A local worker's id is the same on every start from this data directory, so that a
      // hub restarting after a crash (kill -9) re-queues what it was running at once instead
      // of waiting for those leases to expire.
      const stableId = async (site: string | null) => {
        const id = `local-${createHash('sha256').update(resolve(options.dataDir)).digest('hex').slice(0, 10)}${site === null ? '' : `-${site}`}`;
        const released = await engine.releaseLeasesOf(id);
        if (released > 0) logger.warn({ released, worker: id }, 'tasks left running by the previous start are queued again');
        return id;
      };
      const concurrency = options.workerConcurrency ?? 32;
      worker = await hub.startWorker({
        id: await stableId(null),
        name: 'local',
        host: 'in-process',
        concurrency,
        isolation: options.workerIsolation,
        root: roots[defaultSite],
      });
      for (const [site, root] of Object.entries(roots)) {
        if (site === defaultSite) continue;
        // Starting a worker at a site makes the site known to the hub.
        const siteWorker = await hub.startWorker({
          id: await stableId(site),
          name: `local ${site}`,
          host: 'in-process',
          site,
          root,
          concurrency: Math.min(concurrency, 8),
          isolation: options.workerIsolation,
        });
        siteWorkers.set(site, siteWorker);
      }
    } catch (error) {
      await hub.close();
      throw error;
    }
  }

  return {
    url,
    engine,
    server: hub.server as FastifyInstance,
    worker,
    siteWorkers,
    hub,
    metricsUrl,
    generatedAdminPassword,
    cliToken,
    close: () => hub.close({ graceMs: SHUTDOWN_GRACE_MS }),
  };
}

/** Listens, or closes the hub and says in words why the port could not be had. */
async function listening(hub: EmbeddedHub, listen: () => Promise<string>, port: number, host: string, option: string): Promise<string> {
  try {
    return await listen();
  } catch (error) {
    await hub.close();
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${port} on ${host} is in use (another hub?); choose another with ${option}`);
    if (code === 'EACCES') throw new Error(`not allowed to listen on port ${port}; choose a port above 1023 with ${option}`);
    throw error;
  }
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
