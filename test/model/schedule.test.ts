import { describe, expect, it } from 'vitest';
import { decideOverlap, dueSlots, nextSlotAfter, type ScheduleTiming, SLOT_GRACE_MS, slotsBetween, validateTiming } from '../../src/model/index.js';

const cron = (expression: string, timezone = 'UTC'): ScheduleTiming => ({ cron: expression, everyMs: null, timezone, anchorAt: 0 });
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('nextSlotAfter', () => {
  it.each([
    ['every day at 02:00 Paris, winter', cron('0 0 2 * * *', 'Europe/Paris'), '2026-01-10T12:00:00Z', '2026-01-11T01:00:00.000Z'],
    ['every day at 02:00 Paris, summer', cron('0 0 2 * * *', 'Europe/Paris'), '2026-07-10T12:00:00Z', '2026-07-11T00:00:00.000Z'],
    ['every 15 s (seconds field)', cron('*/15 * * * * *'), '2026-01-01T00:00:07Z', '2026-01-01T00:00:15.000Z'],
    ['five fields: minutes', cron('30 * * * *'), '2026-01-01T00:10:00Z', '2026-01-01T00:30:00.000Z'],
    ['New York 09:00 across spring-forward', cron('0 0 9 * * *', 'America/New_York'), '2026-03-08T00:00:00Z', '2026-03-08T13:00:00.000Z'],
  ])('%s', (_name, timing, after, expected) => {
    expect(iso(nextSlotAfter(timing, at(after)) as number)).toBe(expected);
  });

  it('counts intervals from the anchor', () => {
    const every: ScheduleTiming = { cron: null, everyMs: 10_000, timezone: 'UTC', anchorAt: 1_000 };
    expect(nextSlotAfter(every, 0)).toBe(1_000);
    expect(nextSlotAfter(every, 1_000)).toBe(11_000);
    expect(nextSlotAfter(every, 10_999)).toBe(11_000);
  });
});

describe('daylight-saving changes neither skip nor double a slot', () => {
  it.each([
    ['Europe/Paris spring forward (02:30 does not exist)', 'Europe/Paris', '0 30 2 * * *', '2026-03-27T00:00:00Z', '2026-04-01T00:00:00Z'],
    ['Europe/Paris fall back (02:30 happens twice)', 'Europe/Paris', '0 30 2 * * *', '2026-10-23T00:00:00Z', '2026-10-28T00:00:00Z'],
    ['America/New_York spring forward', 'America/New_York', '0 30 2 * * *', '2026-03-06T00:00:00Z', '2026-03-11T00:00:00Z'],
    ['America/New_York fall back', 'America/New_York', '0 30 1 * * *', '2026-10-30T00:00:00Z', '2026-11-04T00:00:00Z'],
  ])('%s: one slot per local day', (_name, zone, expression, from, to) => {
    const slots = slotsBetween(cron(expression, zone), at(from), at(to), 100);
    const days = slots.map((slot) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, dateStyle: 'short' }).format(slot));
    expect(new Set(days).size).toBe(days.length);
    expect(days.length).toBe(5);
  });

  it('an hourly schedule has no doubled hour on the fall-back night in Paris', () => {
    const slots = slotsBetween(cron('0 0 * * * *', 'Europe/Paris'), at('2026-10-24T22:00:00Z'), at('2026-10-25T04:00:00Z'), 100);
    expect(new Set(slots).size).toBe(slots.length);
    for (let i = 1; i < slots.length; i++) expect(slots[i]).toBeGreaterThan(slots[i - 1]);
  });
});

describe('dueSlots: catch-up rules', () => {
  const minute = cron('0 * * * * *');
  const t = at('2026-01-01T10:00:00Z');
  it('a slot on time fires whatever the rule', () => {
    for (const rule of ['none', 'latest', 'all'] as const) {
      expect(dueSlots(minute, t, t + 5_000, rule)).toEqual({ slots: [t], nextRunAt: t + 60_000 });
    }
  });
  it('nothing is due before the next slot', () => {
    expect(dueSlots(minute, t, t - 1, 'all')).toEqual({ slots: [], nextRunAt: t });
  });
  const fiveMinutes = cron('0 */5 * * * *');
  it.each([
    ['none', []],
    ['latest', [t + 600_000]],
    ['all', [t, t + 300_000, t + 600_000]],
  ] as const)('after an outage: %s', (rule, expected) => {
    const now = t + 600_000 + SLOT_GRACE_MS + 1;
    expect(dueSlots(fiveMinutes, t, now, rule)).toEqual({ slots: expected, nextRunAt: t + 900_000 });
  });
  it('every slot still on time fires whatever the rule; all adds the missed ones', () => {
    // A 20 s schedule whose hub was down for 90 s: 30 s and more late are missed, the rest on time.
    const every: ScheduleTiming = { cron: null, everyMs: 20_000, timezone: 'UTC', anchorAt: 0 };
    const now = 100_000;
    expect(dueSlots(every, 0, now, 'none').slots).toEqual([40_000, 60_000, 80_000, 100_000]);
    expect(dueSlots(every, 0, now, 'latest').slots).toEqual([40_000, 60_000, 80_000, 100_000]);
    expect(dueSlots(every, 0, now, 'all').slots).toEqual([0, 20_000, 40_000, 60_000, 80_000, 100_000]);
  });
  it('all is bounded to the most recent slots', () => {
    const every: ScheduleTiming = { cron: null, everyMs: 1_000, timezone: 'UTC', anchorAt: 0 };
    const { slots } = dueSlots(every, 1_000, 86_400_000, 'all', 3);
    expect(slots).toEqual([86_398_000, 86_399_000, 86_400_000]);
  });
});

describe('decideOverlap', () => {
  it.each([
    ['skip', [], { kind: 'submit' }],
    ['skip', [4], { kind: 'skip', reason: 'job 4 is still active' }],
    ['queue', [4], { kind: 'wait' }],
    ['cancel-previous', [3, 4], { kind: 'cancel-then-submit', cancel: [3, 4] }],
    ['allow', [4], { kind: 'submit' }],
  ] as const)('%s with active %j', (rule, active, expected) => {
    expect(decideOverlap(rule, [...active])).toEqual(expected);
  });
  it('force submits whatever the rule', () => {
    expect(decideOverlap('skip', [4], true)).toEqual({ kind: 'submit' });
  });
});

describe('validateTiming', () => {
  it.each([
    [{ cron: null, everyMs: null, timezone: 'UTC' }, 'cron'],
    [{ cron: '* * * * *', everyMs: 5000, timezone: 'UTC' }, 'cron'],
    [{ cron: 'nope', everyMs: null, timezone: 'UTC' }, 'cron'],
    [{ cron: null, everyMs: 10, timezone: 'UTC' }, 'everyMs'],
    [{ cron: '* * * * *', everyMs: null, timezone: 'Mars/Base' }, 'timezone'],
    // A day no month has: saved, it would never fire.
    [{ cron: '0 0 30 2 *', everyMs: null, timezone: 'UTC' }, 'cron'],
  ])('rejects %j', (timing, path) => {
    expect(() => validateTiming(timing)).toThrow(expect.objectContaining({ code: 'SWY_ERR_SCHEDULE_INVALID', fields: [expect.objectContaining({ path })] }));
  });
});
