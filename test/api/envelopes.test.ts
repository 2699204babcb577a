import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEnvelope, defineWorkflow, EnvelopeInputError, z } from '../../src/index.js';
import { builtInWorkflows } from '../../src/workflows/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';

/** A workflow whose one task "writes" a record and whose compensation "deletes" it, in a log the test reads. */
const undone: string[] = [];
const stamp = defineWorkflow({
  name: 'stamp',
  fields: z.object({ name: z.string().min(1), fail: z.boolean().default(false) }),
  plan: (fields) => [{ type: 'write', input: { name: fields.name } }],
  retry: { maxAttempts: 1 },
  tasks: {
    write(ctx) {
      if (ctx.job.fields.fail) throw new Error('cannot write');
      ctx.item(`/records/${ctx.job.fields.name}`, { operation: 'write', outcome: 'completed' });
      return { changed: true, result: { wrote: ctx.job.fields.name } };
    },
  },
  rollback: {
    write(ctx, original) {
      undone.push((original.result as { wrote: string }).wrote);
      for (const item of original.items) ctx.item(item.path, { operation: 'delete', outcome: 'completed' });
      return { changed: true };
    },
  },
});

/** A CSV envelope type: `name,fail` per line, chained in order. */
const stampCsv = defineEnvelope({
  name: 'stamp-csv',
  accepts: ['text/csv'],
  parse(input) {
    if (input.kind !== 'file') throw new EnvelopeInputError('upload a CSV file');
    const lines = input.text.split('\n').filter((line) => line.trim() !== '');
    return lines.slice(1).map((line, i) => {
      const [name, fail] = line.split(',');
      if (!name) throw new EnvelopeInputError('name: required', { line: i + 2, field: 'name' });
      return { workflow: 'stamp', fields: { name, fail: fail === 'yes' }, line: i + 2 };
    });
  },
});

