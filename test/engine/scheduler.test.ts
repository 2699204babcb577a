import { afterEach, describe, expect, it } from 'vitest';
import { defineWorkflow, z } from '../../src/index.js';
import type { Actor } from '../../src/model/index.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

const backup = defineWorkflow({
  name: 'backup',
  fields: z.object({ path: z.string() }),
  plan: () => [{ type: 'copy' }],
  tasks: { copy: async () => ({ changed: true }) },
});

const T0 = Date.parse('2026-03-28T12:00:00Z');
const operator: Actor = { name: 'olga', role: 'operator', sites: ['local'], ref: 'user:olga' };
const viewer: Actor = { name: 'vic', role: 'viewer', sites: null, ref: 'user:vic' };
const stranger: Actor = { name: 'sam', role: 'operator', sites: ['paris'], ref: 'user:sam' };

describe('scheduler duty (injected clock, no sleeps)', () => {
  let hub: TestHub;
  let now = T0;
  afterEach(async () => hub?.close());
  const open = async () => {
    now = T0;
    hub = await createTestHub({ workflows: [backup], worker: false, engine: { clock: () => now } });
  };
  const jobsOf = async (scheduleId: number) => (await hub.store.listJobs({ sites: null, schedules: [scheduleId], limit: 100 })).items;
  const tick = async (at: number) => {
    now = at;
    await hub.engine.duties.tick();
  };

  it('fires each interval slot once, tagged with schedule and slot', async () => {
    await open();
    const s = await hub.engine.schedules.create({ name: 'every-10s', workflow: 'backup', fields: { path: '/a' }, everyMs: 10_000, overlap: 'allow' }, operator);
    expect(s.nextRunAt).toBe(T0 + 10_000);
    await tick(T0 + 9_999);
    expect(await jobsOf(s.id)).toHaveLength(0);
    await tick(T0 + 10_000);
    await tick(T0 + 10_500);
    await tick(T0 + 20_000);
    const jobs = await jobsOf(s.id);
    expect(jobs.map((j) => j.slotAt).sort()).toEqual([T0 + 10_000, T0 + 20_000]);
    expect(jobs[0]).toMatchObject({ creator: 'schedule:every-10s', fields: { path: '/a' }, site: 'local' });
  });

  it('fires cron slots in the schedule zone across the spring-forward night', async () => {
    await open();
    const s = await hub.engine.schedules.create(
      { name: 'nightly', workflow: 'backup', fields: { path: '/a' }, cron: '0 30 2 * * *', timezone: 'Europe/Paris', overlap: 'allow' },
      operator,
    );
    for (let at = T0; at <= T0 + 3 * 86_400_000; at += 15 * 60_000) await tick(at);
    const days = (await jobsOf(s.id)).map((j) => new Date(j.slotAt as number).toISOString()).sort();
    expect(days).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  });

  it('catch-up latest after an outage fires only the most recent slot', async () => {
    await open();
    const s = await hub.engine.schedules.create(
      { name: 'minutely', workflow: 'backup', fields: { path: '/a' }, cron: '0 * * * * *', overlap: 'allow' },
      operator,
    );
    await tick(T0 + 10 * 60_000 + 5_000);
    expect((await jobsOf(s.id)).map((j) => j.slotAt)).toEqual([T0 + 10 * 60_000]);
    await tick(T0 + 11 * 60_000);
    expect(await jobsOf(s.id)).toHaveLength(2);
  });

  it('catch-up all fires every missed slot up to the bound', async () => {
    await open();
    const s = await hub.engine.schedules.create(
      { name: 'minutely', workflow: 'backup', fields: { path: '/a' }, cron: '0 * * * * *', overlap: 'allow', catchUp: 'all', catchUpLimit: 3 },
      operator,
    );
    await tick(T0 + 10 * 60_000 + 5_000);
    expect((await jobsOf(s.id)).map((j) => j.slotAt).sort()).toEqual([T0 + 8 * 60_000, T0 + 9 * 60_000, T0 + 10 * 60_000]);
  });

  it('skip overlap: a slot while the previous run is active fires nothing; disable stops, enable resumes', async () => {
    await open();
    const s = await hub.engine.schedules.create({ name: 'sk', workflow: 'backup', fields: { path: '/a' }, everyMs: 10_000 }, operator);
    await tick(T0 + 10_000);
    await tick(T0 + 20_000);
    expect(await jobsOf(s.id)).toHaveLength(1);
    await hub.engine.schedules.setEnabled(s.id, false, operator);
    expect((await hub.engine.schedules.get(s.id, operator)).nextRunAt).toBeNull();
    await tick(T0 + 60_000);
    expect(await jobsOf(s.id)).toHaveLength(1);
    const enabled = await hub.engine.schedules.setEnabled(s.id, true, operator);
    expect(enabled.nextRunAt).toBe(T0 + 70_000);
  });

  it('run now honours the overlap rule unless forced, and is audited', async () => {
    await open();
    const s = await hub.engine.schedules.create({ name: 'rn', workflow: 'backup', fields: { path: '/a' }, cron: '0 0 2 * * *' }, operator);
    expect(await hub.engine.schedules.run(s.id, operator)).toMatchObject({ outcome: 'submitted', job: { creator: 'olga', scheduleId: s.id } });
    expect(await hub.engine.schedules.run(s.id, operator)).toMatchObject({ outcome: 'skipped' });
    expect(await hub.engine.schedules.run(s.id, operator, { force: true })).toMatchObject({ outcome: 'submitted' });
    const audit = await hub.store.listAudit({ sites: null, action: 'schedule.', limit: 10 });
    expect(audit.items.map((a) => a.action)).toEqual(['schedule.run', 'schedule.run', 'schedule.run', 'schedule.create']);
  });

  it('scopes by site and role', async () => {
    await open();
    const s = await hub.engine.schedules.create({ name: 'mine', workflow: 'backup', fields: { path: '/a' }, everyMs: 60_000 }, operator);
    await expect(hub.engine.schedules.get(s.id, stranger)).rejects.toMatchObject({ code: 'SWY_ERR_SCHEDULE_NOT_FOUND' });
    expect(await hub.engine.schedules.list(stranger)).toEqual([]);
    await expect(hub.engine.schedules.run(s.id, viewer)).rejects.toMatchObject({ code: 'SWY_ERR_AUTH_FORBIDDEN' });
    await expect(hub.engine.schedules.create({ name: 'x', workflow: 'backup', fields: { path: '/a' }, everyMs: 60_000 }, viewer)).rejects.toMatchObject({
      code: 'SWY_ERR_AUTH_FORBIDDEN',
    });
    await expect(hub.engine.schedules.create({ name: 'x', workflow: 'backup', fields: {}, everyMs: 60_000 }, operator)).rejects.toMatchObject({
      code: 'SWY_ERR_WORKFLOW_FIELDS',
    });
    await expect(hub.engine.schedules.create({ name: 'x', workflow: 'backup', fields: { path: '/a' }, cron: 'bad' }, operator)).rejects.toMatchObject({
      code: 'SWY_ERR_SCHEDULE_INVALID',
    });
  });

  it('syncs schedules declared in code as code-owned: editable only in code, removed when no longer declared', async () => {
    const declared = defineWorkflow({ ...backup, name: 'declared', schedules: [{ name: 'from-code', cron: '0 0 3 * * *', fields: { path: '/c' } }] });
    now = T0;
    hub = await createTestHub({ workflows: [declared], worker: false, engine: { clock: () => now } });
    const [s] = await hub.engine.schedules.list(operator);
    expect(s).toMatchObject({ name: 'from-code', workflow: 'declared', codeOwned: true, cron: '0 0 3 * * *', fields: { path: '/c' } });
    await expect(hub.engine.schedules.update(s.id, { cron: '0 0 4 * * *' }, operator)).rejects.toMatchObject({ code: 'SWY_ERR_SCHEDULE_CODE_OWNED' });
    await expect(hub.engine.schedules.remove(s.id, operator)).rejects.toMatchObject({ code: 'SWY_ERR_SCHEDULE_CODE_OWNED' });
    expect(await hub.engine.schedules.setEnabled(s.id, false, operator)).toMatchObject({ enabled: false });
    // A restart with the same declaration changes nothing (the operator's disable stays); a changed one updates it.
    expect(await hub.engine.schedules.syncFromCode([{ name: 'from-code', workflow: 'declared', cron: '0 0 3 * * *', fields: { path: '/c' } }], hub.actor)).toBe(
      0,
    );
    expect(await hub.engine.schedules.syncFromCode([{ name: 'from-code', workflow: 'declared', cron: '0 0 5 * * *', fields: { path: '/c' } }], hub.actor)).toBe(
      1,
    );
    expect((await hub.engine.schedules.get(s.id, operator)).cron).toBe('0 0 5 * * *');
    expect(await hub.engine.schedules.syncFromCode([], hub.actor)).toBe(1);
    expect(await hub.engine.schedules.list(operator)).toEqual([]);
  });
});
