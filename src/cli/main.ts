import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { HubError } from '../client/client.js';
import { queuesCommand, tokensCommand, usersCommand, workersCommand } from './commands/admin.js';
import { envelopesCommand } from './commands/envelopes.js';
import { jobsCommand } from './commands/jobs.js';
import { schedulesCommand } from './commands/schedules.js';
import { startCommand } from './commands/start.js';
import { submitCommand } from './commands/submit.js';
import { subscriptionsCommand } from './commands/subscriptions.js';
import { workerCommand } from './commands/worker.js';
import { workflowsCommand } from './commands/workflows.js';
import { parseHubUrl } from './options.js';
import { VERSION } from './version.js';

const program = new Command()
  .name('switchyard')
  .description('Job orchestration: workflows in code, tasks run by workers at sites, every item recorded.')
  .version(VERSION)
  .addOption(
    new Option('--hub <url>', 'hub to talk to, http:// or https:// (default: SWITCHYARD_URL, or the one `start` recorded in --data)').argParser(parseHubUrl),
  )
  .option('--token <token>', 'API token (default: SWITCHYARD_TOKEN, or the one `start` recorded); visible to `ps`, so prefer SWITCHYARD_TOKEN')
  .option('--data <dir>', 'data directory: where `start` keeps its SQLite file and the local CLI credentials', '.switchyard')
  // Usage errors are one line on stderr (no help dump), with any password in a URL masked.
  .configureOutput({ outputError: (text, write) => write(text.replace(/\/\/([^:@/\s]*):[^@/\s]*@/g, '//$1:***@')) })
  .exitOverride();

/** Exit code of a usage mistake (unknown command or option, invalid flag value), as most CLIs do. */
const USAGE_ERROR = 2;

for (const add of [
  startCommand,
  workerCommand,
  submitCommand,
  jobsCommand,
  envelopesCommand,
  subscriptionsCommand,
  queuesCommand,
  schedulesCommand,
  workflowsCommand,
  tokensCommand,
  usersCommand,
  workersCommand,
])
  add(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Help and --version end with 0; every other commander error is a usage mistake.
  // An argument a command's action refused itself (commander has printed its own refusals).
  if (error instanceof InvalidArgumentError) console.error(`error: ${error.message}`);
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : USAGE_ERROR);
  if ((error as { exitCode?: number }).exitCode === USAGE_ERROR) {
    console.error(`error: ${(error as Error).message}`);
    process.exit(USAGE_ERROR);
  }
  if (error instanceof HubError) {
    console.error(`error: ${error.message}${error.code !== 'SWY_ERR_UNREACHABLE' ? ` (${error.code})` : ''}`);
    // One line per problem: a field the message already names is not said again.
    for (const field of error.fields ?? []) if (!error.message.includes(`${field.path}: ${field.message}`)) console.error(`  ${field.path}: ${field.message}`);
  } else {
    console.error(`error: ${(error as Error).message}`);
  }
  process.exit(1);
}
