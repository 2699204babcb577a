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
