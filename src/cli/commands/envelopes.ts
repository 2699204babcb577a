import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { type Command, Option } from 'commander';
import type { Envelope, EnvelopeDetail, EnvelopeEvent, SwitchyardClient } from '../../client/client.js';
import { type ConnectionFlags, connect } from '../connection.js';
import { since, table } from '../format.js';
import { parseLimit } from '../options.js';
import { addSubscribeCommand } from './subscriptions.js';

const POLL_MS = 300;
/** Statuses an envelope moves on from by itself. */
const MOVING = new Set(['active', 'errors-active', 'rolling-back']);
const MEDIA: Record<string, string> = { '.csv': 'text/csv', '.json': 'application/json', '.txt': 'text/plain', '.xml': 'application/xml' };

/** `envelopes submit|list|show|history|cancel|retry|rollback|delete`. */
export function envelopesCommand(program: Command): void {
  const envelopes = program.command('envelopes').description('Submit, watch, cancel, roll back and delete envelopes (jobs of one submission, chained)');
  const client = (command: Command) => connect(command.optsWithGlobals<ConnectionFlags>());

  addSubscribeCommand(
    envelopes,
    'envelope',
    'Be told when an envelope ends (--on failure: with errors, or corrupt): by e-mail, signed webhook or in the console',
    (api, id, input) => api.subscribeEnvelope(id, input),
  );

  envelopes
    .command('submit <file>')
    .description('Upload a file as an envelope of type --type; with --wait, follow it until it ends')
    .option('-t, --type <type>', 'envelope type (built in: jobs, a JSON list of { workflow, fields, site?, queue? })', 'jobs')
    .option('--site <site>', 'site the envelope (and its jobs, unless they name one) belong to')
    .option('--queue <queue>', 'queue its jobs join unless they name one')
    .option('--idempotency-key <key>', 'submitting the same key again answers the existing envelope')
    .option('--content-type <type>', "the file's media type (default: from its extension)")
    .option('-w, --wait', 'follow the envelope until it ends; exit 0 on success, 1 otherwise')
    .option('--json', 'print JSON')
    .action(async (file: string, options, command: Command) => {
      const api = client(command);
      const content = await readFile(file).catch((error: NodeJS.ErrnoException) => {
        throw new Error(`cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.code === 'EISDIR' ? 'it is a directory' : error.message}`);
      });
      const envelope = await api.uploadEnvelope({
        type: options.type,
        site: options.site,
        queue: options.queue,
        idempotencyKey: options.idempotencyKey,
        file: { name: basename(file), content, contentType: options.contentType ?? MEDIA[extname(file).toLowerCase()] ?? 'application/octet-stream' },
      });
      if (envelope.status === 'corrupt') {
        console.error(`envelope ${envelope.id} is corrupt: ${envelope.reason}`);
        process.exitCode = 1;
        if (options.json) console.log(JSON.stringify(envelope, null, 2));
        return;
      }
      const final = options.wait ? await watchEnvelope(api, envelope.id) : envelope;
      console.log(options.json ? JSON.stringify(final, null, 2) : summary(final, api.url));
      if (options.wait) process.exitCode = final.status === 'success' || final.status === 'rolled-back' ? 0 : 1;
    });

  envelopes
    .command('list')
    .description('Envelopes, newest first')
    .option('--status <statuses>', 'comma-separated statuses')
    .option('--type <types>', 'comma-separated types')
    .option('--site <sites>', 'comma-separated sites')
    .option('--creator <names>', 'comma-separated submitters')
    .option('--created-from <instant>', 'created at or after (ISO 8601)')
    .option('--created-to <instant>', 'created at or before (ISO 8601)')
    .addOption(new Option('--limit <n>', 'how many (1 to 500)').argParser(parseLimit).default(20))
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const page = await client(command).listEnvelopes({
        status: options.status,
        type: options.type,
        site: options.site,
        creator: options.creator,
        createdFrom: options.createdFrom,
        createdTo: options.createdTo,
        limit: options.limit,
      });
      if (options.json) return console.log(JSON.stringify(page, null, 2));
      if (page.items.length === 0) return console.log('no envelopes');
      console.log(table(page.items.map(row), ['id', 'type', 'status', 'file', 'site', 'creator', 'created', 'jobs', 'reason']));
    });

  envelopes
    .command('show <id>')
    .description('One envelope with its jobs in order')
    .option('--json', 'print JSON')
    .action(async (id: string, options, command: Command) => {
      const api = client(command);
      const envelope = await api.getEnvelope(envelopeId(id));
      if (options.json) return console.log(JSON.stringify(envelope, null, 2));
      console.log(detail(envelope, api.url));
    });

  envelopes
    .command('history <id>')
    .description("An envelope's history, oldest first: its status changes and its jobs' state changes")
    .option('--json', 'print JSON')
    .action(async (id: string, options, command: Command) => {
      const { items } = await client(command).envelopeEvents(envelopeId(id));
      if (options.json) return console.log(JSON.stringify(items, null, 2));
      if (items.length === 0) return console.log('no events');
      for (const event of items) console.log(`${event.at}  ${describeEvent(event)}`);
    });

  envelopes
    .command('cancel <id>')
    .description('Cancel an envelope: no further job starts, running ones are cancelled')
    .action(async (id: string, _options, command: Command) => {
      const envelope = await client(command).cancelEnvelope(envelopeId(id));
      console.log(`envelope ${envelope.id} ${envelope.status}`);
    });

  envelopes
    .command('retry <id>')
    .description('Run the jobs of an envelope that ended with errors (or was cancelled) again, chained as before')
    .action(async (id: string, _options, command: Command) => {
      const envelope = await client(command).retryEnvelope(envelopeId(id));
      console.log(`envelope ${envelope.id} ${envelope.status}`);
    });

  envelopes
    .command('rollback <id>')
    .description('Roll an envelope back (its compensations run newest first); again after a failed rollback')
    .option('-w, --wait', 'follow the rollback until it ends; exit 0 when rolled back, 1 otherwise')
    .action(async (id: string, options, command: Command) => {
      const api = client(command);
      const envelope = await api.rollbackEnvelope(envelopeId(id));
      if (!options.wait) return console.log(`envelope ${envelope.id} ${envelope.status} (rollback job ${envelope.rollbackJobId})`);
      const final = await watchEnvelope(api, envelope.id);
      console.log(summary(final, api.url));
      process.exitCode = final.status === 'rolled-back' ? 0 : 1;
    });

  envelopes
    .command('delete <id>')
    .description('Delete an envelope that is through, with its jobs and its rollback job (admin)')
    .action(async (id: string, _options, command: Command) => {
      await client(command).deleteEnvelope(envelopeId(id));
      console.log(`envelope ${id} deleted`);
    });
}

