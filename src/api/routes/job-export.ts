import { Readable } from 'node:stream';
import { z } from 'zod';
import { taskTallies } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { type JobDto, jobDto } from '../dto.js';
import { jobFilters } from '../schemas.js';
import { jobListQuery } from './jobs.js';

const COLUMNS: [string, (job: JobDto) => unknown][] = [
  ['id', (j) => j.id],
  ['workflow', (j) => j.workflow],
  ['state', (j) => j.state],
  ['outcome', (j) => j.outcome],
  ['reason', (j) => j.reason],
  ['site', (j) => j.site],
  ['queue', (j) => j.queue],
  ['creator', (j) => j.creator],
  ['createdAt', (j) => j.createdAt],
  ['startedAt', (j) => j.startedAt],
  ['endedAt', (j) => j.endedAt],
  ['updatedAt', (j) => j.updatedAt],
  ['progressPercent', (j) => j.progress.percent],
  ['tasksQueued', (j) => taskTallies(j.taskCounts).queued],
  ['tasksRunning', (j) => taskTallies(j.taskCounts).running],
  ['tasksSucceeded', (j) => taskTallies(j.taskCounts).succeeded],
  ['tasksFailed', (j) => taskTallies(j.taskCounts).failed],
  ['itemsCompleted', (j) => j.itemCounts.completed],
  ['itemsFailed', (j) => j.itemCounts.failed],
];

/**
 * The filtered job list as a download: CSV (opens in spreadsheets), JSON or NDJSON. Streams
 * page by page, so exporting a large history holds one page in memory, not the whole list.
 */
export function jobExportRoutes(app: App, { engine }: ApiContext): void {
  app.get('/jobs/export', {
    config: { access: 'viewer' },
    schema: {
      tags: ['jobs'],
      summary: 'Export the filtered job list',
      querystring: jobFilters.extend({ format: z.enum(['csv', 'json', 'ndjson']).default('csv') }),
    },
    handler: async (request, reply) => {
      const { format, ...filters } = request.query;
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      reply.header('content-disposition', `attachment; filename="switchyard-jobs-${stamp}.${format}"`);
      reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : format === 'json' ? 'application/json' : 'application/x-ndjson');
      const actor = request.actor;
      async function* lines(): AsyncGenerator<string> {
        let cursor: string | null = null;
        let first = true;
        if (format === 'csv') yield `${COLUMNS.map(([name]) => name).join(',')}\r\n`;
        if (format === 'json') yield '[';
        do {
          const page = await engine.reads.listJobs({ ...jobListQuery({ ...filters, limit: 500 }), cursor }, actor);
          // One chunk per page: a chunk per line costs the stream more than the lines do.
          let chunk = '';
          for (const job of page.items.map((j) => jobDto(j, engine.workflows))) {
            if (format === 'csv') chunk += `${COLUMNS.map(([, get]) => csvCell(get(job))).join(',')}\r\n`;
            else if (format === 'json') chunk += `${first ? '' : ','}\n${JSON.stringify(job)}`;
            else chunk += `${JSON.stringify(job)}\n`;
            first = false;
          }
          if (chunk) yield chunk;
          cursor = page.nextCursor;
        } while (cursor);
        if (format === 'json') yield '\n]\n';
      }
      return reply.send(Readable.from(lines()));
    },
  });
}

/**
 * Quotes a CSV cell and neutralises any cell a spreadsheet could run as a formula (CSV injection):
 * one whose first non-blank character is = + - or @, one that starts with a tab, CR or LF, or one
 * with a line break followed by such a character (some spreadsheets evaluate each line) gets a
 * leading `'`, which spreadsheets read as "text". Numbers, and strings that are plain decimal
 * numbers such as "-12.5", are left as they are: a negative number is a value, not a formula.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  const isNumber = (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint' || /^-?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i.test(text); // "-3", "0.25", "-1.5e-7"
  if (!isNumber && (/^[ \t\r\n]*[=+\-@]/.test(text) || /^[\t\r\n]/.test(text) || /[\r\n][ \t\r\n]*[=+\-@]/.test(text))) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
