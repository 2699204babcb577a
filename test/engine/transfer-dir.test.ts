import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { createTestHub } from '../helpers/test-hub.js';

const hold = defineWorkflow({
  name: 'hold',
  fields: z.object({}),
  plan: () => [{ type: 'wait' }],
  tasks: { wait: () => ({ changed: false }) },
});

/** The hub's transfer folder: a job's blobs go when it ends, and the folder itself when the hub stops with nothing in it. */
describe("the hub's transfer folder", () => {
  const dir = mkdtempSync(join(tmpdir(), 'swy-transfer-dir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function* bytes(data: Buffer) {
    yield data;
  }
  const upload = async (hub: Awaited<ReturnType<typeof createTestHub>>, jobId: number) => {
    const data = Buffer.from(`blob of job ${jobId}`);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const status = await hub.engine.transferUpload({ jobId, sha256, size: data.length, offset: 0, body: bytes(data) });
    expect(status.complete).toBe(true);
  };

  it('is removed when the hub stops with no blob left, and kept while it holds one', async () => {
    const transfers = join(dir, 'hub');
    const hub = await createTestHub({ workflows: [hold], worker: false, engine: { transferDir: transfers } });
    const ended = (await hub.engine.submit({ workflow: 'hold', fields: {} }, hub.actor)).job.id;
    await upload(hub, ended);
    expect(readdirSync(transfers)).toEqual([String(ended)]);
    await hub.engine.control(ended, 'cancel', hub.actor);
    const deadline = Date.now() + 30_000;
    while (readdirSync(transfers).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readdirSync(transfers)).toEqual([]);
    await hub.close();
    expect(existsSync(transfers)).toBe(false);

    const again = await createTestHub({ workflows: [hold], worker: false, engine: { transferDir: transfers } });
    const running = (await again.engine.submit({ workflow: 'hold', fields: {} }, again.actor)).job.id;
    await upload(again, running);
    await again.close();
    expect(readdirSync(transfers)).toEqual([String(running)]);
  });
});
