import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { BulkSelection, Operation, SwitchyardClient } from '../../client/client.js';
import { BULK_ACTIONS } from '../../model/index.js';
import { type ConnectionFlags, connect } from '../connection.js';
import { recordId } from '../options.js';
import { jobId } from './jobs.js';

const POLL_MS = 300;

/**
 * `switchyard jobs bulk <action>`: one action over many jobs, chosen by `--ids` or by the
 * list's filters, run by the hub as a tracked operation. `--preview` only counts; `--wait`
 * follows the operation to its end with a progress bar and prints the result summary.
 */
export function jobsBulkCommand(jobs: Command): void {
  jobs
    .command('bulk')
    .description('Cancel, pause, resume, retry, delete or subscribe to many jobs at once (by ids or filters), as a tracked operation')
    .addArgument(jobs.createArgument('<action>', 'what to do').choices(BULK_ACTIONS))
    .option('--ids <ids>', 'comma-separated job ids (instead of filters)')
    .option('--state <states>', 'comma-separated states')
    .option('--workflow <names>', 'comma-separated workflows')
    .option('--site <sites>', 'comma-separated sites')
    .option('--queue <queues>', 'comma-separated queues')
    .option('--creator <names>', 'comma-separated creators')
    .option('--created-from <instant>', 'created at or after (ISO 8601)')
    .option('--created-to <instant>', 'created at or before (ISO 8601)')
    .option('-q, --search <text>', 'free text')
    .option('--hide-noop', 'leave out jobs that had nothing to do')
    .addOption(new Option('--channel <channel>', 'subscribe: where to be told').choices(['console', 'email']))
    .option('--address <email>', 'subscribe: the e-mail address (email channel)')
    .addOption(new Option('--on <when>', 'subscribe: when').choices(['end', 'failure']))
    .option('--all', 'with no --ids and no filter: act on every job you may see')
    .option('--preview', 'only count the jobs it would act on')
    .option('--wait', 'follow the operation until it ends, with progress')
    .option('--json', 'print JSON')
    .action(async (action: BulkSelection['action'], options, command: Command) => {
      const api = connect(command.optsWithGlobals<ConnectionFlags>());
      const selection = selectionOf(action, options);
      if (!options.preview && !options.all && selection.filter && Object.keys(selection.filter).length === 0) {
        console.error(`no --ids and no filter: this would ${action} every job you may see; add --all to mean it (or --preview to count them)`);
        process.exitCode = 2;
        return;
      }
      if (options.preview) {
        const preview = await api.previewBulk(selection);
        if (options.json) return console.log(JSON.stringify(preview, null, 2));
        return console.log(`${action}: ${preview.eligible} of ${preview.matching} matching jobs would be acted on (preview; nothing done)`);
      }
      let operation = await api.startBulk(selection);
      if (!options.wait) {
        if (options.json) return console.log(JSON.stringify(operation, null, 2));
        return console.log(`operation ${operation.id} started: ${action} over ${operation.total} jobs (switchyard jobs operation ${operation.id})`);
      }
      operation = await followOperation(api, operation);
      if (options.json) console.log(JSON.stringify(operation, null, 2));
      else console.log(summary(operation));
      if (operation.state !== 'done' || operation.failed > 0) process.exitCode = 1;
    });

  jobs
    .command('operation <id>')
    .description('A bulk operation: progress and the result summary')
    .option('--wait', 'follow it until it ends')
    .option('--cancel', 'stop it between batches')
    .option('--json', 'print JSON')
    .action(async (id: string, options, command: Command) => {
      const api = connect(command.optsWithGlobals<ConnectionFlags>());
      let operation = options.cancel ? await api.cancelOperation(recordId(id, 'operation')) : await api.getOperation(recordId(id, 'operation'));
      if (options.wait) operation = await followOperation(api, operation);
      console.log(options.json ? JSON.stringify(operation, null, 2) : summary(operation));
    });
}

function selectionOf(action: BulkSelection['action'], options: Record<string, string | boolean | undefined>): BulkSelection {
  const subscribe =
    action === 'subscribe' ? { options: { channel: options.channel, address: options.address, on: options.on } as BulkSelection['options'] } : {};
  const filter = Object.fromEntries(
    Object.entries({
      state: options.state,
      workflow: options.workflow,
      site: options.site,
      queue: options.queue,
      creator: options.creator,
      createdFrom: options.createdFrom,
      createdTo: options.createdTo,
      q: options.search,
      hideNoop: options.hideNoop === true ? true : undefined,
    }).filter(([, value]) => value !== undefined),
  );
  if (typeof options.ids !== 'string') return { action, filter, ...subscribe };
  // The API takes ids or a filter, not both: a filter beside --ids would be dropped unsaid, and
  // the action would reach jobs the filter meant to leave out.
  if (Object.keys(filter).length > 0 || options.all) {
    throw new InvalidArgumentError('--ids picks the jobs itself: give no filter option (--state, --workflow, …) nor --all beside it');
  }
  return { action, ids: options.ids.split(',').map((id) => jobId(id.trim())), ...subscribe };
}

/** Polls the operation until it ends: a bar on a terminal, a line per change otherwise. */
async function followOperation(api: SwitchyardClient, first: Operation): Promise<Operation> {
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new SingleBar({ format: 'operation {id} {action} [{bar}] {value}/{total} | skipped {skipped}', hideCursor: true, stream: process.stderr })
    : null;
  let operation = first;
  let last = '';
  bar?.start(Math.max(1, operation.total), operation.done, operation);
  for (;;) {
    const line = `operation ${operation.id} ${operation.action} ${operation.state} ${operation.done}/${operation.total} (skipped ${operation.skipped}, failed ${operation.failed})`;
    if (bar) bar.update(operation.done, operation);
    else if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
    if (operation.state !== 'running') break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    operation = await api.getOperation(operation.id);
  }
  bar?.stop();
  return operation;
}

function summary(operation: Operation): string {
  const lines = [
    `operation ${operation.id}: ${operation.action} ${operation.state} — ${operation.done} of ${operation.total} handled: ${operation.succeeded} done, ${operation.skipped} skipped, ${operation.failed} failed`,
  ];
  for (const [reason, group] of Object.entries(operation.reasons)) {
    const more = group.count > group.jobIds.length ? ', …' : '';
    lines.push(`  ${group.count} × ${reason} (jobs ${group.jobIds.join(', ')}${more})`);
  }
  if (operation.error) lines.push(`  error: ${operation.error}`);
  return lines.join('\n');
}
