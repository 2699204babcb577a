import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerPort } from '../../src/engine/ports.js';
import { defineWorkflow, z } from '../../src/index.js';
import { partialPathFor } from '../../src/sdk/transfer.js';
import { TransferClient } from '../../src/worker/transfer-client.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

const hold = defineWorkflow({
  name: 'hold',
  fields: z.object({}),
  plan: () => [{ type: 'wait' }],
  tasks: { wait: () => ({ changed: false }) },
});

/** ctx.transfer's client over the engine's own port (the hub's process): resume, dedupe, verification, cancel. */
describe('TransferClient', () => {
  let hub: TestHub;
  let dir = '';
  let jobId = 0;
  const calls: string[] = [];
  let port: WorkerPort;
  const data = randomBytes(40 * 1024 * 1024 + 5);
  const sha = createHash('sha256').update(data).digest('hex');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swy-transfer-client-'));
    hub = await createTestHub({ workflows: [hold], worker: false, engine: { transferDir: join(dir, 'hub') } });
    jobId = (await hub.engine.submit({ workflow: 'hold', fields: {} }, hub.actor)).job.id;
    const engine = hub.engine;
    port = {
      register: (info) => engine.register(info),
      lease: (request) => engine.lease(request),
      heartbeat: (request) => engine.heartbeat(request),
      report: (batch) => engine.report(batch),
      complete: (batch) => engine.complete(batch),
      transferStatus: (request) => {
        calls.push('status');
        return engine.transferStatus(request);
      },
      transferUpload: (request) => {
        calls.push(`upload ${request.offset}`);
        return engine.transferUpload(request);
      },
      transferDownload: (request) => {
        calls.push(`download ${request.offset ?? 0}`);
        return engine.transferDownload(request);
      },
    };
    writeFileSync(join(dir, 'source.bin'), data);
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (signal = new AbortController().signal) => new TransferClient(port, jobId, signal);

  it('sends only what the hub lacks, and nothing the second time', async () => {
    // An earlier attempt got 5 MiB through.
    await hub.engine.transferUpload({ jobId, sha256: sha, size: data.length, offset: 0, body: Readable.from([data.subarray(0, 5 * 1024 * 1024)]) });
    calls.length = 0;
    expect(await client().put(join(dir, 'source.bin'))).toEqual({ sha256: sha, size: data.length });
    expect(calls).toEqual(['status', `upload ${5 * 1024 * 1024}`, `upload ${21 * 1024 * 1024}`, `upload ${37 * 1024 * 1024}`]);
    calls.length = 0;
    await client().put(join(dir, 'source.bin'));
    expect(calls).toEqual(['status']);
    expect(await client().putData('')).toEqual({ sha256: createHash('sha256').digest('hex'), size: 0 });
  });

  it('resumes a download from a partial file, and refetches one whose bytes are wrong', async () => {
    const destination = join(dir, 'copy.bin');
    const partial = partialPathFor(destination, sha);
    writeFileSync(partial, data.subarray(0, 1234));
    calls.length = 0;
    await client().get({ sha256: sha, size: data.length }, destination, { mtimeMs: 1_700_000_000_123 });
    expect(calls).toEqual(['download 1234']);
    expect(readFileSync(destination).equals(data)).toBe(true);
    expect(existsSync(partial)).toBe(false);

    const other = join(dir, 'other.bin');
    writeFileSync(partialPathFor(other, sha), Buffer.alloc(1000, 7));
    calls.length = 0;
    await client().get({ sha256: sha, size: data.length }, other);
    expect(calls).toEqual(['download 1000', 'download 0']);
    expect(readFileSync(other).equals(data)).toBe(true);
  });

  it('stops within a file when its task is told to, leaving the partial file to resume from', async () => {
    const controller = new AbortController();
    const destination = join(dir, 'stopped.bin');
    let aborted = false;
    await expect(
      client(controller.signal).get({ sha256: sha, size: data.length }, destination, {
        onProgress: (bytes) => {
          if (bytes > 0 && !aborted) {
            aborted = true;
            controller.abort(new Error('cancelled'));
          }
        },
      }),
    ).rejects.toThrow();
    expect(existsSync(destination)).toBe(false);
  });

  it('refuses a blob the hub does not hold', async () => {
    await expect(client().get({ sha256: 'a'.repeat(64), size: 3 }, join(dir, 'none.bin'))).rejects.toMatchObject({ code: 'SWY_ERR_TRANSFER_NOT_FOUND' });
  });
});
