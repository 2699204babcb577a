import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { type ConnectionFlags, connect } from '../connection.js';
import { since, table } from '../format.js';

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
          items.map((q) => ({
            ...q,
            concurrency: q.concurrency ?? 'unlimited',
            oldestWaiting: q.oldestQueuedAt ? since(String(q.oldestQueuedAt)) : '',
            retainDays: q.retainDays ?? 'default',
          })),
          ['name', 'paused', 'concurrency', 'activeJobs', 'queuedJobs', 'oldestWaiting', 'pauseOnFailure', 'retainDays'],
        ),
      );
    });
  queues
    .command('set <name>')
    .description("Change a queue's settings (admin)")
    .option('--concurrency <n>', "most jobs running at once: a number, or 'unlimited'")
    .option('--pause-on-failure <on|off>', 'pause the queue when one of its jobs fails')
    .option('--retain-days <n>', 'days its finished jobs are kept, or "default" for the workflow\'s or the hub\'s')
    .action(async (name: string, options, command: Command) => {
      const patch: { concurrency?: number | null; pauseOnFailure?: boolean; retainDays?: number | null } = {};
      const count = (flag: string, value: string, none: string) => {
        if (value === none) return null;
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new InvalidUsage(`${flag} takes a whole number from 1, or '${none}'`);
        return n;
      };
      if (options.concurrency !== undefined) patch.concurrency = count('--concurrency', options.concurrency, 'unlimited');
      if (options.retainDays !== undefined) patch.retainDays = count('--retain-days', options.retainDays, 'default');
      if (options.pauseOnFailure !== undefined) {
        if (!['on', 'off'].includes(options.pauseOnFailure)) throw new InvalidUsage('--pause-on-failure takes on or off');
        patch.pauseOnFailure = options.pauseOnFailure === 'on';
      }
      if (Object.keys(patch).length === 0) throw new InvalidUsage('nothing to change: give --concurrency, --pause-on-failure or --retain-days');
      const q = await client(command).updateQueue(name, patch);
      console.log(
        `queue ${name}: concurrency ${q.concurrency ?? 'unlimited'}, pause on failure ${q.pauseOnFailure ? 'on' : 'off'}, retain ${q.retainDays ?? 'default'} days`,
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
  const tokens = program.command('tokens').description('API tokens: create, list, revoke');
  const client = (command: Command) => connect(command.optsWithGlobals<ConnectionFlags>());
  tokens
    .command('create')
    .description('Create a token; its secret is printed once')
    .requiredOption('--role <role>', 'viewer, operator, admin or worker')
    .option('--name <name>', 'what the token is for', `token-${new Date().toISOString().slice(0, 10)}`)
    .option('--sites <sites>', 'comma-separated sites it may act on (default: all of yours)')
    .option('--expires-in-days <days>', 'the token stops working after this many days (default: never)')
    .action(async (options, command: Command) => {
      const days = options.expiresInDays === undefined ? undefined : Number(options.expiresInDays);
      if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) {
        throw new InvalidUsage('--expires-in-days must be a whole number of days from 1 to 3650');
      }
      const token = await client(command).createToken({ name: options.name, role: options.role, sites: splitSites(options.sites), expiresInDays: days });
      console.log(token.token);
      console.error(`token "${token.name}" (${token.role}, id ${token.id}) created; store it now, it is not shown again`);
    });
  tokens
    .command('list')
    .description('Tokens (never their secrets), with when each was last used')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { items } = await client(command).listTokens();
      if (options.json) return console.log(JSON.stringify(items, null, 2));
      console.log(
        table(
          items.map((t) => ({
            ...t,
            sites: t.sites?.join(',') ?? 'all',
            createdAt: since(t.createdAt),
            lastUsedAt: since(t.lastUsedAt),
            expiresAt: since(t.expiresAt),
          })),
          ['id', 'name', 'role', 'sites', 'state', 'createdBy', 'createdAt', 'lastUsedAt', 'expiresAt'],
        ),
      );
    });
  tokens
    .command('revoke <id>')
    .description('Revoke a token at once')
    .action(async (id: string, _options, command: Command) => {
      const token = await client(command).revokeToken(positiveId(id));
      console.log(`token ${token.id} "${token.name}" revoked`);
    });
}