/** One line for an event of an envelope's history. */
export function describeEvent(event: EnvelopeEvent): string {
  const d = event.data as Record<string, string | number | undefined>;
  const reason = d.reason ? `: ${d.reason}` : '';
  switch (event.type) {
    case 'envelope:created':
      return `envelope created (${d.type}, ${d.jobs} jobs)`;
    case 'envelope:status:changed':
      return `envelope ${d.from} → ${d.to}${reason}`;
    case 'job:created':
      return `job ${event.jobId} (${d.workflow}) created ${d.state}`;
    case 'job:state:changed':
      return `job ${event.jobId} (${d.workflow}) ${d.from} → ${d.to}${reason}`;
    default:
      return `${event.type}${event.jobId ? ` job ${event.jobId}` : ''}`;
  }
}

function envelopeId(text: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`not an envelope id: ${text}`);
  return id;
}

/** Follows an envelope until it stops moving, one line per change (on stderr). */
async function watchEnvelope(api: SwitchyardClient, id: number): Promise<EnvelopeDetail> {
  let last = '';
  for (;;) {
    const envelope = await api.getEnvelope(id);
    const current = envelope.jobs.find((j) => !['success', 'error', 'failure', 'skipped', 'cancelled', 'unknown'].includes(j.state));
    const line = `envelope ${id} ${envelope.status} ${envelope.progress.done}/${envelope.progress.total} jobs${current ? ` — job ${current.id} ${current.workflow} ${current.state}` : ''}`;
    if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
    if (!MOVING.has(envelope.status)) return envelope;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function row(e: Envelope) {
  return {
    id: e.id,
    type: e.type,
    status: e.status,
    file: e.fileName ?? '',
    site: e.site,
    creator: e.creator,
    created: since(e.createdAt),
    jobs: `${e.progress.done}/${e.progress.total}`,
    reason: e.reason ?? '',
  };
}

function summary(e: Envelope, url: string): string {
  return `envelope ${e.id} ${e.status}: ${e.progress.done}/${e.progress.total} jobs${e.reason ? ` — ${e.reason}` : ''}\n  ${url}/envelopes/${e.id}`;
}

function detail(e: EnvelopeDetail, url: string): string {
  const lines = [
    `envelope ${e.id}  ${e.type}${e.fileName ? ` (${e.fileName})` : ''}`,
    `  status:   ${e.status}${e.reason ? ` — ${e.reason}` : ''}`,
    `  site:     ${e.site}   queue: ${e.queue}   creator: ${e.creator}   on error: ${e.onError}`,
    `  created:  ${since(e.createdAt)}   updated: ${since(e.updatedAt)}   ended: ${since(e.endedAt)}`,
    `  jobs:     ${e.progress.done}/${e.progress.total} done`,
    ...(e.rollbackJob ? [`  rollback: job ${e.rollbackJob.id} ${e.rollbackJob.state}`] : []),
    '',
    table(
      e.jobs.map((j) => ({
        id: j.id,
        workflow: j.workflow,
        state: j.state,
        after: j.after.join(','),
        started: since(j.startedAt),
        reason: (j.waitReason as { message?: string } | null)?.message ?? j.reason ?? '',
      })),
      ['id', 'workflow', 'state', 'after', 'started', 'reason'],
    ),
    `  ${url}/envelopes/${e.id}`,
  ];
  return lines.join('\n');
}
