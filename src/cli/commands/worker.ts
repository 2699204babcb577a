import type { Command } from 'commander';
import pino from 'pino';
import { createWorker } from '../../client/index.js';
import { loadWorkflows } from '../../sdk/load-workflows.js';
import { builtInWorkflows } from '../../workflows/index.js';

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run a worker at a site, pulling tasks from a hub over HTTP')
    .requiredOption('--site <name>', 'the site this worker serves')
    .option('--workflows <file...>', 'ES modules (.js, .mjs, .ts) exporting your workflows')
    .option('--concurrency <n>', 'tasks run at once', (v) => Number.parseInt(v, 10), 16)
    .option('--name <name>', 'name shown in the console')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', process.env.SWITCHYARD_LOG_LEVEL ?? 'info')
    .action(async (options, command: Command) => {
      // --hub and --token are the program's global options (also SWITCHYARD_URL, SWITCHYARD_TOKEN).
      const { hub, token } = command.optsWithGlobals<{ hub?: string; token?: string }>();
      const hubUrl = hub ?? process.env.SWITCHYARD_URL;
      const secret = token ?? process.env.SWITCHYARD_TOKEN;
      if (!hubUrl || !secret) throw new Error('a worker needs --hub URL and --token TOKEN (or SWITCHYARD_URL and SWITCHYARD_TOKEN)');
      const logger = pino({ level: options.logLevel }, pino.destination(2));
      const workflows = [...builtInWorkflows];
      for (const file of options.workflows ?? []) workflows.push(...(await loadWorkflows(file)));
      const worker = createWorker({ hub: hubUrl, token: secret, site: options.site, workflows, name: options.name, concurrency: options.concurrency, logger });
      await worker.start();
      console.log(`worker ${worker.id} serving site "${options.site}" from ${hubUrl} (${workflows.map((w) => w.name).join(', ')})`);
      let stopping = false;
      const stop = async () => {
        if (stopping) process.exit(130);
        stopping = true;
        console.log('stopping: finishing running tasks (up to 10 s), then handing the rest back');
        await worker.stop({ graceMs: 10_000 });
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
    });
}
