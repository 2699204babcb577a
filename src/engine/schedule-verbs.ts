import {
  type Actor,
  authorize,
  type CatchUpRule,
  DEFAULT_CATCH_UP_LIMIT,
  type JobRecord,
  type Json,
  nextSlotAfter,
  type OverlapRule,
  requireSite,
  SwitchyardError,
  scopeSites,
  validateTiming,
} from '../model/index.js';
import type { FireResult, NewJob, NewSchedule, SchedulePatch, ScheduleRecord } from '../store/store.js';
import type { EngineCore } from './engine-core.js';

/** A schedule as a person or code declares it; absent settings take their defaults. */
export interface ScheduleInput {
  name: string;
  workflow: string;
  fields?: Record<string, Json>;
  site?: string;
  queue?: string;
  cron?: string | null;
  everyMs?: number | null;
  timezone?: string;
  overlap?: OverlapRule;
  catchUp?: CatchUpRule;
  catchUpLimit?: number;
  enabled?: boolean;
}

export type SchedulePatchInput = Partial<ScheduleInput>;

/** Builds the job a schedule submits (validated and planned like any submission). */
export type ScheduleJobBuilder = (schedule: Pick<ScheduleRecord, 'name' | 'workflow' | 'fields' | 'site' | 'queue'>, actor: Actor) => Promise<NewJob>;

/** When a schedule's next slot falls after `now`, or null when disabled. */
export function nextRunOf(schedule: Pick<ScheduleRecord, 'cron' | 'everyMs' | 'timezone' | 'enabled' | 'createdAt'>, now: number): number | null {
  if (!schedule.enabled) return null;
  return nextSlotAfter({ cron: schedule.cron, everyMs: schedule.everyMs, timezone: schedule.timezone, anchorAt: schedule.createdAt }, now);
}

/**
 * Schedules, scoped by site like jobs: an actor sees and changes the schedules of its sites.
 * Reading needs a viewer, running now and editing an operator. A schedule declared in a
 * workflow's code is changed only there (enable/disable excepted: that is operating it).
 */
export class ScheduleVerbs {
  constructor(
    private readonly core: EngineCore,
    private readonly buildJob: ScheduleJobBuilder,
    private readonly defaultSite: string,
    private readonly checkWorkflow: (workflow: string, fields: unknown) => { queue: string | undefined; fields: Record<string, Json> },
    /** Refuses a site that does not exist (SWY_ERR_SITE_UNKNOWN), as a job's submission does. */
    private readonly requireKnownSite: (site: string) => Promise<void>,
  ) {}

  async list(actor: Actor, sites?: string[] | null): Promise<ScheduleRecord[]> {
    authorize(actor, 'schedules.read');
    return this.core.store.listSchedules(scopeSites(actor, sites ?? null));
  }

  /**
   * The job each schedule fired last (its `lastJobId`), by schedule id — for the list's "last
   * run" and its result chip. A pruned or deleted job is simply absent. One read for the page.
   */
  async lastRuns(schedules: ScheduleRecord[], actor: Actor): Promise<Map<number, JobRecord>> {
    authorize(actor, 'schedules.read');
    const ids = schedules.map((s) => s.lastJobId).filter((id): id is number => id !== null);
    if (ids.length === 0) return new Map();
    const { items } = await this.core.store.listJobs({ sites: scopeSites(actor, null), ids, limit: ids.length });
    const byId = new Map(items.map((job) => [job.id, job]));
    const runs = new Map<number, JobRecord>();
    for (const s of schedules) {
      const job = s.lastJobId === null ? undefined : byId.get(s.lastJobId);
      if (job) runs.set(s.id, job);
    }
    return runs;
  }

  async get(id: number, actor: Actor): Promise<ScheduleRecord> {
    authorize(actor, 'schedules.read');
    const schedule = await this.core.store.getSchedule(id);
    // A schedule at a site the actor may not see does not exist for it.
    if (!schedule || (actor.sites !== null && !actor.sites.includes(schedule.site))) {
      throw new SwitchyardError('SWY_ERR_SCHEDULE_NOT_FOUND', `No schedule with id ${id}`);
    }
    return schedule;
  }

  async create(input: ScheduleInput, actor: Actor, codeOwned = false): Promise<ScheduleRecord> {
    authorize(actor, 'schedules.edit');
    const schedule = this.resolve(input, actor, codeOwned);
    // One at a misspelt site would fail at every firing; one declared in code may name a site
    // its workers have not registered yet.
    if (!codeOwned) await this.requireKnownSite(schedule.site);
    await this.requirePlanSites(schedule, actor);
    const now = this.core.clock();
    const created = await this.core.store.createSchedule({ ...schedule, nextRunAt: nextRunOf({ ...schedule, createdAt: now }, now) }, now);
    await this.core.audit(actor, 'schedule.create', `schedule:${created.id}`, created.site, { name: created.name, workflow: created.workflow });
    return created;
  }

