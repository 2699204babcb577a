import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { NewSchedule, Store } from '../../src/store/store.js';
import { newJob, type StoreHarness, TEST_PG_URL, useFreshStore } from '../helpers/store-harness.js';

const T0 = 1_700_000_000_000;
const LEASE = { workerId: 'w1', site: 'local', workflows: ['demo'], leaseMs: 30_000 };

export function newSchedule(overrides: Partial<NewSchedule> = {}): NewSchedule {
  return {
    name: 'nightly',
    workflow: 'demo',
    site: 'local',
    queue: 'default',
    fields: { path: '/data' },
    cron: '0 0 2 * * *',
    everyMs: null,
    timezone: 'Europe/Paris',
    overlap: 'skip',
    catchUp: 'latest',
    catchUpLimit: 100,
    enabled: true,
    codeOwned: false,
    creator: 'tester',
    nextRunAt: T0 + 1000,
    ...overrides,
  };
}

/** Schedules: their records, and each slot firing exactly once under every overlap rule. Run against every backend. */
export function describeSchedulesConformance(harness: StoreHarness): void {
  describe(`schedules conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);
    const fire = (scheduleId: number, slotAt: number, extra: { force?: boolean; pending?: boolean } = {}) =>
      store().fireSchedule({ scheduleId, slotAt, job: newJob(), ...extra }, slotAt);
    const finish = async (now: number) => {
      const leased = await store().leaseTasks({ ...LEASE, limit: 10, now });
      await store().completeTasks(
        leased.map((t) => ({ taskId: t.task.id, leaseToken: t.leaseToken, report: { kind: 'succeeded', changed: false } as const })),
        now,
      );
    };

    it('creates, lists by site, updates, and deletes schedules', async () => {
      const a = await store().createSchedule(newSchedule(), T0);
      expect(a).toMatchObject({
        id: expect.any(Number),
        name: 'nightly',
        fields: { path: '/data' },
        enabled: true,
        codeOwned: false,
        nextRunAt: T0 + 1000,
        lastJobId: null,
      });
      const b = await store().createSchedule(newSchedule({ name: 'hourly', site: 'paris', cron: null, everyMs: 3_600_000, codeOwned: true }), T0);
      expect(b).toMatchObject({ everyMs: 3_600_000, cron: null, codeOwned: true });
      await expect(store().createSchedule(newSchedule(), T0)).rejects.toMatchObject({ code: 'SWY_ERR_SCHEDULE_EXISTS' });
      expect((await store().listSchedules(null)).map((s) => s.name)).toEqual(['nightly', 'hourly']);
      expect((await store().listSchedules(['paris'])).map((s) => s.name)).toEqual(['hourly']);
      expect(await store().listSchedules([])).toEqual([]);
      const updated = await store().updateSchedule(a.id, { enabled: false, overlap: 'allow', fields: { path: '/x' } }, T0 + 5);
      expect(updated).toMatchObject({ enabled: false, overlap: 'allow', fields: { path: '/x' }, updatedAt: T0 + 5, name: 'nightly' });
      await expect(store().updateSchedule(a.id, { name: 'hourly' }, T0)).rejects.toMatchObject({ code: 'SWY_ERR_SCHEDULE_EXISTS' });
      expect(await store().updateSchedule(999, { enabled: true }, T0)).toBeNull();
      expect(await store().deleteSchedule(a.id)).toBe(true);
      expect(await store().deleteSchedule(a.id)).toBe(false);
      expect(await store().getSchedule(a.id)).toBeNull();
    });

    it('lists due schedules and advances the next slot only from where it was', async () => {
      const a = await store().createSchedule(newSchedule({ nextRunAt: T0 }), T0);
      await store().createSchedule(newSchedule({ name: 'later', nextRunAt: T0 + 10_000 }), T0);
      await store().createSchedule(newSchedule({ name: 'off', nextRunAt: T0, enabled: false }), T0);
      expect((await store().dueSchedules(T0, 10)).map((s) => s.name)).toEqual(['nightly']);
      expect(await store().advanceSchedule(a.id, T0, T0 + 60_000, T0)).toBe(true);
      expect(await store().advanceSchedule(a.id, T0, T0 + 120_000, T0)).toBe(false);
      expect((await store().getSchedule(a.id))?.nextRunAt).toBe(T0 + 60_000);
      expect(await store().dueSchedules(T0, 10)).toEqual([]);
    });

    it('fires a slot once: the job carries the schedule and slot, a second firing is a duplicate', async () => {
      const s = await store().createSchedule(newSchedule(), T0);
      const first = await fire(s.id, T0 + 1000);
      expect(first).toMatchObject({ outcome: 'submitted', job: { scheduleId: s.id, slotAt: T0 + 1000, workflow: 'demo' } });
      expect(await fire(s.id, T0 + 1000)).toMatchObject({ outcome: 'duplicate', job: null });
      const job = await store().getJob(first.job?.id as number);
      expect(job).toMatchObject({ scheduleId: s.id, slotAt: T0 + 1000 });
      expect(await store().getSchedule(s.id)).toMatchObject({ lastSlotAt: T0 + 1000, lastJobId: job?.id });
      const other = await store().submitJobs([newJob()], T0);
      const listed = await store().listJobs({ sites: null, schedules: [s.id], limit: 10 });
      expect(listed.items.map((j) => j.id)).toEqual([job?.id]);
      expect(listed.items.map((j) => j.id)).not.toContain(other[0].job.id);
    });

    it('overlap skip: a slot while the last run is active is recorded as skipped', async () => {
      const s = await store().createSchedule(newSchedule({ overlap: 'skip' }), T0);
      await fire(s.id, T0 + 1000);
      expect(await fire(s.id, T0 + 2000)).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('still active') });
      expect(await fire(s.id, T0 + 2000)).toMatchObject({ outcome: 'duplicate' });
      await finish(T0 + 2500);
      expect(await fire(s.id, T0 + 3000)).toMatchObject({ outcome: 'submitted' });
      expect((await store().listJobs({ sites: null, schedules: [s.id], limit: 10 })).items).toHaveLength(2);
    });

    it('run now forced submits whatever the overlap rule', async () => {
      const s = await store().createSchedule(newSchedule({ overlap: 'skip' }), T0);
      await fire(s.id, T0 + 1000);
      expect(await fire(s.id, T0 + 1500, { force: true })).toMatchObject({ outcome: 'submitted' });
    });

    it('overlap queue: one slot waits and fires once when the previous run ends', async () => {
      const s = await store().createSchedule(newSchedule({ overlap: 'queue' }), T0);
      await fire(s.id, T0 + 1000);
      expect(await fire(s.id, T0 + 2000)).toMatchObject({ outcome: 'waiting' });
      expect(await fire(s.id, T0 + 3000)).toMatchObject({ outcome: 'waiting' });
      expect(await store().getSchedule(s.id)).toMatchObject({ pendingSlotAt: T0 + 3000 });
      expect((await store().dueSchedules(T0, 10)).map((x) => x.id)).toEqual([s.id]);
      await finish(T0 + 3500);
      expect(await fire(s.id, T0 + 3000, { pending: true })).toMatchObject({ outcome: 'submitted', job: { slotAt: T0 + 3000 } });
      expect(await fire(s.id, T0 + 3000, { pending: true })).toMatchObject({ outcome: 'duplicate' });
      expect(await store().getSchedule(s.id)).toMatchObject({ pendingSlotAt: null });
    });

    it('overlap cancel-previous: cancels the active run, then submits', async () => {
      const s = await store().createSchedule(newSchedule({ overlap: 'cancel-previous' }), T0);
      const first = await fire(s.id, T0 + 1000);
      const second = await fire(s.id, T0 + 2000);
      expect(second).toMatchObject({ outcome: 'submitted', cancelled: [first.job?.id] });
      expect((await store().getJob(first.job?.id as number))?.state).toBe('cancelled');
    });

    it('overlap allow: runs side by side', async () => {
      const s = await store().createSchedule(newSchedule({ overlap: 'allow' }), T0);
      await fire(s.id, T0 + 1000);
      expect(await fire(s.id, T0 + 2000)).toMatchObject({ outcome: 'submitted' });
    });

    it('a deleted schedule fires nothing', async () => {
      const s = await store().createSchedule(newSchedule(), T0);
      await store().deleteSchedule(s.id);
      expect(await fire(s.id, T0 + 1000)).toMatchObject({ outcome: 'gone' });
      expect((await store().listJobs({ sites: null, limit: 10 })).items).toEqual([]);
    });

    it('hubs firing the same slots at once submit one job per slot', async (context) => {
      const own = store();
      if (!(own instanceof PostgresStore)) return context.skip(); // SQLite: one hub per file, its lock serialises every verb.
      // Two more hubs on the same schema as this test's store (dropped with it).
      const peer = () => new PostgresStore({ connectionString: TEST_PG_URL, schema: own.schema, poolSize: 5 });
      const hubs: Store[] = [own, peer(), peer()];
      try {
        const s = await own.createSchedule(newSchedule({ overlap: 'allow' }), T0);
        const slots = Array.from({ length: 20 }, (_, i) => T0 + i * 1000);
        const results = await Promise.all(hubs.flatMap((hub) => slots.map((slotAt) => hub.fireSchedule({ scheduleId: s.id, slotAt, job: newJob() }, slotAt))));
        expect(results.filter((r) => r.outcome === 'submitted')).toHaveLength(20);
        // Every hub saw the schedule: the others' attempts found their slot taken, not a schedule gone.
        expect(results.filter((r) => r.outcome === 'gone')).toEqual([]);
        const jobs = (await own.listJobs({ sites: null, schedules: [s.id], limit: 100 })).items;
        expect(new Set(jobs.map((j) => j.slotAt)).size).toBe(20);
        expect(jobs).toHaveLength(20);
      } finally {
        for (const hub of hubs.slice(1)) await hub.close();
      }
    });
  });
}
