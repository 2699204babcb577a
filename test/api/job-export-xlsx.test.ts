import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';

/** GET /jobs/export?format=xlsx (streamed workbook) and GET /jobs/total, over HTTP. */
describe('jobs export as XLSX and the list total', () => {
  let hub: RunningHub;
  const ids: number[] = [];

  beforeAll(async () => {
    hub = await startTestHub();
    for (let i = 0; i < 12; i++) {
      const queue = i % 3 === 0 ? 'nightly' : 'default';
      const response = await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow: 'simulate', fields: { items: 0, tasks: 1, delayMs: 0 }, queue } });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { id: number }).id);
    }
  });

  afterAll(async () => {
    await hub?.close();
  });

  const workbookOf = async (query: string) => {
    const response = await hub.api(`/api/v1/jobs/export?${query}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="switchyard-jobs-.*\.xlsx"/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.read(Readable.fromWeb(response.body as never));
    const sheet = workbook.getWorksheet('Jobs');
    if (!sheet) throw new Error('no Jobs sheet');
    const rows: unknown[][] = [];
    sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    return rows;
  };

  it('writes the filtered list as a workbook: the CSV columns, typed cells, one row a job', async () => {
    const rows = await workbookOf('format=xlsx');
    const csvHeader = (await (await hub.api('/api/v1/jobs/export?format=csv')).text()).split('\r\n')[0].split(',');
    expect(rows[0]).toEqual(csvHeader);
    expect(rows.slice(1).map((r) => r[0])).toEqual([...ids].reverse());
    const header = rows[0] as string[];
    const first = rows[1];
    expect(first[header.indexOf('workflow')]).toBe('simulate');
    expect(first[header.indexOf('createdAt')]).toBeInstanceOf(Date);
    expect(typeof first[header.indexOf('progressPercent')]).toBe('number');
    // No job fields among the columns: secret field values can never land in the sheet.
    expect(header).not.toContain('fields');
  });

  it('keeps to the same filters and order as the list', async () => {
    const rows = await workbookOf('format=xlsx&queue=nightly&sort=id');
    const nightly = ids.filter((_, i) => i % 3 === 0);
    expect(rows.slice(1).map((r) => r[0])).toEqual(nightly);
    const none = await workbookOf('format=xlsx&workflow=nothing-like-this');
    expect(none).toHaveLength(1);
  });

  it('answers the total for a filter, exact under 10,000', async () => {
    const total = async (query: string) => {
      const response = await hub.api(`/api/v1/jobs/total?${query}`);
      return { status: response.status, body: await response.json() };
    };
    expect(await total('')).toEqual({ status: 200, body: { count: 12, exact: true } });
    expect(await total('queue=nightly')).toEqual({ status: 200, body: { count: 4, exact: true } });
    expect((await total('q=nothing-like-this')).body).toEqual({ count: 0, exact: true });
    expect((await total('site=elsewhere')).body).toEqual({ count: 0, exact: true });
    expect((await total('state=nonsense')).status).toBe(400);
    expect((await total('createdFrom=yesterday')).status).toBe(400);
    expect((await hub.api('/api/v1/jobs/total', { token: null })).status).toBe(401);
  });

  it('exports every job once, in list order, across many pages (CSV, NDJSON and XLSX)', async () => {
    const response = await hub.api('/api/v1/jobs/bulk', {
      method: 'POST',
      json: { jobs: Array.from({ length: 450 }, () => ({ workflow: 'simulate', queue: 'paged', fields: { items: 0, tasks: 1, delayMs: 0 } })) },
    });
    expect(response.status).toBe(201);
    const listed: number[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (await hub.api(`/api/v1/jobs?queue=paged&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()) as {
        items: { id: number }[];
        nextCursor: string | null;
      };
      listed.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toHaveLength(450);
    const csv = (await (await hub.api('/api/v1/jobs/export?format=csv&queue=paged')).text()).trim().split('\r\n');
    expect(csv.slice(1).map((line) => Number(line.split(',')[0]))).toEqual(listed);
    const ndjson = (await (await hub.api('/api/v1/jobs/export?format=ndjson&queue=paged')).text()).trim().split('\n');
    expect(ndjson.map((line) => (JSON.parse(line) as { id: number }).id)).toEqual(listed);
    expect((await workbookOf('format=xlsx&queue=paged')).slice(1).map((row) => row[0])).toEqual(listed);
  });
});
