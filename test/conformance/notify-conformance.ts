import { describe, expect, it } from 'vitest';
import type { NewSubscription } from '../../src/store/store.js';
import { newJob, type StoreHarness, useFreshStore } from '../helpers/store-harness.js';
import { newSchedule } from './schedules-conformance.js';

const T0 = 1_700_000_000_000;

const subscription = (over: Partial<NewSubscription> = {}): NewSubscription => ({
  username: 'ann',
  jobId: 7,
  envelopeId: null,
  scheduleId: null,
  site: null,
  allSites: false,
  channel: 'email',
  address: 'ann@example.test',
  url: null,
  secret: null,
  on: 'end',
  events: [],
  delivery: 'immediate',
  timezone: 'UTC',
  createdAt: T0,
  ...over,
});

/** Subscriptions, the delivery outbox and the notifier's cursor. Run against every backend. */
export function describeNotifyConformance(harness: StoreHarness): void {
  describe(`notify conformance: ${harness.name}`, () => {
    const store = useFreshStore(harness);

    it('keeps subscriptions per user and finds those of given jobs with every site rule', async () => {
      const a = await store().createSubscription(subscription());
      const b = await store().createSubscription(
        subscription({ username: 'bob', jobId: null, site: 'west', events: ['failure'], channel: 'console', address: null }),
      );
      await store().createSubscription(subscription({ jobId: 8 }));
      expect(await store().getSubscription(a.id)).toEqual(a);
      expect((await store().listSubscriptions('bob')).map((s) => s.id)).toEqual([b.id]);
      expect(await store().listSubscriptions(null)).toHaveLength(3);
      expect((await store().subscriptionsFor([7])).map((s) => s.id)).toEqual([a.id, b.id]);
      expect((await store().getSubscription(b.id))?.events).toEqual(['failure']);
      expect(await store().deleteSubscription(a.id)).toBe(true);
      expect(await store().deleteSubscription(a.id)).toBe(false);
      expect(await store().getSubscription(a.id)).toBeNull();
    });

    it('keeps envelope and schedule subscriptions apart from site rules, found by envelope and by the jobs a schedule fired', async () => {
      const schedule = await store().createSchedule(newSchedule(), T0);
      const fired = await store().fireSchedule({ scheduleId: schedule.id, slotAt: T0 + 1000, job: newJob() }, T0 + 1000);
      const firedJob = fired.job?.id ?? -1;
      expect(fired.outcome).toBe('submitted');
      const envelope = await store().createSubscription(subscription({ jobId: null, envelopeId: 41, channel: 'console', address: null }));
      const bySchedule = await store().createSubscription(subscription({ jobId: null, scheduleId: schedule.id, on: 'failure' }));
      const rule = await store().createSubscription(subscription({ jobId: null, allSites: true }));
      await store().createSubscription(subscription({ jobId: null, envelopeId: 42 }));
      await store().createSubscription(subscription({ jobId: null, scheduleId: schedule.id + 1000 }));
      expect(await store().getSubscription(envelope.id)).toEqual(envelope);
      expect(await store().getSubscription(bySchedule.id)).toMatchObject({ jobId: null, envelopeId: null, scheduleId: schedule.id, on: 'failure' });
      expect((await store().listSubscriptions('ann')).map((s) => [s.envelopeId, s.scheduleId])).toEqual([
        [41, null],
        [null, schedule.id],
        [null, null],
        [42, null],
        [null, schedule.id + 1000],
      ]);
      // Only site rules when neither the job nor the envelope is named.
      expect((await store().subscriptionsFor([firedJob + 1000], [])).map((s) => s.id)).toEqual([rule.id]);
      expect((await store().subscriptionsFor([firedJob], [41])).map((s) => s.id)).toEqual([envelope.id, bySchedule.id, rule.id]);
    });

    it('moves the cursor with the deliveries it writes, once, and never writes a pair twice', async () => {
      const s = await store().createSubscription(subscription());
      expect(await store().notifyCursor()).toBe(0);
      const d = { subscriptionId: s.id, eventId: 5, jobId: 7, username: 'ann', channel: 'email' as const, payload: { state: 'failure' } };
      expect(await store().enqueueDeliveries([d], 0, 5, T0)).toBe(true);
      expect(await store().notifyCursor()).toBe(5);
      // A second hub that read the same cursor loses: nothing is written.
      expect(await store().enqueueDeliveries([d, { ...d, eventId: 6 }], 0, 6, T0)).toBe(false);
      expect(await store().enqueueDeliveries([d, { ...d, eventId: 6 }], 5, 6, T0)).toBe(true);
      const all = await store().listDeliveries({ username: 'ann', limit: 10 });
      expect(all.map((x) => x.eventId)).toEqual([6, 5]);
      expect(all[1]).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0, payload: { state: 'failure' }, sentAt: null });
    });

    it('hands out due deliveries and records each attempt', async () => {
      const s = await store().createSubscription(subscription({ channel: 'console', address: null }));
      const d = { subscriptionId: s.id, eventId: 1, jobId: 7, username: 'ann', channel: 'console' as const, payload: {} };
      await store().enqueueDeliveries([d, { ...d, eventId: 2 }], 0, 2, T0);
      const [first, second] = await store().dueDeliveries(T0, 10);
      await store().settleDelivery(first.id, { status: 'pending', attempts: 1, nextAttemptAt: T0 + 1000, lastError: 'HTTP 500', now: T0 });
      await store().settleDelivery(second.id, { status: 'sent', attempts: 1, nextAttemptAt: T0, lastError: null, now: T0 });
      expect(await store().dueDeliveries(T0 + 999, 10)).toEqual([]);
      expect((await store().dueDeliveries(T0 + 1000, 10)).map((x) => [x.id, x.attempts, x.lastError])).toEqual([[first.id, 1, 'HTTP 500']]);
      expect((await store().listDeliveries({ subscriptionId: s.id, limit: 10 }))[0]).toMatchObject({ id: second.id, status: 'sent', sentAt: T0 });
      expect(await store().markDeliveriesRead('ann', [second.id], T0 + 5)).toBe(1);
      expect(await store().markDeliveriesRead('ann', null, T0 + 6)).toBe(1);
      expect((await store().listDeliveries({ username: 'ann', limit: 10 })).map((x) => x.readAt)).toEqual([T0 + 5, T0 + 6]);
    });

    it("holds a digest's delivery until it is due; a console notification is delivered by being written", async () => {
      const s = await store().createSubscription(subscription({ channel: 'console', address: null }));
      const d = { subscriptionId: s.id, eventId: 1, jobId: 7, username: 'ann', channel: 'console' as const, payload: {} };
      await store().enqueueDeliveries(
        [
          { ...d, dueAt: T0 + 3_600_000 },
          { ...d, eventId: 2 },
        ],
        0,
        2,
        T0,
      );
      expect((await store().dueDeliveries(T0, 10)).map((x) => x.eventId)).toEqual([2]);
      expect((await store().dueDeliveries(T0 + 3_600_000, 10)).map((x) => [x.eventId, x.nextAttemptAt, x.createdAt])).toEqual([
        [2, T0, T0],
        [1, T0 + 3_600_000, T0],
      ]);
      await store().enqueueDeliveries([{ ...d, eventId: 3, delivered: true }], 2, 3, T0 + 5);
      expect((await store().dueDeliveries(T0 + 3_600_000, 10)).map((x) => x.eventId)).toEqual([2, 1]);
      expect((await store().listDeliveries({ subscriptionId: s.id, limit: 1 }))[0]).toMatchObject({ eventId: 3, status: 'sent', sentAt: T0 + 5 });
    });

    it("keeps a user's e-mail address", async () => {
      const user = await store().createUser({ username: 'ann', passwordHash: 'x', role: 'viewer', sites: null, createdAt: T0, email: 'ann@example.test' });
      expect((await store().findUser('ann'))?.email).toBe('ann@example.test');
      expect((await store().updateUser(user.id, { email: null }, T0))?.email).toBeNull();
    });
  });
}