describe('envelopes over HTTP', () => {
  let hub: RunningHub;
  const json = async (response: Response) => ({ status: response.status, body: await response.json().catch(() => null) });
  const post = async (path: string, body?: unknown) => json(await hub.api(`/api/v1${path}`, { method: 'POST', json: body }));
  const get = async (path: string) => json(await hub.api(`/api/v1${path}`));
  const del = async (path: string) => {
    const response = await hub.api(`/api/v1${path}`, { method: 'DELETE' });
    return { status: response.status, body: response.status === 204 ? null : await response.json().catch(() => null) };
  };
  const upload = async (fields: Record<string, string>, file: { name: string; type: string; text: string }) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    form.append('file', new Blob([file.text], { type: file.type }), file.name);
    return json(await hub.api('/api/v1/envelopes', { method: 'POST', body: form }));
  };
  /** Polls the envelope until `until` holds (generous bound; each read is a state check, not a sleep-and-assume). */
  const waitEnvelope = async (id: number, until: (e: { status: string }) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await get(`/envelopes/${id}`);
      if (until(body)) return body;
      if (Date.now() > deadline) throw new Error(`envelope ${id} stayed ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    hub = await startTestHub({ workflows: [...builtInWorkflows, stamp, stampCsv] });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('chains a JSON list of jobs, then rolls them back newest first', async () => {
    undone.length = 0;
    const created = await post('/envelopes', {
      type: 'jobs',
      jobs: ['a', 'b', 'c'].map((name) => ({ workflow: 'stamp', fields: { name } })),
      idempotencyKey: 'json-1',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ type: 'jobs', status: 'active', progress: { done: 0, total: 3 } });
    const id = created.body.id as number;
    const again = await post('/envelopes', { type: 'jobs', jobs: [{ workflow: 'stamp', fields: { name: 'x' } }], idempotencyKey: 'json-1' });
    expect(again).toMatchObject({ status: 200, body: { id } });

    const done = await waitEnvelope(id, (e) => e.status === 'success');
    expect(done.jobs.map((j: { state: string }) => j.state)).toEqual(['success', 'success', 'success']);
    expect(done.jobs[1].after).toEqual([done.jobs[0].id]);
    const [a, b, c] = done.jobs.map((j: { startedAt: string; endedAt: string }) => j);
    expect(Date.parse(b.startedAt)).toBeGreaterThanOrEqual(Date.parse(a.endedAt));
    expect(Date.parse(c.startedAt)).toBeGreaterThanOrEqual(Date.parse(b.endedAt));

    const rolling = await post(`/envelopes/${id}/rollback`);
    expect(rolling.status, JSON.stringify(rolling.body)).toBe(200);
    const rolledBack = await waitEnvelope(id, (e) => e.status === 'rolled-back');
    expect(undone).toEqual(['c', 'b', 'a']);
    expect(rolledBack.rollbackJob).toMatchObject({ state: 'success', rollback: true, envelopeId: id });
    const items = await get(`/jobs/${rolledBack.rollbackJob.id}/items`);
    expect(items.body.items.map((i: { path: string; operation: string }) => `${i.operation} ${i.path}`).sort()).toEqual([
      'delete /records/a',
      'delete /records/b',
      'delete /records/c',
    ]);
    expect((await post(`/envelopes/${id}/rollback`)).body.error.code).toBe('SWY_ERR_ENVELOPE_STATE');

    const audit = await get(`/audit?target=envelope:${id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual(['envelope.rollback', 'envelope.submit']);

    const history = (await get(`/envelopes/${id}/events`)).body.items as { type: string; jobId: number | null; data: { to?: string } }[];
    expect(history[0]).toMatchObject({ type: 'envelope:created', at: expect.any(String) });
    expect(history.filter((e) => e.type === 'envelope:status:changed').map((e) => e.data.to)).toEqual(['success', 'rolling-back', 'rolled-back']);
    expect(history.filter((e) => e.type === 'job:state:changed' && e.data.to === 'success').map((e) => e.jobId)).toEqual([
      a.id,
      b.id,
      c.id,
      rolledBack.rollbackJob.id,
    ]);
    expect((await get('/envelopes/999999/events')).status).toBe(404);
  });

  it('reads an uploaded CSV with its own envelope type; a failure stops the rest', async () => {
    const created = await upload({ type: 'stamp-csv' }, { name: 'stamps.csv', type: 'text/csv', text: 'name,fail\none,no\ntwo,yes\nthree,no\n' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ fileName: 'stamps.csv', type: 'stamp-csv' });
    const ended = await waitEnvelope(created.body.id, (e) => e.status === 'errors');
    expect(ended.jobs.map((j: { state: string }) => j.state)).toEqual(['success', 'failure', 'cancelled']);
    expect(ended.reason).toMatch(/stopped: job \d+ \(stamp\) ended failure/);
    expect(ended.jobs[2].reason).toMatch(/stopped/);
  });

  it('records a corrupt file as corrupt, naming the line, and runs nothing', async () => {
    const bad = await upload({ type: 'stamp-csv' }, { name: 'bad.csv', type: 'text/csv', text: 'name,fail\none,no\n,yes\n' });
    expect(bad.status).toBe(201);
    expect(bad.body).toMatchObject({ status: 'corrupt', problem: { line: 3, field: 'name' }, progress: { total: 0 } });
    expect(bad.body.reason).toMatch(/line 3/);
    const notJson = await upload({ type: 'jobs' }, { name: 'jobs.json', type: 'application/json', text: '[\n{"workflow": "stamp"},\n{oops}\n]' });
    expect(notJson.body).toMatchObject({ status: 'corrupt', problem: { line: 3 } });
    const badFields = await post('/envelopes', {
      type: 'jobs',
      jobs: [
        { workflow: 'stamp', fields: { name: 'ok' } },
        { workflow: 'stamp', fields: { nme: 'typo' } },
      ],
    });
    expect(badFields.body).toMatchObject({ status: 'corrupt', problem: { entry: 1, field: 'fields.name' } });
    expect((await get(`/envelopes/${badFields.body.id}`)).body.jobs).toEqual([]);
    const wrongType = await upload({ type: 'stamp-csv' }, { name: 'x.json', type: 'application/json', text: '[]' });
    expect(wrongType).toMatchObject({ status: 400, body: { error: { code: 'SWY_ERR_VALIDATION' } } });
    expect((await post('/envelopes', { type: 'nope', data: [] })).body.error.code).toBe('SWY_ERR_ENVELOPE_TYPE_UNKNOWN');
    expect((await get('/envelopes/999999')).body.error.code).toBe('SWY_ERR_ENVELOPE_NOT_FOUND');
  });

  it('cancels a running envelope, refuses its rollback while it runs, and lists with filters', async () => {
    const created = await post('/envelopes', {
      type: 'jobs',
      jobs: [
        { workflow: 'simulate', fields: { tasks: 1, items: 200, delayMs: 50 } },
        { workflow: 'simulate', fields: { tasks: 1, items: 1, delayMs: 0 } },
      ],
    });
    const id = created.body.id as number;
    await waitEnvelope(id, (e) => (e as unknown as { jobs: { state: string }[] }).jobs[0].state === 'running');
    const refused = await post(`/envelopes/${id}/rollback`);
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'SWY_ERR_ENVELOPE_STATE' } } });
    expect(await del(`/envelopes/${id}`)).toMatchObject({ status: 409, body: { error: { code: 'SWY_ERR_ENVELOPE_STATE' } } });
    const waiting = (await get(`/envelopes/${id}`)).body.jobs[1];
    expect(waiting.waitReason).toMatchObject({ code: 'envelope', jobId: expect.any(Number) });
    expect((await post(`/envelopes/${id}/cancel`)).body.status).toBe('cancelled');
    const ended = await waitEnvelope(id, (e) => (e as unknown as { jobs: { state: string }[] }).jobs.every((j) => j.state === 'cancelled'));
    expect(ended.status).toBe('cancelled');
    const list = await get('/envelopes?status=cancelled&type=jobs');
    expect(list.body.items.map((e: { id: number }) => e.id)).toContain(id);
    expect((await get('/envelopes?status=corrupt')).body.items.every((e: { status: string }) => e.status === 'corrupt')).toBe(true);

    // Once through, it is deleted with its jobs, audited.
    const jobIds = ended.jobs.map((j: { id: number }) => j.id) as number[];
    expect((await del(`/envelopes/${id}`)).status).toBe(204);
    expect((await get(`/envelopes/${id}`)).body.error.code).toBe('SWY_ERR_ENVELOPE_NOT_FOUND');
    for (const jobId of jobIds) expect((await get(`/jobs/${jobId}`)).status).toBe(404);
    expect((await get('/envelopes?status=cancelled')).body.items.map((e: { id: number }) => e.id)).not.toContain(id);
    const audit = await get(`/audit?target=envelope:${id}`);
    expect(audit.body.items[0]).toMatchObject({ action: 'envelope.delete', data: { status: 'cancelled', jobs: 2 } });
    expect((await del('/envelopes/999999')).status).toBe(404);
  });

  it('rolls back one finished job as a rollback job linked to it', async () => {
    undone.length = 0;
    const job = await post('/jobs', { workflow: 'stamp', fields: { name: 'solo' } });
    const deadline = Date.now() + 30_000;
    while ((await get(`/jobs/${job.body.id}`)).body.state !== 'success') {
      if (Date.now() > deadline) throw new Error('job did not finish');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const rollback = await post(`/jobs/${job.body.id}/rollback`);
    expect(rollback).toMatchObject({ status: 201, body: { rollback: true, rollbackOf: job.body.id } });
    while ((await get(`/jobs/${rollback.body.id}`)).body.state !== 'success') {
      if (Date.now() > deadline) throw new Error('rollback did not finish');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(undone).toEqual(['solo']);
  });
});
