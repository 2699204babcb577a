import { type Command, Option } from 'commander';
import type { ScheduleDto } from '../../client/client.js';
import { CatchUpRules, OverlapRules } from '../../model/index.js';
import { type ConnectionFlags, connect } from '../connection.js';
import { table } from '../format.js';
import { oneOf, parseCatchUpLimit, parseEveryMs, parseScheduleId } from '../options.js';
import { parseJsonObject, typedFields } from './submit.js';
import { addSubscribeCommand } from './subscriptions.js';

/** The flags add and edit share; on edit, only those given change. */
function scheduleOptions(command: Command): Command {
  return command
    .option('-f, --field <name=value>', 'a workflow field (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--fields <json>', 'all fields as one JSON object')
    .option('--site <site>', 'where the jobs run')
    .option('--queue <queue>', 'the queue the jobs join')
    .option('--cron <expression>', 'a cron expression, seconds allowed ("0 0 2 * * *")')
    .addOption(new Option('--every-ms <ms>', 'a fixed interval instead of cron').argParser(parseEveryMs))
    .option('--timezone <zone>', 'the time zone of the cron expression (default UTC)')
    .addOption(new Option('--overlap <rule>', `while the last run is active: ${OverlapRules.join(', ')}`).argParser(oneOf(OverlapRules)))
    .addOption(new Option('--catch-up <rule>', `missed slots: ${CatchUpRules.join(', ')}`).argParser(oneOf(CatchUpRules)))
    .addOption(new Option('--catch-up-limit <n>', 'with --catch-up all: at most this many').argParser(parseCatchUpLimit))
    .option('--disabled', 'create it disabled');
}

function when(s: ScheduleDto): string {
  return s.cron ? `${s.description} (${s.cron})` : s.description;
}

function lastRun(s: ScheduleDto): string {
  return s.lastRun ? `job ${s.lastRun.jobId} ${s.lastRun.result}` : '-';
}

export function schedulesCommand(program: Command): void {
  const schedules = program.command('schedules').description('Recurring jobs: list, add, edit, run now, enable, disable, delete, subscribe');
  const client = (command: Command) => connect(command.optsWithGlobals<ConnectionFlags>());

  addSubscribeCommand(
    schedules,
    'schedule',
    'Be told as each job the schedule fires ends (or fails): by e-mail, signed webhook or in the console',
    (api, id, input) => api.subscribeSchedule(id, input),
  );

  schedules
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { items } = await client(command).listSchedules();
      if (options.json) return console.log(JSON.stringify(items, null, 2));
      console.log(
        table(
          items.map((s) => ({ ...s, when: when(s), enabled: s.enabled ? 'yes' : 'no', nextRunAt: s.nextRunAt ?? '-', lastRun: lastRun(s) })),
          ['id', 'name', 'workflow', 'site', 'when', 'enabled', 'overlap', 'nextRunAt', 'lastRun'],
        ),
      );
    });

  const settings = async (command: Command, options: Record<string, unknown>, workflow: string | undefined) => {
    const body: Record<string, unknown> = {};
    const pairs = options.field as string[];
    if (options.fields !== undefined || pairs.length > 0) {
      if (!workflow) throw new Error('give --workflow to type --field values');
      body.fields = { ...(options.fields ? parseJsonObject(options.fields as string) : {}), ...(await typedFields(client(command), workflow, pairs)) };
    }
    for (const key of ['site', 'queue', 'cron', 'everyMs', 'timezone', 'overlap', 'catchUp', 'catchUpLimit'] as const) {
      if (options[key] !== undefined) body[key] = options[key];
    }
    return body;
  };

  scheduleOptions(schedules.command('add <name> <workflow>').description('Add a schedule of a workflow')).action(
    async (name: string, workflow: string, options, command: Command) => {
      const body = { name, workflow, fields: {}, ...(await settings(command, options, workflow)), ...(options.disabled ? { enabled: false } : {}) };
      const created = await client(command).createSchedule(body);
      console.log(`schedule ${created.id} "${created.name}" added: ${when(created)}, next run ${created.nextRunAt ?? 'never (disabled)'}`);
    },
  );

  scheduleOptions(schedules.command('edit <id>').description('Change a schedule (only the flags given)'))
    .option('--name <name>', 'rename it')
    .option('--workflow <workflow>', 'the workflow (also types --field values)')
    .action(async (rawId: string, options, command: Command) => {
      const id = parseScheduleId(rawId);
      const current = (await client(command).listSchedules()).items.find((s) => s.id === id);
      const patch = await settings(command, options, options.workflow ?? current?.workflow);
      if (options.name) patch.name = options.name;
      if (options.workflow) patch.workflow = options.workflow;
      const updated = await client(command).updateSchedule(id, patch);
      console.log(`schedule ${updated.id} "${updated.name}": ${when(updated)}, next run ${updated.nextRunAt ?? 'never'}`);
    });

  schedules
    .command('run <id>')
    .description('Run a schedule now (honours its overlap rule unless --force)')
    .option('--force', 'run even if the last run is still active')
    .action(async (rawId: string, options, command: Command) => {
      const result = await client(command).runSchedule(parseScheduleId(rawId), options.force === true);
      console.log(result.job ? `job ${result.job.id} submitted` : `${result.outcome}${result.reason ? `: ${result.reason}` : ''}`);
    });

  for (const enabled of [true, false]) {
    schedules
      .command(`${enabled ? 'enable' : 'disable'} <id>`)
      .description(enabled ? 'Let the schedule fire again' : 'Stop the schedule firing (run now still works)')
      .action(async (rawId: string, _options, command: Command) => {
        const updated = await client(command).updateSchedule(parseScheduleId(rawId), { enabled });
        console.log(`schedule ${updated.id} "${updated.name}" ${updated.enabled ? `enabled, next run ${updated.nextRunAt}` : 'disabled'}`);
      });
  }

  schedules
    .command('delete <id>')
    .description('Delete a schedule (its jobs stay)')
    .action(async (rawId: string, _options, command: Command) => {
      await client(command).deleteSchedule(parseScheduleId(rawId));
      console.log(`schedule ${rawId} deleted`);
    });
}