export function usersCommand(program: Command): void {
  const users = program.command('users').description('Users of the console');
  const client = (command: Command) => connect(command.optsWithGlobals<ConnectionFlags>());
  users
    .command('add <username>')
    .description('Add a user')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .option('--password <password>', 'the password (default: asked for, or SWITCHYARD_NEW_PASSWORD)')
    .option('--email <address>', 'where e-mail notifications go')
    .option('--sites <sites>', 'comma-separated sites the user may see (default: all of yours)')
    .action(async (username: string, options, command: Command) => {
      const password =
        options.password ??
        process.env.SWITCHYARD_NEW_PASSWORD ??
        (await ask(`password for ${username}: `, 'give it with --password or SWITCHYARD_NEW_PASSWORD'));
      await client(command).addUser({
        username,
        password,
        role: options.role,
        sites: splitSites(options.sites),
        ...(options.email ? { email: options.email } : {}),
      });
      console.log(`user ${username} (${options.role}) added`);
    });
  users
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { items } = await client(command).listUsers();
      if (options.json) return console.log(JSON.stringify(items, null, 2));
      console.log(
        table(
          items.map((u) => ({ ...u, sites: u.sites?.join(',') ?? 'all', disabled: u.disabled ? 'yes' : 'no', createdAt: since(u.createdAt) })),
          ['id', 'username', 'role', 'sites', 'disabled', 'createdAt'],
        ),
      );
    });
  users
    .command('set <username>')
    .description("Change a user's role, sites or e-mail address (a change of role or sites signs them out everywhere)")
    .option('--role <role>', 'viewer, operator or admin')
    .option('--sites <sites>', "comma-separated sites, or 'all'")
    .option('--email <address>', "where e-mail notifications go ('none' to clear)")
    .action(async (username: string, options, command: Command) => {
      if (options.role === undefined && options.sites === undefined && options.email === undefined)
        throw new InvalidUsage('give --role, --sites and/or --email');
      const sites = options.sites === undefined ? undefined : options.sites === 'all' ? null : splitSites(options.sites);
      const user = await client(command).updateUser(username, {
        ...(options.role ? { role: options.role } : {}),
        ...(sites !== undefined ? { sites } : {}),
        ...(options.email ? { email: options.email === 'none' ? null : options.email } : {}),
      });
      console.log(`user ${user.username}: ${user.role}, sites ${user.sites?.join(',') ?? 'all'}`);
    });
  for (const action of ['disable', 'enable'] as const) {
    users
      .command(`${action} <username>`)
      .description(action === 'disable' ? 'Stop a user from signing in (ends their sessions)' : 'Let a disabled user sign in again')
      .action(async (username: string, _options, command: Command) => {
        await client(command).updateUser(username, { disabled: action === 'disable' });
        console.log(`user ${username} ${action}d`);
      });
  }
  users
    .command('passwd')
    .description('Change your own password (signed-in users; asks for both)')
    .action(async (_options, command: Command) => {
      const current = process.env.SWITCHYARD_PASSWORD ?? (await ask('current password: ', 'give it in SWITCHYARD_PASSWORD'));
      const next = process.env.SWITCHYARD_NEW_PASSWORD ?? (await ask('new password: ', 'give it in SWITCHYARD_NEW_PASSWORD'));
      await client(command).changePassword(current, next);
      console.log('password changed');
    });
  users
    .command('reset-password <username>')
    .description(
      "Set a user's password. With --offline, works on the hub's data directory or database directly (run it where `start` runs: to recover a lost admin password); otherwise asks the hub as an admin",
    )
    .option('--password <password>', 'the new password (default: SWITCHYARD_NEW_PASSWORD, else a random one, printed)')
    .option('--offline', "open the store from --data/--db instead of asking the hub (the hub's machine only)")
    .option('--db <url>', 'PostgreSQL URL, as given to start (default: DATABASE_URL, else the SQLite file in --data)')
    .action(async (username: string, options, command: Command) => {
      const chosen: string | null = options.password ?? process.env.SWITCHYARD_NEW_PASSWORD ?? null;
      if (options.offline) {
        const globals = command.optsWithGlobals<ConnectionFlags & { db?: string }>();
        const { resetPasswordOffline } = await import('../hub.js');
        const password = await resetPasswordOffline(
          { dataDir: globals.data ?? '.switchyard', db: options.db ?? process.env.DATABASE_URL ?? null },
          username,
          chosen,
        );
        if (chosen === null) console.log(password);
        console.error(`password of ${username} reset; the user is enabled and signed out everywhere`);
        return;
      }
      const password = chosen ?? randomPassword();
      await client(command).updateUser(username, { password });
      if (chosen === null) console.log(password);
      console.error(`password of ${username} reset; they are signed out everywhere`);
    });
}

/** A usage mistake: exit code 2, like a bad flag. */
export class InvalidUsage extends Error {
  readonly exitCode = 2;
}

function positiveId(value: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new InvalidUsage(`not an id: "${value}"`);
  return id;
}

function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * `--sites` as the API takes it: absent, all of the caller's (null); otherwise the sites named.
 * Given but naming none (`--sites ""`, an empty shell variable) is refused, not read as "all":
 * that would widen a grant its author meant to narrow.
 */
function splitSites(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const sites = [...new Set(value.split(',').map((s) => s.trim()))].filter(Boolean);
  if (sites.length === 0)
    throw new InvalidUsage("--sites names no site: give comma-separated site names (or leave it out for all of yours; 'all' for users set)");
  return sites;
}

/** Asks on the terminal; refused, with `instead` said, when standard input ends unanswered (closed, or /dev/null). */
async function ask(question: string, instead = ''): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('close', () => reject(new Error(`no answer to "${question.trim()}": standard input ended${instead ? `; ${instead}` : ''}`)));
      rl.question(question).then(resolve, reject);
    });
  } finally {
    rl.close();
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error(`${question} Pass --yes to confirm when not at a terminal`);
  return /^y(es)?$/i.test((await ask(`${question} [y/N] `)).trim());
}

export function workersCommand(program: Command): void {
  const workers = program.command('workers').description('Workers at your sites');
  workers
    .command('list')
    .description('Online or not, last seen, running tasks and version of each worker')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { items } = await connect(command.optsWithGlobals<ConnectionFlags>()).listWorkers();
      if (options.json) return console.log(JSON.stringify(items, null, 2));
      console.log(
        table(
          items.map((w) => ({ ...w, online: w.online ? 'yes' : 'no', lastSeen: since(w.lastSeenAt), version: w.version ?? '' })),
          ['name', 'site', 'online', 'runningTasks', 'version', 'host', 'lastSeen'],
        ),
      );
    });
}
