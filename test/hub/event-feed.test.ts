import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHub, defineWorkflow, type Hub, type HubEvents, SYSTEM_ACTOR, z } from 'switchyard';
import { afterEach, describe, expect, it } from 'vitest';

/** Appends an event to the SQLite file from another process, as another writer of the file would. */
async function appendElsewhere(path: string, data: unknown): Promise<void> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const script = `const Database = require(process.argv[1]); const db = new Database(process.argv[2]); db.pragma('busy_timeout = 10000');
    db.prepare("INSERT INTO events (at, type, job_id, task_id, site, data) VALUES (?, 'test:other', NULL, NULL, 'local', ?)").run(Date.now(), process.argv[3]);
    db.close();`;
  await promisify(execFile)(process.execPath, ['-e', script, driver, path, JSON.stringify(data)]);
}

const noop = defineWorkflow({
  name: 'noop',
  fields: z.object({ n: z.number() }),
  plan: () => [{ type: 'work' }, { type: 'work' }],
  tasks: { work: () => ({ changed: false }) },
});

/**
 * The hub's event feed on SQLite takes the events its own transactions commit as read (the
 * store hands them over with their ids) and reads the store only for the rest. Whatever mix
 * arrives, listeners hear every event once, in id order, as the store has it.
 */
describe('event feed', () => {
  let hub: Hub | null = null;
  let dir: string | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('hears each event once and in order, its own and those another writer appended between them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'swy-feed-'));
    const path = join(dir, 'hub.db');
    hub = await createHub({ db: path, workflows: [noop] });
    const heard: HubEvents['event'][] = [];
    hub.on('event', (record) => heard.push(record));
    await hub.engine.events.flush();
    const first = heard.length === 0 ? await hub.engine.reads.lastEventId(SYSTEM_ACTOR) : heard[0].id - 1;

    // Another writer of the same file (another process) appends events meanwhile.
    await hub.startWorker({ isolation: 'in-process', concurrency: 4 });
    for (let n = 0; n < 30; n++) {
      await hub.submit({ workflow: 'noop', fields: { n } });
      // Awaited: the hub's next commit follows an event it has not heard of (a gap to notice).
      if (n % 7 === 3) await appendElsewhere(path, { n });
    }
    const deadline = Date.now() + 30_000;
    while ((await hub.openJobs()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await hub.openJobs()).toBe(0);
    await appendElsewhere(path, { n: 'last' });
    await hub.engine.events.flush();

    const stored = await hub.engine.reads.events(first, 10_000, SYSTEM_ACTOR);
    expect(stored.filter((e) => e.type === 'test:other')).toHaveLength(5);
    expect(stored.filter((e) => e.type === 'job:state:changed' && e.data.to === 'success')).toHaveLength(30);
    // Every event, once, in id order, with what the store holds.
    expect(heard.map((e) => e.id)).toEqual(stored.map((e) => e.id));
    expect(heard).toEqual(stored);
  });
});
