import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { z } from 'zod';
import { taskTallies } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { CallerLimit } from '../caller-limit.js';
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

/** Columns holding instants: written to XLSX as dates, not text. */
const DATE_COLUMNS = new Set(['createdAt', 'startedAt', 'endedAt', 'updatedAt']);
/**
 * Jobs read at a time for CSV and JSON. A page of PostgreSQL rows lives across the await of the
 * next read, long enough to be promoted to the old heap: at 300,000 jobs the hub's RSS rose by
 * 111–137 MB with pages of 500, 22–74 MB with 200 (a million: +95 MB, against +168), in the
 * same time. SQLite's growth (its page cache) did not change.
 */
const PAGE = 200;
/**
 * Jobs read at a time for XLSX: a page lives until the zip has taken its rows, long enough for
 * V8 to move it to the old heap, where it waits for a full collection. Smaller pages keep the
 * process's memory down (200,000 jobs: +157 MB of such garbage at 500, +77 MB at 100).
 */
const XLSX_PAGE = 100;

const TYPES = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * The filtered job list as a download: CSV (opens in spreadsheets), XLSX, JSON or NDJSON.
 * Streams page by page, so exporting a large history holds one page in memory, not the whole list.
 */
export function jobExportRoutes(app: App, { engine }: ApiContext): void {
  // An export of a million jobs reads for a minute: a few at once per caller, and in all.
  const exports = new CallerLimit('exports', 3, 12);
  app.get('/jobs/export', {
    config: { access: 'viewer' },
    schema: {
      tags: ['jobs'],
      summary: 'Export the filtered job list',
      querystring: jobFilters.extend({ format: z.enum(['csv', 'json', 'ndjson', 'xlsx']).default('csv') }),
    },
    handler: async (request, reply) => {
      const { format, ...filters } = request.query;
      const release = exports.take(request.actor.ref);
      reply.raw.once('close', release);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      reply.header('content-disposition', `attachment; filename="switchyard-jobs-${stamp}.${format}"`);
      reply.type(TYPES[format]);
      const actor = request.actor;
      async function* jobs(limit: number): AsyncGenerator<JobDto[]> {
        let cursor: string | null = null;
        do {
          const page = await engine.reads.listJobs({ ...jobListQuery({ ...filters, limit }), cursor }, actor);
          yield page.items.map((j) => jobDto(j, engine.workflows));
          cursor = page.nextCursor;
        } while (cursor);
      }
      if (format === 'xlsx') return reply.send(xlsxStream(jobs(XLSX_PAGE), (error) => request.log.error({ err: error }, 'XLSX export failed')));
      async function* lines(): AsyncGenerator<string> {
        let first = true;
        if (format === 'csv') yield `${COLUMNS.map(([name]) => name).join(',')}\r\n`;
        if (format === 'json') yield '[';
        for await (const page of jobs(PAGE)) {
          // One chunk per page: a chunk per line costs the stream more than the lines do.
          let chunk = '';
          for (const job of page) {
            if (format === 'csv') chunk += `${COLUMNS.map(([, get]) => csvCell(get(job))).join(',')}\r\n`;
            else if (format === 'json') chunk += `${first ? '' : ','}\n${JSON.stringify(job)}`;
            else chunk += `${JSON.stringify(job)}\n`;
            first = false;
          }
          if (chunk) yield chunk;
        }
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

/**
 * The pages of jobs as one XLSX sheet, written by exceljs's streaming writer: each row is
 * committed as it is added, and the next page is read only once the download has taken the
 * bytes so far (the response's buffer drained), so memory stays flat however many jobs match.
 * Cells are typed (numbers, dates) and strings are stored as text, never as formulas.
 */
function xlsxStream(pages: AsyncGenerator<JobDto[]>, onError: (error: unknown) => void): PassThrough {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet('Jobs', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = COLUMNS.map(([name]) => ({
    header: name,
    key: name,
    width: DATE_COLUMNS.has(name) ? 22 : Math.max(10, name.length + 2),
    ...(DATE_COLUMNS.has(name) ? { style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } } : {}),
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  const cell = (name: string, value: unknown): ExcelJS.CellValue => {
    if (value === null || value === undefined) return null;
    if (DATE_COLUMNS.has(name) && typeof value === 'string') return new Date(value);
    if (typeof value === 'number' || typeof value === 'boolean') return value;
    return String(value);
  };
  void (async () => {
    // One listener for the whole export: a race per wait would leave one behind each time.
    const closed = once(out, 'close').catch(() => undefined);
    try {
      for await (const page of pages) {
        for (const job of page) sheet.addRow(COLUMNS.map(([name, get]) => cell(name, get(job)))).commit();
        // Let the zip take the rows, then wait while it compresses, or while the client is slower
        // than the reads: either way the rows not yet taken wait in memory.
        await new Promise((resolve) => setImmediate(resolve));
        const entry = sheetEntryInput(sheet);
        while (entry?._writableState.needDrain && !out.destroyed) await Promise.race([once(entry, 'drain'), closed]);
        while (out.writableNeedDrain && !out.destroyed) await Promise.race([once(out, 'drain'), closed]);
        if (out.destroyed) return;
      }
      sheet.commit();
      await workbook.commit();
    } catch (error) {
      onError(error);
      out.destroy(error as Error);
    }
  })();
  return out;
}

/**
 * The stream the zip's deflater reads the sheet's XML from, or null when exceljs is not built as
 * this expects (then only the response's own buffer throttles the export). exceljs's StreamBuf
 * writes each 64 KB of rows into it without heeding its answer: when deflate runs slower than the
 * rows are made, the XML piles up there (about 1 KB a job: +169 MB at 200,000 jobs before this
 * waited for it). Its `_writableState` is readable-stream 3's, the same fields as Node's.
 */
function sheetEntryInput(sheet: unknown): EntryInput | null {
  const target = (sheet as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes?.[0] as Partial<EntryInput> | undefined;
  return target && typeof target.once === 'function' && typeof target._writableState?.needDrain === 'boolean' ? (target as EntryInput) : null;
}

/** The part of a readable-stream 3 Writable that sheetEntryInput reads. */
type EntryInput = NodeJS.EventEmitter & { _writableState: { needDrain: boolean } };
