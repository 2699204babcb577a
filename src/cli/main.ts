import { Command, CommanderError } from 'commander';
import { HubError } from '../client/client.js';
import { queuesCommand, tokensCommand, usersCommand } from './commands/admin.js';
import { jobsCommand } from './commands/jobs.js';
import { startCommand } from './commands/start.js';
import { submitCommand } from './commands/submit.js';
import { workerCommand } from './commands/worker.js';
import { VERSION } from './version.js';

const program = new Command()
  .name('switchyard')
  .description('Job orchestration: workflows in code, tasks run by workers at sites, every item recorded.')
  .version(VERSION)
  .option('--hub <url>', 'hub to talk to (default: SWITCHYARD_URL, or the one `start` recorded in --data)')
  .option('--token <token>', 'API token (default: SWITCHYARD_TOKEN, or the one `start` recorded)')
  .option('--data <dir>', 'data directory: where `start` keeps its SQLite file and the local CLI credentials', '.switchyard')
  .showHelpAfterError()
  .exitOverride();

for (const add of [startCommand, workerCommand, submitCommand, jobsCommand, queuesCommand, tokensCommand, usersCommand]) add(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof HubError) {
    console.error(`error: ${error.message}${error.code !== 'SWY_ERR_UNREACHABLE' ? ` (${error.code})` : ''}`);
    for (const field of error.fields ?? []) console.error(`  ${field.path}: ${field.message}`);
  } else {
    console.error(`error: ${(error as Error).message}`);
  }
  process.exit(1);
}
