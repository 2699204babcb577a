import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { builtInWorkflows } from '../../src/workflows/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';

/**
 * The transfer routes of the worker protocol (/api/v1/worker/transfers/...): who may touch a
 * job's blobs, resumable uploads, sha256 checked before a blob counts, size caps, Range
 * downloads, and hostile input answered 4xx. No worker runs: the job's tasks stay queued.
 */
const transfer = defineWorkflow({
  name: 'transfer',
  fields: z.object({ to: z.string() }),
  plan: (fields) => [
    { type: 'export', key: 'export' },
    { type: 'import', key: 'import', after: ['export'], site: fields.to },
  ],
  tasks: { export: () => ({ changed: true }), import: () => ({ changed: true }) },
});

describe('transfer routes', () => {
  let hub: RunningHub;
  let jobId = 0;
  const tokens: Record<string, string> = {};
  const data = randomBytes(3 * 1024 * 1024 + 11);
  const sha = createHash('sha256').update(data).digest('hex');
  const blob = (id = jobId, digest = sha) => `/api/v1/worker/transfers/${id}/${digest}`;
  const json = async (response: Response) => ({ status: response.status, body: await response.json().catch(() => null) });
  const status = async (token = tokens['worker-a'], id = jobId, digest = sha) => json(await hub.api(`${blob(id, digest)}/status`, { token }));
  const put = async (bytes: Uint8Array, query: string, token = tokens['worker-a'], digest = sha, id = jobId) =>
    json(
      await hub.api(`${blob(id, digest)}?${query}`, {
        method: 'PUT',
        token,
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes as unknown as BodyInit,
      }),
    );
  const download = (headers: Record<string, string> = {}, token = tokens['worker-b'], digest = sha) => hub.api(blob(jobId, digest), { token, headers });

  beforeAll(async () => {
    hub = await startTestHub({ localWorker: false, workflows: [...builtInWorkflows, transfer] });
    for (const [name, role, sites] of [
      ['worker-a', 'worker', ['a']],
      ['worker-b', 'worker', ['b']],
      ['worker-c', 'worker', ['c']],
      ['op-a', 'operator', ['a']],
    ] as const) {
      tokens[name] = (await json(await hub.api('/api/v1/tokens', { method: 'POST', json: { name, role, sites } }))).body.token;
    }
    for (const site of ['a', 'b', 'c']) {
      const answer = await hub.api('/api/v1/worker/register', {
        method: 'POST',
        token: tokens[`worker-${site}`],
        json: { id: `w-${site}`, name: `w-${site}`, site, host: 'test', workflows: ['transfer'] },
      });
      expect(answer.status).toBe(200);
    }
    const submitted = await json(await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow: 'transfer', site: 'a', fields: { to: 'b' } } }));
    expect(submitted.status).toBe(201);
    jobId = submitted.body.id;
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('lets only workers of the job’s sites touch its blobs', async () => {
    expect((await status()).body).toEqual({ received: 0, complete: false });
    expect((await status(tokens['worker-b'])).status).toBe(200);
    expect((await status(tokens['worker-c'])).status).toBe(404);
    expect((await status(tokens['op-a'])).status).toBe(403);
    expect((await status(null as unknown as string)).status).toBe(401);
    expect((await put(data.subarray(0, 10), `size=${data.length}`, tokens['worker-c'])).status).toBe(404);
    expect((await download({}, tokens['worker-c'])).status).toBe(404);
    expect((await status(tokens['worker-a'], 987_654)).status).toBe(404);
  });

  it('resumes an upload from what the hub holds, checks the sha256, then serves whole and ranged downloads', async () => {
    const half = 1024 * 1024;
    expect((await put(data.subarray(0, half), `size=${data.length}&offset=0`)).body).toEqual({ received: half, complete: false });
    expect((await status()).body).toEqual({ received: half, complete: false });
    // Not where the hub is: refused, naming where it is.
    const wrong = await put(data.subarray(0, 10), `size=${data.length}&offset=0`);
    expect(wrong.status).toBe(409);
    expect(wrong.body).toMatchObject({ error: { code: 'SWY_ERR_TRANSFER_OFFSET' }, received: half });
    // Not downloadable until complete.
    expect((await download()).status).toBe(404);
    expect((await put(data.subarray(half), `size=${data.length}&offset=${half}`)).body).toEqual({ received: data.length, complete: true });
    expect((await status(tokens['worker-b'])).body).toEqual({ received: data.length, complete: true });
    // Putting it again is a no-op.
    expect((await put(data.subarray(0, 1), `size=${data.length}&offset=0`)).body).toEqual({ received: data.length, complete: true });

    const whole = await download();
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(data)).toBe(true);
    const part = await download({ range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${data.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(10, 20))).toBe(true);
    const tail = await download({ range: 'bytes=-5' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(data.subarray(data.length - 5))).toBe(true);
    const open = await download({ range: `bytes=${data.length - 3}-` });
    expect(Buffer.from(await open.arrayBuffer()).equals(data.subarray(data.length - 3))).toBe(true);
    const past = await download({ range: `bytes=0-${data.length * 2}` });
    expect(past.status).toBe(206);
    expect((await past.arrayBuffer()).byteLength).toBe(data.length);
    for (const range of [`bytes=${data.length}-`, 'bytes=5-2', 'bytes=0-1,4-5', 'bytes=-0', 'bytes=-', 'items=0-1', 'bytes=99999999999999999999-', 'garbage']) {
      const answer = await json(await download({ range }));
      expect(answer.status, range).toBe(416);
      expect(answer.body.error.code).toBe('SWY_ERR_TRANSFER_RANGE');
    }
  });

  it('discards bytes whose sha256 is not the blob’s name', async () => {
    const liar = createHash('sha256').update('something else').digest('hex');
    const answer = await put(data.subarray(0, 100), 'size=100&offset=0', tokens['worker-a'], liar);
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('SWY_ERR_TRANSFER_CORRUPT');
    expect((await status(tokens['worker-a'], jobId, liar)).body).toEqual({ received: 0, complete: false });
    expect((await download({}, tokens['worker-b'], liar)).status).toBe(404);
  });

  it('refuses bodies past the declared size, sizes over the cap, and malformed names and numbers', async () => {
    const small = createHash('sha256').update(data.subarray(0, 10)).digest('hex');
    const over = await put(data.subarray(0, 20), 'size=10&offset=0', tokens['worker-a'], small);
    expect(over.status).toBe(413);
    expect((await status(tokens['worker-a'], jobId, small)).body).toEqual({ received: 0, complete: false });
    expect((await put(data.subarray(0, 1), `size=${2 ** 50}&offset=0`, tokens['worker-a'], small)).status).toBe(413);
    for (const query of ['size=-1', 'size=abc', 'size=10&offset=11', 'offset=0', 'size=1e400']) {
      expect((await put(data.subarray(0, 1), query, tokens['worker-a'], small)).status, query).toBe(400);
    }
    expect((await status(tokens['worker-a'], jobId, 'XYZ')).status).toBe(400);
    expect((await status(tokens['worker-a'], jobId, sha.toUpperCase())).status).toBe(400);
    expect((await json(await hub.api(`/api/v1/worker/transfers/abc/${sha}/status`, { token: tokens['worker-a'] }))).status).toBe(400);
    expect((await json(await hub.api(`/api/v1/worker/transfers/-1/${sha}/status`, { token: tokens['worker-a'] }))).status).toBe(400);
    // A JSON body is not parsed, just bytes: the sha256 decides.
    const asJson = await json(
      await hub.api(`${blob(jobId, small)}?size=10&offset=0`, {
        method: 'PUT',
        token: tokens['worker-a'],
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      }),
    );
    expect(asJson.status).toBe(200);
    expect(asJson.body).toEqual({ received: 7, complete: false });
  });

  it('keeps what arrived of an upload cut off midway, and takes the rest', async () => {
    const bytes = randomBytes(4 * 1024 * 1024);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const url = new URL(`${hub.url}${blob(jobId, digest)}?size=${bytes.length}&offset=0`);
    await new Promise<void>((resolve) => {
      const req = httpRequest(url, {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokens['worker-a']}`, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      });
      req.on('error', () => resolve());
      req.write(bytes.subarray(0, 1024 * 1024), () => setTimeout(() => req.destroy(), 200));
      req.on('close', () => resolve());
    });
    let received = 0;
    await expect
      .poll(
        async () => {
          const now = (await status(tokens['worker-a'], jobId, digest)).body.received as number;
          const answer = await put(bytes.subarray(now), `size=${bytes.length}&offset=${now}`, tokens['worker-a'], digest);
          if (answer.status === 200) received = now;
          return answer.body;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toEqual({ received: bytes.length, complete: true });
    expect(received).toBeGreaterThan(0);
  });

  it('takes no upload once the job ended, and removes its blobs', async () => {
    const dir = join(hub.dataDir, 'transfers', String(jobId));
    expect(existsSync(dir)).toBe(true);
    expect((await hub.api(`/api/v1/jobs/${jobId}/cancel`, { method: 'POST' })).status).toBe(200);
    await expect.poll(async () => (await hub.job(jobId))?.state, { timeout: 15_000 }).toBe('cancelled');
    await expect.poll(() => existsSync(dir), { timeout: 15_000 }).toBe(false);
    const late = await put(data.subarray(0, 1), `size=${data.length}&offset=0`);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('SWY_ERR_JOB_STATE');
    expect((await download()).status).toBe(404);
  });
});
