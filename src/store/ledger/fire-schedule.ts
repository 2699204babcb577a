import { decideOverlap, SwitchyardError } from '../../model/index.js';
import type { FireResult, ScheduleFiring } from '../store.js';
import { controlJob } from './control.js';
import type { LedgerTx } from './ledger-tx.js';
import type { ScheduleSql } from './schedule-tx.js';
import { submitJobs } from './submit.js';

/**
 * Fires one slot of a schedule, inside the caller's transaction. The slot row is inserted
 * first: on PostgreSQL a second hub firing the same slot waits on that row's unique key until
 * the first commits, then finds it and stops (`duplicate`) — so each slot fires exactly once
 * across hubs and restarts, with no timer in memory. The schedule row is then locked, so that
 * the overlap rule sees the schedule's active jobs as no concurrent firing changes them.
 */
export async function fireSchedule(tx: LedgerTx, schedules: ScheduleSql, firing: ScheduleFiring, now: number): Promise<FireResult> {
  const none = (outcome: FireResult['outcome'], reason: string | null = null): FireResult => ({ outcome, job: null, cancelled: [], reason });
  const { scheduleId, slotAt } = firing;
  if (firing.pending) {
    if (!(await schedules.takePending(scheduleId, slotAt))) return none('duplicate');
  } else if (!(await schedules.recordSlot(scheduleId, slotAt, now))) {
    return none('duplicate');
  }
  const schedule = await schedules.get(scheduleId, true);
  if (!schedule) return none('gone');
  const active = await schedules.activeJobs(scheduleId);
  const decision = decideOverlap(schedule.overlap, active, firing.force === true);
  switch (decision.kind) {
    case 'skip':
      await schedules.settleSlot(scheduleId, slotAt, 'skipped', null);
      await schedules.noteFired(scheduleId, slotAt, null, now);
      return none('skipped', decision.reason);
    case 'wait':
      // One slot waits at most: a newer slot replaces an older one still waiting.
      await schedules.settleSlot(scheduleId, slotAt, 'waiting', null);
      await schedules.setPending(scheduleId, slotAt);
      return none('waiting', `waits for job ${active[active.length - 1]} to end`);
    case 'cancel-then-submit':
    case 'submit': {
      const cancelled = decision.kind === 'cancel-then-submit' ? decision.cancel : [];
      for (const id of cancelled) {
        try {
          await controlJob(tx, id, 'cancel', now);
        } catch (error) {
          // Already cancelling: nothing more to ask of it.
          if (!(error instanceof SwitchyardError && error.code === 'SWY_ERR_JOB_STATE')) throw error;
        }
      }
      const [submitted] = await submitJobs(tx, [firing.job], now);
      await schedules.tagJob(submitted.id, scheduleId, slotAt);
      await schedules.settleSlot(scheduleId, slotAt, 'submitted', submitted.id);
      await schedules.noteFired(scheduleId, slotAt, submitted.id, now);
      const job = submitted.record ? { ...submitted.record, scheduleId, slotAt } : null;
      return { outcome: 'submitted', job, cancelled, reason: null };
    }
  }
}
