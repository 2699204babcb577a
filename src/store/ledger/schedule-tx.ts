import { type Json, SwitchyardError } from '../../model/index.js';
import type { DbRow } from '../rows.js';
import type { NewSchedule, ScheduleRecord } from '../store.js';

/**
 * How the schedule verbs reach the database, one executor per backend (sqlite-schedules.ts,
 * postgres-schedules.ts): SQL is written once with `?` placeholders; the PostgreSQL executor
 * numbers them. `forUpdate` is ' FOR UPDATE' on PostgreSQL (SQLite locks the whole file).
 */
export interface ScheduleExecutor {
  all(sql: string, params: unknown[]): Promise<DbRow[]>;
  /** Answers how many rows changed. */
  run(sql: string, params: unknown[]): Promise<number>;
  readonly forUpdate: string;
  /** How a JSON value and a boolean are bound. */
  json(value: Json): unknown;
  bool(value: boolean): unknown;
  /** A boolean column is false, as a literal condition: a partial index's own words (a bound parameter would not match it). */
  isFalse(column: string): string;
  parseJson(value: unknown): Json;
}

const TERMINAL = "('cancelled', 'success', 'error', 'failure', 'skipped', 'unknown')";

export function scheduleOf(x: ScheduleExecutor, r: DbRow): ScheduleRecord {
  const optNum = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    name: r.name as string,
    workflow: r.workflow as string,
    site: r.site as string,
    queue: r.queue as string,
    fields: x.parseJson(r.fields) as Record<string, Json>,
    cron: (r.cron as string | null) ?? null,
    everyMs: optNum(r.every_ms),
    timezone: r.timezone as string,
    overlap: r.overlap as ScheduleRecord['overlap'],
    catchUp: r.catch_up as ScheduleRecord['catchUp'],
    catchUpLimit: Number(r.catch_up_limit),
    enabled: r.enabled === true || r.enabled === 1,
    codeOwned: r.code_owned === true || r.code_owned === 1,
    creator: r.creator as string,
    nextRunAt: optNum(r.next_run_at),
    pendingSlotAt: optNum(r.pending_slot_at),
    lastSlotAt: optNum(r.last_slot_at),
    lastJobId: optNum(r.last_job_id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Columns a patch may set, by record key. */
const PATCHABLE: Record<keyof NewSchedule, string> = {
  name: 'name',
  workflow: 'workflow',
  site: 'site',
  queue: 'queue',
  fields: 'fields',
  cron: 'cron',
  everyMs: 'every_ms',
  timezone: 'timezone',
  overlap: 'overlap',
  catchUp: 'catch_up',
  catchUpLimit: 'catch_up_limit',
  enabled: 'enabled',
  codeOwned: 'code_owned',
  creator: 'creator',
  nextRunAt: 'next_run_at',
};

function bind(x: ScheduleExecutor, key: keyof NewSchedule, value: unknown): unknown {
  if (key === 'fields') return x.json(value as Json);
  if (key === 'enabled' || key === 'codeOwned') return x.bool(value as boolean);
  return value ?? null;
}

/** The schedule reads and writes both backends share. */
export class ScheduleSql {
  constructor(private readonly x: ScheduleExecutor) {}

  /** Throws SWY_ERR_SCHEDULE_EXISTS when another schedule has the name. */
  async assertNameFree(name: string, exceptId: number | null): Promise<void> {
    const [row] = await this.x.all('SELECT id FROM schedules WHERE name = ?', [name]);
    if (row && Number(row.id) !== exceptId) throw new SwitchyardError('SWY_ERR_SCHEDULE_EXISTS', `A schedule named "${name}" exists`);
  }

  async insert(schedule: NewSchedule, now: number): Promise<ScheduleRecord> {
    await this.assertNameFree(schedule.name, null);
    const keys = Object.keys(PATCHABLE) as (keyof NewSchedule)[];
    const [row] = await this.x.all(
      `INSERT INTO schedules (${keys.map((k) => PATCHABLE[k]).join(', ')}, created_at, updated_at)
       VALUES (${keys.map(() => '?').join(', ')}, ?, ?) RETURNING *`,
      [...keys.map((k) => bind(this.x, k, schedule[k])), now, now],
    );
    return scheduleOf(this.x, row);
  }

  async get(id: number, lock = false): Promise<ScheduleRecord | null> {
    const [row] = await this.x.all(`SELECT * FROM schedules WHERE id = ?${lock ? this.x.forUpdate : ''}`, [id]);
    return row ? scheduleOf(this.x, row) : null;
  }

  async list(sites: string[] | null): Promise<ScheduleRecord[]> {
    if (sites !== null && sites.length === 0) return [];
    const where = sites === null ? '' : `WHERE site IN (${sites.map(() => '?').join(', ')})`;
    return (await this.x.all(`SELECT * FROM schedules ${where} ORDER BY id`, sites ?? [])).map((r) => scheduleOf(this.x, r));
  }

  async update(id: number, patch: Partial<NewSchedule>, now: number): Promise<ScheduleRecord | null> {
    if (patch.name !== undefined) await this.assertNameFree(patch.name, id);
    const keys = (Object.keys(patch) as (keyof NewSchedule)[]).filter((k) => k in PATCHABLE && patch[k] !== undefined);
    const sets = [...keys.map((k) => `${PATCHABLE[k]} = ?`), 'updated_at = ?'];
    const [row] = await this.x.all(`UPDATE schedules SET ${sets.join(', ')} WHERE id = ? RETURNING *`, [
      ...keys.map((k) => bind(this.x, k, patch[k])),
      now,
      id,
    ]);
    return row ? scheduleOf(this.x, row) : null;
  }

  async delete(id: number): Promise<boolean> {
    await this.x.run('DELETE FROM schedule_slots WHERE schedule_id = ?', [id]);
    return (await this.x.run('DELETE FROM schedules WHERE id = ?', [id])) > 0;
  }

  async due(now: number, limit: number): Promise<ScheduleRecord[]> {
    const rows = await this.x.all(`SELECT * FROM schedules WHERE (enabled = ? AND next_run_at <= ?) OR pending_slot_at IS NOT NULL ORDER BY id LIMIT ?`, [
      this.x.bool(true),
      now,
      limit,
    ]);
    return rows.map((r) => scheduleOf(this.x, r));
  }

  async advance(id: number, from: number | null, next: number | null, now: number): Promise<boolean> {
    const guard = from === null ? 'next_run_at IS NULL' : 'next_run_at = ?';
    return (
      (await this.x.run(`UPDATE schedules SET next_run_at = ?, updated_at = ? WHERE id = ? AND ${guard}`, [next, now, id, ...(from === null ? [] : [from])])) >
      0
    );
  }

  /** Records a slot as fired; false when it was recorded before (the slot fired already). */
  async recordSlot(scheduleId: number, slotAt: number, now: number): Promise<boolean> {
    const rows = await this.x.all(
      `INSERT INTO schedule_slots (schedule_id, slot_at, outcome, fired_at) VALUES (?, ?, 'firing', ?)
       ON CONFLICT (schedule_id, slot_at) DO NOTHING RETURNING slot_at`,
      [scheduleId, slotAt, now],
    );
    return rows.length > 0;
  }

  async settleSlot(scheduleId: number, slotAt: number, outcome: string, jobId: number | null): Promise<void> {
    await this.x.run('UPDATE schedule_slots SET outcome = ?, job_id = ? WHERE schedule_id = ? AND slot_at = ?', [outcome, jobId, scheduleId, slotAt]);
  }

  /** Takes the waiting slot, only if it is still `slotAt`: false when another hub took it. */
  async takePending(scheduleId: number, slotAt: number): Promise<boolean> {
    return (await this.x.run('UPDATE schedules SET pending_slot_at = NULL WHERE id = ? AND pending_slot_at = ?', [scheduleId, slotAt])) > 0;
  }

  async setPending(scheduleId: number, slotAt: number): Promise<void> {
    await this.x.run('UPDATE schedules SET pending_slot_at = ? WHERE id = ?', [slotAt, scheduleId]);
  }

  /** Unfinished jobs of the schedule, oldest first. */
  async activeJobs(scheduleId: number): Promise<number[]> {
    const rows = await this.x.all(`SELECT id FROM jobs WHERE schedule_id = ? AND state NOT IN ${TERMINAL} ORDER BY id`, [scheduleId]);
    return rows.map((r) => Number(r.id));
  }

  async tagJob(jobId: number, scheduleId: number, slotAt: number): Promise<void> {
    await this.x.run('UPDATE jobs SET schedule_id = ?, slot_at = ? WHERE id = ?', [scheduleId, slotAt, jobId]);
  }

  async noteFired(scheduleId: number, slotAt: number, jobId: number | null, now: number): Promise<void> {
    await this.x.run('UPDATE schedules SET last_slot_at = ?, last_job_id = COALESCE(?, last_job_id), updated_at = ? WHERE id = ?', [
      slotAt,
      jobId,
      now,
      scheduleId,
    ]);
  }
}
