import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { isolationOption, parseConcurrency, parseHubUrl, parseTokenFile } from '../options.js';
import { exitAtDeadline, SHUTDOWN_GRACE_MS, stoppingMessage } from '../shutdown.js';

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run a worker at a site, pulling tasks from a hub over HTTP')
    .requiredOption('--site <name>', 'the site this worker serves')
    .option('--root <dir>', "the directory this site's files live in; data workflows (delete, verify, snapshot…) act only inside it")
    .option('--workflows <file...>', 'ES modules (.js, .mjs, .ts) exporting your workflows')
    .addOption(new Option('--token-file <file>', 'read the API token from the first line of FILE (mode 600)').argParser(parseTokenFile))
    .addOption(new Option('--concurrency <n>', 'tasks run at once (1 to 1000)').argParser(parseConcurrency).default(16))
    .addOption(isolationOption())
    .option('--name <name>', 'name shown in the console')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', process.env.SWITCHYARD_LOG_LEVEL ?? 'info')
    .addHelpText(
      'after',
      `
The API token, safest way first (a flag given wins over the environment variable):
  --token-file FILE   first line of FILE; the file must not be readable by group or others (chmod 600 FILE)
  SWITCHYARD_TOKEN    environment variable
  --token TOKEN       still accepted, but anyone on the machine can read it in the process list (ps)
The hub: --hub URL or SWITCHYARD_URL (http:// or https://).
`,
    )
    .action(async (options, command: Command) => {
      // --hub and --token are the program's global options (also SWITCHYARD_URL, SWITCHYARD_TOKEN).
      const { hub, token } = command.optsWithGlobals<{ hub?: string; token?: string }>();
      const hubUrl = hub ?? envHubUrl(command);
      if (options.tokenFile !== undefined && token !== undefined)
        command.error('error: give the token once: --token-file or --token, not both', { exitCode: 2 });
      if (token !== undefined && options.tokenFile === undefined) {
        console.error('warning: --token shows the token to anyone who can list processes (ps); prefer --token-file FILE (chmod 600) or SWITCHYARD_TOKEN');
      }
      const secret: string | undefined = options.tokenFile ?? token ?? process.env.SWITCHYARD_TOKEN;
      if (!hubUrl || !secret) {
        command.error('error: a worker needs --hub URL (or SWITCHYARD_URL) and a token: --token-file FILE, SWITCHYARD_TOKEN or --token TOKEN', { exitCode: 2 });
      }
      const root = options.root === undefined ? undefined : resolve(options.root);
      if (root !== undefined && !statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
        command.error(`error: --root ${root} is not an existing directory on this machine`, { exitCode: 2 });
      }
      // The worker's modules load here, not with the CLI (see start).
      const [{ default: pino }, { createWorker }, { loadWorkflows }, { builtInWorkflows }] = await Promise.all([
        import('pino'),
        import('../../client/index.js'),
        import('../../sdk/load-workflows.js'),
        import('../../workflows/index.js'),
      ]);
      const logger = pino({ level: options.logLevel }, pino.destination(2));
      const workflows = [...builtInWorkflows];
      for (const file of options.workflows ?? []) workflows.push(...(await loadWorkflows(file)));
      const worker = createWorker({
        hub: hubUrl,
        token: secret,
        site: options.site,
        root,
        workflows,
        name: options.name,
        concurrency: options.concurrency,
        isolation: options.isolation,
        logger,
      });
      // Signal handlers first: a SIGTERM that arrives just after the "serving" line (a supervisor
      // or test reacting to it) must find them in place, not the default that kills the process.
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) process.exit(130);
        stopping = true;
        console.log(stoppingMessage(signal));
        exitAtDeadline();
        await worker.stop({ graceMs: SHUTDOWN_GRACE_MS });
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      await worker.start();
      console.log(
        `worker ${worker.id} serving site "${options.site}"${root ? ` (root ${root})` : ''} from ${hubUrl} (${workflows.map((w) => w.name).join(', ')})`,
      );
    });
}

/** SWITCHYARD_URL, checked as strictly as --hub: a typo must not become a worker retrying forever. */
function envHubUrl(command: Command): string | undefined {
  const value = process.env.SWITCHYARD_URL;
  if (value === undefined || value === '') return undefined;
  try {
    return parseHubUrl(value);
  } catch (error) {
    return command.error(`error: environment variable SWITCHYARD_URL is invalid. ${(error as Error).message}`, { exitCode: 2 });
  }
}
