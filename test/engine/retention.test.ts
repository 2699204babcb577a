import { afterEach, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

const noop = defineWorkflow({ name: 'noop', fields: z.object({}), plan: () => [], tasks: { never: async () => ({ changed: false }) } });
const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('retention duty (injected clock)', () => {
  let hub: TestHub;
  afterEach(async () => hub?.close());

  it('prunes finished jobs and events older than the retention age, keeps the rest, and audits it', async () => {
    let now = T0;
    hub = await createTestHub({ workflows: [noop], worker: false, engine: { clock: () => now, retainMs: 7 * DAY } });
    // A plan with no tasks ends at once (skipped): finished jobs to prune.
    const old = await hub.engine.submitMany(
      Array.from({ length: 1200 }, () => ({ workflow: 'noop', fields: {} })),
      hub.actor,
    );
    now = T0 + 5 * DAY;
    const recent = await hub.engine.submit({ workflow: 'noop', fields: {} }, hub.actor);
    now = T0 + 8 * DAY;
    await hub.engine.duties.tick();
    const left = (await hub.store.listJobs({ sites: null, limit: 100 })).items.map((j) => j.id);
    expect(left).toEqual([recent.job.id]);
    expect(await hub.store.getJob(old[0].job.id)).toBeNull();
    const audit = await hub.store.listAudit({ sites: null, action: 'retention.', limit: 5 });
    expect(audit.items[0]).toMatchObject({ action: 'retention.prune', data: expect.objectContaining({ jobs: 1200 }) });
    expect((await hub.store.listEvents(0, 10, null)).every((e) => e.at >= T0 + DAY)).toBe(true);
  });
});

describe('retention per workflow and per queue (injected clock)', () => {
  let hub: TestHub;
  afterEach(async () => hub?.close());

  const keptLong = defineWorkflow({
    name: 'kept-long',
    fields: z.object({}),
    retention: { days: 30 },
    plan: () => [],
    tasks: { never: async () => ({ changed: false }) },
  });
  const keptShort = defineWorkflow({
    name: 'kept-short',
    fields: z.object({}),
    retention: { days: 1 },
    plan: () => [],
    tasks: { never: async () => ({ changed: false }) },
  });

  it("a workflow's retention wins over its queue's, a queue's over the hub default; jobs under no rule follow the default", async () => {
    let now = T0;
    hub = await createTestHub({ workflows: [noop, keptLong, keptShort], worker: false, engine: { clock: () => now, retainMs: 7 * DAY } });
    const submit = async (workflow: string, queue?: string) => (await hub.engine.submit({ workflow, fields: {}, queue }, hub.actor)).job.id;
    const plain = await submit('noop');
    const long = await submit('kept-long', 'archive');
    const short = await submit('kept-short');
    const archived = await submit('noop', 'archive');
    const brief = await submit('noop', 'brief');
    await hub.engine.queues.update('archive', { retainDays: 60 }, hub.actor);
    await hub.engine.queues.update('brief', { retainDays: 2 }, hub.actor);
    const alive = async () => (await hub.store.listJobs({ sites: null, limit: 100 })).items.map((j) => j.id).sort((a, b) => a - b);

    expect(await alive()).toContain(short);
    now = T0 + 1.5 * DAY;
    await hub.engine.duties.tick();
    expect(await alive()).toEqual([plain, long, archived, brief]);
    now = T0 + 3 * DAY;
    await hub.engine.duties.tick();
    expect(await alive()).toEqual([plain, long, archived]);
    now = T0 + 8 * DAY;
    await hub.engine.duties.tick();
    // The workflow's 30 days win over the archive queue's 60.
    expect(await alive()).toEqual([long, archived]);
    now = T0 + 31 * DAY;
    await hub.engine.duties.tick();
    expect(await alive()).toEqual([archived]);
    // Events are kept as long as the longest period.
    expect((await hub.store.listEvents(0, 100, null)).length).toBeGreaterThan(0);
    now = T0 + 61 * DAY;
    await hub.engine.duties.tick();
    expect(await alive()).toEqual([]);
    expect(await hub.store.listEvents(0, 100, null)).toEqual([]);
  });

  it('without a hub default, only jobs under a rule are pruned, and events stay', async () => {
    let now = T0;
    hub = await createTestHub({ workflows: [noop, keptShort], worker: false, engine: { clock: () => now } });
    const plain = (await hub.engine.submit({ workflow: 'noop', fields: {} }, hub.actor)).job.id;
    await hub.engine.submit({ workflow: 'kept-short', fields: {} }, hub.actor);
    now = T0 + 400 * DAY;
    await hub.engine.duties.tick();
    expect((await hub.store.listJobs({ sites: null, limit: 100 })).items.map((j) => j.id)).toEqual([plain]);
    expect((await hub.store.listEvents(0, 100, null)).length).toBeGreaterThan(0);
  });

  it('a running job is never pruned, however old', async () => {
    let now = T0;
    const slow = defineWorkflow({ name: 'slow', fields: z.object({}), plan: () => [{ type: 'wait' }], tasks: { wait: async () => ({ changed: false }) } });
    hub = await createTestHub({ workflows: [slow], worker: false, engine: { clock: () => now, retainMs: DAY } });
    const job = (await hub.engine.submit({ workflow: 'slow', fields: {} }, hub.actor)).job.id;
    now = T0 + 10 * DAY;
    await hub.engine.duties.tick();
    expect(await hub.store.getJob(job)).not.toBeNull();
  });

  it('refuses a retention that is not a positive number of days', () => {
    expect(() => defineWorkflow({ name: 'bad', fields: z.object({}), retention: { days: 0 }, plan: () => [], tasks: { t: async () => undefined } })).toThrow(
      /retention\.days/,
    );
  });
});
