import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { EnvelopeType } from '../../sdk/define-envelope.js';
import type { Workflow } from '../../sdk/define-workflow.js';
import { isolationOption, parseConcurrency, parseDatabaseUrl, parseLeaseMs, parsePort, parseRetainDays } from '../options.js';
import { exitAtDeadline, stoppingMessage } from '../shutdown.js';
import { ensureDemoSites, parseSiteRoot, type SiteRoots, siteRoots } from '../site-roots.js';
import { VERSION } from '../version.js';

export function startCommand(program: Command): void {
  program
    .command('start')
    .description('Start a hub with the console and a local worker (embedded SQLite store unless --db)')
    .addOption(new Option('-p, --port <port>', 'HTTP port (0 to 65535; 0 picks a free one)').argParser(parsePort).default(4680))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    // DATABASE_URL goes through the same parser as --db, so a MySQL URL there is refused too.
    .addOption(
      new Option('--db <url>', 'PostgreSQL URL (postgres:// or postgresql://); default: SQLite in the data directory')
        .env('DATABASE_URL')
        .argParser(parseDatabaseUrl),
    )
    .option('--workflows <file...>', 'ES modules (.js, .mjs, .ts) exporting your workflows')
    .option('--no-worker', 'do not run a worker in this process')
    .addOption(new Option('--concurrency <n>', 'tasks the local worker runs at once (1 to 1000)').argParser(parseConcurrency).default(32))
    .addOption(isolationOption())
    .option('--site <name>', 'the local site', 'local')
    .addOption(new Option('--site-root <NAME=DIR>', 'serve site NAME from directory DIR with a local worker (repeatable)').argParser(parseSiteRoot))
    .option('--config <file>', 'JSON config file: {"sites": {"NAME": "DIR"}} (directories relative to the file)')
    .addOption(new Option('--lease-ms <ms>', 'how long a task lease lasts without a heartbeat (1000 to 3600000)').argParser(parseLeaseMs).default(30_000))
    .addOption(
      new Option('--metrics-port <port>', 'also serve Prometheus metrics at /metrics on this port of 127.0.0.1, without authentication').argParser(parsePort),
    )
    .addOption(new Option('--smtp <url>', 'SMTP server for e-mail notifications (smtp://user:pass@host:587 or smtps://…)').env('SWITCHYARD_SMTP_URL'))
    .addOption(new Option('--mail-from <address>', 'From: address of notification e-mails').env('SWITCHYARD_MAIL_FROM').default('switchyard@localhost'))
    .addOption(
      new Option('--public-url <url>', "the console's URL as users reach it, for links in notifications (default: the hub's own)").env('SWITCHYARD_PUBLIC_URL'),
    )
    .addOption(
      new Option('--retain-days <days>', 'prune finished jobs (and events) older than this many days (default: keep forever)').argParser(parseRetainDays),
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug', process.env.SWITCHYARD_LOG_LEVEL ?? 'warn')
    .action(async (localOptions, command: Command) => {
      // --data is the program's global option (the CLI commands read the same directory).
      const options = command.optsWithGlobals<typeof localOptions & { data: string }>();
      // The hub's modules load here, not with the CLI: every other command starts in a fraction of the time.
      const [{ default: pino }, { loadDefinitions }, { builtInWorkflows }, { startHub }] = await Promise.all([
        import('pino'),
        import('../../sdk/load-workflows.js'),
        import('../../workflows/index.js'),
        import('../hub.js'),
      ]);
      const logger = pino({ level: options.logLevel }, pino.destination(2));
      const roots = configuredRoots(options.siteRoot ?? [], options.config);
      if (!options.worker && Object.keys(roots).length > 0) {
        console.error('warning: --no-worker: the site roots are not served by this process (run `switchyard worker --site NAME --root DIR`)');
      }
      // No site roots configured: the demo sites in the data directory (samples written once).
      const demo = Object.keys(roots).length === 0 && options.worker;
      if (demo) Object.assign(roots, ensureDemoSites(resolve(options.data), options.site));
      const workflows: (Workflow | EnvelopeType)[] = [...builtInWorkflows];
      for (const file of options.workflows ?? []) workflows.push(...(await loadDefinitions(file)));
      const hub = await startHub({
        dataDir: resolve(options.data),
        db: options.db,
        host: options.host,
        port: options.port,
        workflows,
        localWorker: options.worker,
        workerConcurrency: options.concurrency,
        workerIsolation: options.isolation,
        adminPassword: process.env.SWITCHYARD_ADMIN_PASSWORD || null,
        defaultSite: options.site,
        siteRoots: roots,
        leaseMs: options.leaseMs,
        metricsPort: options.metricsPort ?? null,
        retainDays: options.retainDays,
        logger,
        version: VERSION,
        smtpUrl: options.smtp ?? null,
        mailFrom: options.mailFrom,
        publicUrl: options.publicUrl ?? null,
      });
      const lines = [
        `Switchyard ${VERSION} is running`,
        `  console:   ${hub.url}`,
        `  api:       ${hub.url}/api/v1  (OpenAPI: ${hub.url}/api/v1/openapi.json)`,
        `  store:     ${hub.engine.storeKind === 'sqlite' ? `SQLite in ${resolve(options.data)}` : `PostgreSQL at ${redact(options.db)}`}`,
        `  workflows: ${workflows.map((w) => w.name).join(', ')}`,
        `  metrics:   ${hub.metricsUrl ?? `${hub.url}/metrics (admin token)`}`,
        `  worker:    ${hub.worker ? `local, site "${options.site}"` : 'none in this process'}`,
      ];
      if (hub.worker) {
        for (const [site, root] of Object.entries(roots)) lines.push(`  site:      ${site} → ${root}${demo ? ' (demo)' : ''}`);
      }
      if (hub.generatedAdminPassword) {
        lines.push(
          '',
          `  First start: user "admin" created with password ${hub.generatedAdminPassword}`,
          '  (shown once; set SWITCHYARD_ADMIN_PASSWORD to choose it)',
        );
      }
      // Elsewhere than the default data directory, the CLI must be told where it is.
      const data = resolve(options.data) === resolve('.switchyard') ? '' : ` --data ${JSON.stringify(options.data)}`;
      lines.push('', `  The CLI in this directory uses ${resolve(options.data, 'cli.json')}; try: npx switchyard submit simulate --wait${data}`);
      if (demo) lines.push(`  or, on the demo files: npx switchyard submit snapshot -f site=${options.site} -f path=samples --wait${data}`);
      // Signal handlers before the lines that say the hub is up: a SIGTERM sent in answer to them
      // must find the orderly stop in place.
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) {
          console.log('stopping now');
          process.exit(130);
        }
        stopping = true;
        console.log(stoppingMessage(signal));
        exitAtDeadline();
        await hub.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      console.log(lines.join('\n'));
    });
}

/** The site roots of --config and --site-root; a missing directory or bad file is a usage error (exit 2). */
function configuredRoots(flags: [string, string][], configFile: string | undefined): SiteRoots {
  try {
    return siteRoots(flags, configFile);
  } catch (error) {
    throw Object.assign(new Error((error as Error).message), { exitCode: 2 });
  }
}

/** A database URL without its password, for printing. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
