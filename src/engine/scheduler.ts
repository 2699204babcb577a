import { dueSlots, SYSTEM_ACTOR } from '../model/index.js';
import type { Store } from '../store/store.js';
import type { Duty } from './duty-loop.js';
import type { ScheduleJobBuilder } from './schedule-verbs.js';

/** Schedules looked at per round; the rest wait for the next round. */
const SCHEDULES_PER_ROUND = 200;

/**
 * The scheduler: fires the due slots of every schedule, on one hub at a time (duty loop).
 * Nothing is kept in memory between rounds: the next slot lives on the schedule row and each
 * fired slot is recorded once in the store, so a restart or another hub taking over fires
 * each slot exactly once. Missed slots follow the schedule's catch-up rule (model/schedule.ts);
 * a slot left waiting by the overlap rule `queue` fires once the previous run has ended.
 */
export function schedulerDuty(store: Store, buildJob: ScheduleJobBuilder, intervalMs: number, logger?: { warn(obj: object, msg: string): void }): Duty {
  return {
    name: 'scheduler',
    intervalMs,
    async run(now) {
      let fired = 0;
      for (const schedule of await store.dueSchedules(now, SCHEDULES_PER_ROUND)) {
        const creator = `schedule:${schedule.name}`;
        const job = async () => ({ ...(await buildJob(schedule, SYSTEM_ACTOR)), creator });
        try {
          if (schedule.pendingSlotAt !== null) {
            const result = await store.fireSchedule({ scheduleId: schedule.id, slotAt: schedule.pendingSlotAt, job: await job(), pending: true }, now);
            if (result.outcome === 'submitted') fired += 1;
          }
          if (!schedule.enabled || schedule.nextRunAt === null || schedule.nextRunAt > now) continue;
          const timing = { cron: schedule.cron, everyMs: schedule.everyMs, timezone: schedule.timezone, anchorAt: schedule.createdAt };
          const due = dueSlots(timing, schedule.nextRunAt, now, schedule.catchUp, schedule.catchUpLimit);
          for (const slotAt of due.slots) {
            const result = await store.fireSchedule({ scheduleId: schedule.id, slotAt, job: await job() }, now);
            if (result.outcome === 'submitted') fired += 1;
          }
          await store.advanceSchedule(schedule.id, schedule.nextRunAt, due.nextRunAt, now);
        } catch (error) {
          // A workflow removed or whose fields no longer validate: the slot is passed over, not retried forever.
          logger?.warn({ err: error, schedule: schedule.name }, 'schedule could not fire; its slot is passed over');
          const timing = { cron: schedule.cron, everyMs: schedule.everyMs, timezone: schedule.timezone, anchorAt: schedule.createdAt };
          if (schedule.nextRunAt !== null && schedule.nextRunAt <= now) {
            await store.advanceSchedule(schedule.id, schedule.nextRunAt, dueSlots(timing, schedule.nextRunAt, now, 'none').nextRunAt, now);
          }
        }
      }
      return fired;
    },
  };
}
