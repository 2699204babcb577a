import { type Command, Option } from 'commander';
import type { Job, SwitchyardClient } from '../../client/client.js';
import { type ConnectionFlags, connect } from '../connection.js';
import { duration } from '../format.js';
import { parsePriority, parseRunAt } from '../options.js';
import { watchJob } from '../watch-job.js';

export function submitCommand(program: Command): void {
  program
    .command('submit <workflow>')
    .description('Submit a job; with --wait, show its progress until it ends')
    .option('-f, --field <name=value>', 'a workflow field (repeatable); values are typed by the workflow', collect, [])
    .option('--fields <json>', 'all fields as one JSON object')
    .option('--site <site>', 'site to run at')
    .option('--queue <queue>', 'queue to join')
    .addOption(new Option('--priority <n>', 'higher runs first (-1000 to 1000)').argParser(parsePriority))
    .addOption(new Option('--run-at <when>', 'do not start before this time (ISO 8601, years 2000 to 9999)').argParser(parseRunAt))
    .option('--idempotency-key <key>', 'submitting the same key again answers the existing job')
    .option('-w, --wait', 'show progress until the job ends; exit 0 on success, 1 on failure, 2 on errors')
    .option('--json', 'print the job as JSON')
    .action(async (workflow: string, options, command: Command) => {
      const client = connect(command.optsWithGlobals<ConnectionFlags>());
      const fields = { ...(options.fields ? parseJsonObject(options.fields) : {}), ...(await typedFields(client, workflow, options.field)) };
      const job = await client.submit({
        workflow,
        fields,
        site: options.site,
        queue: options.queue,
        priority: options.priority,
        runAt: options.runAt,
        idempotencyKey: options.idempotencyKey,
      });
      if (!options.wait) {
        console.log(options.json ? JSON.stringify(job, null, 2) : `job ${job.id} ${job.state}: ${client.url}/jobs/${job.id}`);
        return;
      }
      const started = Date.now();
      const done = await watchJob(client, job.id);
      if (options.json) console.log(JSON.stringify(done, null, 2));
      else console.log(summary(done, client.url, Date.now() - started));
      process.exitCode = exitCodeFor(done);
    });
}

/** 0 when the job succeeded or had nothing to do, 2 when it completed with errors, 1 otherwise. */
export function exitCodeFor(job: Job): number {
  if (job.state === 'success' || job.state === 'skipped') return 0;
  if (job.state === 'error') return 2;
  return 1;
}

function summary(job: Job, url: string, elapsedMs: number): string {
  const outcome = job.outcome === 'changed' ? ' (modified)' : job.outcome === 'unchanged' ? ' (up to date)' : '';
  const tasks = Object.values(job.taskCounts).reduce((a, b) => a + b, 0);
  const items = job.itemCounts.completed + job.itemCounts.failed + job.itemCounts.skipped;
  const reason = job.reason ? `\n  reason: ${job.reason}` : '';
  return `job ${job.id} ${job.state}${outcome} after ${duration(elapsedMs)}: ${tasks} tasks, ${items} items (${job.itemCounts.failed} failed)${reason}\n  ${url}/jobs/${job.id}`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`--fields is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('--fields must be a JSON object');
  return value as Record<string, unknown>;
}

/** Turns `name=value` pairs into typed fields using the workflow's field schema from the hub. */
export async function typedFields(client: SwitchyardClient, workflow: string, pairs: string[]): Promise<Record<string, unknown>> {
  if (pairs.length === 0) return {};
  const known = (await client.workflows()).items.find((w) => w.name === workflow);
  const properties = ((known?.fieldsSchema as { properties?: Record<string, { type?: string | string[] }> })?.properties ?? {}) as Record<
    string,
    { type?: string | string[] }
  >;
  const fields: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--field takes name=value, not "${pair}"`);
    const name = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const types = [properties[name]?.type ?? 'string'].flat();
    fields[name] = coerce(raw, types);
  }
  return fields;
}

function coerce(raw: string, types: string[]): unknown {
  if ((types.includes('integer') || types.includes('number')) && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw);
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (types.includes('array') || types.includes('object')) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}
