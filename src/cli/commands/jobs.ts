import { type Command, Option } from 'commander';
import type { Job } from '../../client/client.js';
import { type ConnectionFlags, connect } from '../connection.js';
import { since, table } from '../format.js';
import { parseLimit, recordId } from '../options.js';
import { jobsBulkCommand } from './jobs-bulk.js';

export function jobsCommand(program: Command): void {
  const jobs = program.command('jobs').description('List, inspect and control jobs');
  const client = (command: Command) => connect(command.optsWithGlobals<ConnectionFlags>());

  jobs
    .command('list')
    .description('Jobs, newest first')
    .option('--state <states>', 'comma-separated states')
    .option('--workflow <names>', 'comma-separated workflows')
    .option('--site <sites>', 'comma-separated sites')
    .option('--queue <queues>', 'comma-separated queues')
    .option('--creator <names>', 'comma-separated creators')
    .option('-q, --search <text>', 'free text')
    .option('--hide-noop', 'leave out jobs that had nothing to do')
    .addOption(new Option('--limit <n>', 'how many (1 to 500)').argParser(parseLimit).default(20))
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const page = await client(command).listJobs({
        state: options.state,
        workflow: options.workflow,
        site: options.site,
        queue: options.queue,
        creator: options.creator,
        q: options.search,
        hideNoop: options.hideNoop,
        limit: options.limit,
      });
      if (options.json) return console.log(JSON.stringify(page, null, 2));
      if (page.items.length === 0) return console.log('no jobs');
      console.log(table(page.items.map(row), ['id', 'workflow', 'state', 'site', 'queue', 'creator', 'created', 'progress', 'tasks', 'failed items']));
    });

  jobs
    .command('show <id>')
    .description('One job with its tasks')
    .option('--json', 'print JSON')
    .action(async (id: string, options, command: Command) => {
      const api = client(command);
      const job = await api.getJob(jobId(id));
      const tasks = await api.listTasks(job.id, { limit: 100 });
      if (options.json) return console.log(JSON.stringify({ ...job, tasks: tasks.items }, null, 2));
      const lines = [
        `job ${job.id}  ${job.label} (${job.workflow})`,
        `  state:    ${job.state}${job.outcome ? ` (${job.outcome === 'changed' ? 'modified' : 'up to date'})` : ''}${job.reason ? ` — ${job.reason}` : ''}`,
        ...(job.waitReason ? [`  waiting:  ${job.waitReason.message}`] : []),
        `  site:     ${job.site}${job.sites.length > 1 ? ` (spans ${job.sites.join(', ')})` : ''}   queue: ${job.queue}   creator: ${job.creator}`,
        `  created:  ${since(job.createdAt)}   started: ${since(job.startedAt)}   ended: ${since(job.endedAt)}`,
        `  progress: ${job.progress.percent}% (${job.progress.done}/${job.progress.total})`,
        `  items:    ${job.itemCounts.completed} completed, ${job.itemCounts.failed} failed, ${job.itemCounts.skipped} skipped`,
        `  fields:   ${JSON.stringify(job.fields)}`,
        '',
        table(
          tasks.items.map((t) => ({
            id: t.id,
            type: t.type,
            state: t.state,
            attempts: t.attempts,
            worker: t.workerId,
            started: since(t.startedAt as string | null),
            reason: (t.waitReason as { message?: string } | null)?.message ?? t.reason,
          })),
          ['id', 'type', 'state', 'attempts', 'worker', 'started', 'reason'],
        ),
      ];
      if (tasks.nextCursor) lines.push(`(first 100 tasks; see ${api.url}/jobs/${job.id})`);
      if (job.sites.length > 1) {
        const placement = await api.taskPlacement(job.id);
        lines.push('', 'where it ran:');
        for (const group of placement.items) {
          const counts = Object.entries(group.taskCounts).map(([state, n]) => `${n} ${state}`);
          lines.push(`  ${group.site}  ${group.workerId ?? '(no worker yet)'}  ${counts.join(', ')}`);
        }
      }
      console.log(lines.join('\n'));
    });

  for (const action of ['pause', 'resume', 'cancel', 'retry', 'resubmit'] as const) {
    const command = jobs.command(`${action} <ids...>`).description(`${action[0].toUpperCase()}${action.slice(1)} jobs`);
    if (action === 'pause')
      command.option('--now', 'stop running tasks at once (they go back to paused, the attempt not counted) instead of letting them finish');
    if (action === 'retry') command.option('--failed-items', 're-run only the tasks that recorded failed items; each is told the paths that failed');
    command.action(async (ids: string[], options: { now?: boolean; failedItems?: boolean }, command: Command) => {
      const api = client(command);
      let failed = 0;
      for (const id of ids) {
        try {
          const job =
            action === 'pause'
              ? await api.pause(jobId(id), { now: options.now === true })
              : action === 'retry' && options.failedItems
                ? await api.retry(jobId(id), { items: 'failed' })
                : await api.control(jobId(id), action);
          console.log(action === 'resubmit' ? `job ${id} resubmitted as job ${job.id}` : `job ${job.id} ${job.state}`);
        } catch (error) {
          failed += 1;
          console.error(`job ${id}: ${(error as Error).message}`);
        }
      }
      if (failed > 0) process.exitCode = 1;
    });
  }

  jobs
    .command('changes <id>')
    .description("A job's change set: what its tasks found added, changed or removed")
    .addOption(new Option('--kind <kind>', 'only changes of this kind').choices(['added', 'changed', 'removed']))
    .option('--path <text>', 'only paths containing this text (case-insensitive)')
    .addOption(new Option('--limit <n>', 'how many (1 to 500)').argParser(parseLimit).default(100))
    .option('--compare', "compare the job's items with the previous run's instead")
    .option('--json', 'print JSON')
    .action(async (id: string, options, command: Command) => {
      const api = client(command);
      if (options.compare) {
        const kind = options.kind === 'changed' || options.kind === 'added' || options.kind === 'removed' ? options.kind : undefined;
        const comparison = await api.compareJob(jobId(id), { kind, path: options.path, limit: options.limit });
        if (options.json) return console.log(JSON.stringify(comparison, null, 2));
        const { counts } = comparison;
        console.log(
          comparison.previousJobId === null
            ? `job ${comparison.jobId}: no previous run to compare with; ${counts.added} paths`
            : `job ${comparison.jobId} against job ${comparison.previousJobId}: ${counts.added} added, ${counts.removed} removed, ${counts.changed} changed, ${counts.unchanged} unchanged`,
        );
        if (comparison.items.length > 0) {
          const side = (s: { outcome: string; bytes: number | null } | null) => (s ? `${s.outcome}${s.bytes === null ? '' : ` ${s.bytes} B`}` : '');
          console.log(
            table(
              comparison.items.map((d) => ({ kind: d.kind, path: d.path, before: side(d.before), after: side(d.after) })),
              ['kind', 'path', 'before', 'after'],
            ),
          );
        }
        if (comparison.nextAfter) console.log(`(first ${comparison.items.length}; use --json or the API's ?after= for more)`);
        return;
      }
      const page = await api.jobChanges(jobId(id), { change: options.kind, path: options.path, limit: options.limit });
      if (options.json) return console.log(JSON.stringify(page, null, 2));
      const { counts } = page;
      console.log(`job ${id}: ${counts.added} added, ${counts.changed} changed, ${counts.removed} removed`);
      if (page.items.length === 0) return;
      const size = (n: number | null) => (n === null ? '' : String(n));
      console.log(
        table(
          page.items.map((c) => ({
            change: c.change,
            path: c.path,
            before: size(c.sizeBefore),
            after: size(c.sizeAfter),
            text: c.hasText ? 'yes' : c.textOmitted ? 'too long' : '',
          })),
          ['change', 'path', 'before', 'after', 'text'],
        ),
      );
      if (page.nextCursor) console.log(`(first ${page.items.length}; see ${api.url}/jobs/${id}?tab=changes)`);
    });

  jobs
    .command('rollback <id>')
    .description("Roll a finished job back: its workflow's compensations run newest first as a rollback job")
    .action(async (id: string, _options, command: Command) => {
      const rollback = await client(command).rollbackJob(jobId(id));
      console.log(`job ${id} rolling back as job ${rollback.id} (${rollback.state})`);
    });

  jobs
    .command('delete <ids...>')
    .description('Delete finished jobs and their records')
    .action(async (ids: string[], _options, command: Command) => {
      const api = client(command);
      let failed = 0;
      for (const id of ids) {
        try {
          await api.deleteJob(jobId(id));
          console.log(`job ${id} deleted`);
        } catch (error) {
          failed += 1;
          console.error(`job ${id}: ${(error as Error).message}`);
        }
      }
      if (failed > 0) process.exitCode = 1;
    });

  jobsBulkCommand(jobs);
}

function row(job: Job) {
  const t = job.taskCounts;
  const total = Object.values(t).reduce((a, b) => a + b, 0);
  const done = t.success + t.error + t.failure + t.skipped + t.cancelled + t.aborted + t.unknown;
  return {
    id: job.id,
    workflow: job.workflow,
    state: job.state,
    site: job.site,
    queue: job.queue,
    creator: job.creator,
    created: since(job.createdAt),
    progress: `${job.progress.percent}%`,
    tasks: `${done}/${total}`,
    'failed items': job.itemCounts.failed,
  };
}

export function jobId(text: string): number {
  return recordId(text, 'job');
}
