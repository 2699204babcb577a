import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { type ConnectionFlags, connect } from '../connection.js';
import { table } from '../format.js';

export function queuesCommand(program: Command): void {
  const queues = program.command('queues').description('List queues; pause, resume or clear them');
  const client = (command: Command) => connect(command.optsWithGlobals<ConnectionFlags>());
  queues
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { items } = await client(command).listQueues();
      if (options.json) return console.log(JSON.stringify(items, null, 2));
      console.log(
        table(
          items.map((q) => ({ ...q, concurrency: q.concurrency ?? 'unlimited' })),
          ['name', 'paused', 'concurrency', 'activeJobs', 'pauseOnFailure'],
        ),
      );
    });
  for (const action of ['pause', 'resume', 'clear'] as const) {
    queues
      .command(`${action} <name>`)
      .description(
        action === 'pause'
          ? 'Running jobs go on; no new job starts'
          : action === 'resume'
            ? 'Start queued jobs again'
            : 'Cancel every job of the queue that has not started',
      )
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (name: string, options, command: Command) => {
        if (!options.yes && !(await confirm(`${action} queue "${name}"?`))) return console.log('nothing done');
        const answer = await client(command).queueAction(name, action);
        console.log(action === 'clear' ? `queue ${name}: ${answer.cancelled} queued jobs cancelled` : `queue ${name} ${answer.paused ? 'paused' : 'running'}`);
      });
  }
}

export function tokensCommand(program: Command): void {
  program
    .command('tokens')
    .description('API tokens')
    .command('create')
    .description('Create a token; its secret is printed once')
    .requiredOption('--role <role>', 'viewer, operator, admin or worker')
    .option('--name <name>', 'what the token is for', `token-${new Date().toISOString().slice(0, 10)}`)
    .option('--sites <sites>', 'comma-separated sites it may act on (default: all)')
    .action(async (options, command: Command) => {
      const token = await connect(command.optsWithGlobals<ConnectionFlags>()).createToken({
        name: options.name,
        role: options.role,
        sites: splitSites(options.sites),
      });
      console.log(token.token);
      console.error(`token "${token.name}" (${token.role}) created; store it now, it is not shown again`);
    });
}

export function usersCommand(program: Command): void {
  program
    .command('users')
    .description('Users of the console')
    .command('add <username>')
    .description('Add a user')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .option('--password <password>', 'the password (default: asked for, or SWITCHYARD_NEW_PASSWORD)')
    .option('--sites <sites>', 'comma-separated sites the user may see (default: all)')
    .action(async (username: string, options, command: Command) => {
      const password = options.password ?? process.env.SWITCHYARD_NEW_PASSWORD ?? (await ask(`password for ${username}: `));
      await connect(command.optsWithGlobals<ConnectionFlags>()).addUser({ username, password, role: options.role, sites: splitSites(options.sites) });
      console.log(`user ${username} (${options.role}) added`);
    });
}

function splitSites(value: string | undefined): string[] | null {
  return value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : null;
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error(`${question} Pass --yes to confirm when not at a terminal`);
  return /^y(es)?$/i.test((await ask(`${question} [y/N] `)).trim());
}
