import type { Command } from 'commander';
import type { WorkflowInfo } from '../../client/client.js';
import { type ConnectionFlags, connect } from '../connection.js';
import { table } from '../format.js';

/** `switchyard workflows list`: the hub's workflows with their task types, locks and concurrency limits. */
export function workflowsCommand(program: Command): void {
  const workflows = program.command('workflows').description('The workflows the hub knows');
  workflows
    .command('list')
    .description('Workflows with their task types, resource locks and concurrency limits')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { items } = await connect(command.optsWithGlobals<ConnectionFlags>()).workflows();
      if (options.json) return console.log(JSON.stringify(items, null, 2));
      if (items.length === 0) return console.log('no workflows');
      console.log(
        table(
          items.map((w) => ({ name: w.name, label: w.label, tasks: w.taskTypes.join(', '), locks: w.locks ? 'yes' : '', concurrency: describeConcurrency(w) })),
          ['name', 'label', 'tasks', 'locks', 'concurrency'],
        ),
      );
    });
}

/** "2 at once, 1 per key" — or empty when the workflow has no limits. */
function describeConcurrency(workflow: Pick<WorkflowInfo, 'concurrency'>): string {
  const c = workflow.concurrency;
  if (!c) return '';
  return [c.limit !== null ? `${c.limit} at once` : null, c.perKey !== null ? `${c.perKey} per key` : null].filter(Boolean).join(', ');
}