  async update(id: number, patch: SchedulePatchInput, actor: Actor, fromCode = false): Promise<ScheduleRecord> {
    authorize(actor, 'schedules.edit');
    const current = await this.get(id, actor);
    const onlyEnabled = Object.keys(patch).every((key) => key === 'enabled');
    if (current.codeOwned && !fromCode && !onlyEnabled) {
      throw new SwitchyardError('SWY_ERR_SCHEDULE_CODE_OWNED', `Schedule "${current.name}" is declared in code: change it there`);
    }
    const merged = this.resolve(
      {
        ...current,
        ...patch,
        // Giving one timing clears the other.
        cron: patch.everyMs != null ? null : (patch.cron ?? current.cron),
        everyMs: patch.cron != null ? null : (patch.everyMs ?? current.everyMs),
      },
      actor,
      current.codeOwned,
    );
    if (!fromCode && merged.site !== current.site) await this.requireKnownSite(merged.site);
    if (!onlyEnabled) await this.requirePlanSites(merged, actor);
    const now = this.core.clock();
    const changes: SchedulePatch = { ...merged, nextRunAt: nextRunOf({ ...merged, createdAt: current.createdAt }, now) };
    delete (changes as Partial<NewSchedule>).creator;
    const updated = (await this.core.store.updateSchedule(id, changes, now)) as ScheduleRecord;
    const action = onlyEnabled ? (patch.enabled ? 'schedule.enable' : 'schedule.disable') : 'schedule.update';
    await this.core.audit(actor, action, `schedule:${id}`, updated.site, { name: updated.name, changed: Object.keys(patch) });
    return updated;
  }

  async setEnabled(id: number, enabled: boolean, actor: Actor): Promise<ScheduleRecord> {
    return this.update(id, { enabled }, actor);
  }

  async remove(id: number, actor: Actor, fromCode = false): Promise<void> {
    authorize(actor, 'schedules.edit');
    const current = await this.get(id, actor);
    if (current.codeOwned && !fromCode)
      throw new SwitchyardError('SWY_ERR_SCHEDULE_CODE_OWNED', `Schedule "${current.name}" is declared in code: remove it there`);
    await this.core.store.deleteSchedule(id);
    await this.core.audit(actor, 'schedule.delete', `schedule:${id}`, current.site, { name: current.name });
  }

  /** Runs a schedule now, as a slot at this instant: the overlap rule applies unless forced. */
  async run(id: number, actor: Actor, options: { force?: boolean } = {}): Promise<FireResult> {
    authorize(actor, 'schedules.run');
    const schedule = await this.get(id, actor);
    requireSite(actor, schedule.site);
    const job = { ...(await this.buildJob(schedule, actor)), creator: actor.name };
    let now = this.core.clock();
    let result = await this.core.store.fireSchedule({ scheduleId: id, slotAt: now, job, force: options.force === true }, now);
    // Two runs within one millisecond (or a cron slot at this very instant): take the next.
    while (result.outcome === 'duplicate') {
      now += 1;
      result = await this.core.store.fireSchedule({ scheduleId: id, slotAt: now, job, force: options.force === true }, now);
    }
    await this.core.audit(actor, 'schedule.run', `schedule:${id}`, schedule.site, {
      outcome: result.outcome,
      jobId: result.job?.id ?? null,
      force: options.force === true,
    });
    return result;
  }

  /**
   * Makes the code-owned schedules match `declared` (from the workflows' `schedules`): new
   * ones are created, changed ones updated (their enabled flag left as operators set it),
   * and code-owned ones no longer declared removed. Answers how many changed.
   */
  async syncFromCode(declared: ScheduleInput[], actor: Actor): Promise<number> {
    const existing = new Map((await this.core.store.listSchedules(null)).map((s) => [s.name, s]));
    let changed = 0;
    for (const input of declared) {
      const current = existing.get(input.name);
      existing.delete(input.name);
      if (!current) {
        try {
          await this.create(input, actor, true);
          changed += 1;
        } catch (error) {
          // Another hub starting at the same time created it first.
          if (!(error instanceof SwitchyardError && error.code === 'SWY_ERR_SCHEDULE_EXISTS')) throw error;
        }
        continue;
      }
      const wanted = this.resolve({ ...input, enabled: current.enabled }, actor, true);
      const same = (Object.keys(wanted) as (keyof typeof wanted)[]).every(
        (key) => key === 'creator' || JSON.stringify(wanted[key]) === JSON.stringify(current[key]),
      );
      if (!same) {
        const { creator: _creator, codeOwned: _codeOwned, ...patch } = wanted;
        if (!current.codeOwned) await this.core.store.updateSchedule(current.id, { codeOwned: true }, this.core.clock());
        await this.update(current.id, patch, actor, true);
        changed += 1;
      }
    }
    for (const gone of existing.values()) {
      if (!gone.codeOwned) continue;
      await this.remove(gone.id, actor, true);
      changed += 1;
    }
    return changed;
  }

  /**
   * Plans the job the schedule would submit, as its author: a plan that acts at a site the
   * author has no access to (a `delete` at the site its fields name) is refused now, not
   * carried out later by the scheduler on the author's behalf.
   */
  private async requirePlanSites(schedule: Pick<ScheduleRecord, 'name' | 'workflow' | 'fields' | 'site' | 'queue'>, actor: Actor): Promise<void> {
    if (actor.sites !== null) await this.buildJob(schedule, actor);
  }

  /** Validates an input into the stored settings. */
  private resolve(input: ScheduleInput, actor: Actor, codeOwned: boolean): Omit<NewSchedule, 'nextRunAt'> {
    const site = input.site ?? this.defaultSite;
    requireSite(actor, site);
    const { queue, fields } = this.checkWorkflow(input.workflow, input.fields ?? {});
    const timing = { cron: input.cron ?? null, everyMs: input.everyMs ?? null, timezone: input.timezone ?? 'UTC' };
    validateTiming(timing);
    return {
      name: input.name,
      workflow: input.workflow,
      site,
      queue: input.queue ?? queue ?? 'default',
      fields,
      ...timing,
      overlap: input.overlap ?? 'skip',
      catchUp: input.catchUp ?? 'latest',
      catchUpLimit: input.catchUpLimit ?? DEFAULT_CATCH_UP_LIMIT,
      enabled: input.enabled ?? true,
      codeOwned,
      creator: actor.name,
    };
  }
}
