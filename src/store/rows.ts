import {
  type AuditRecord,
  type EventRecord,
  emptyTaskCounts,
  foldAscii,
  type ItemRecord,
  type JobRecord,
  type Json,
  type ResourceLock,
  type Role,
  type TaskLogLine,
  type TaskRecord,
  type TaskState,
  visibleText,
} from '../model/index.js';
import type { JobRow, TaskRow } from './ledger/ledger-tx.js';
import type { ConcurrencyUse, TaskPlacement, TokenRecord, UserRecord } from './store.js';

/**
 * Maps database rows (snake_case, driver types) to the camelCase records above the store.
 * Both backends share it: SQLite hands JSON columns back as text and booleans as 0/1,
 * PostgreSQL hands jsonb back parsed and booleans as booleans.
 */
export interface RowMapper {
  jobRow(r: DbRow): JobRow;
  taskRow(r: DbRow): TaskRow;
  /** A job row read as an array in JOB_ROW_COLUMNS order. */
  jobRowFrom(v: unknown[]): JobRow;
  /** A task row read as an array in TASK_ROW_COLUMNS order. */
  taskRowFrom(v: unknown[]): TaskRow;
  job(r: DbRow): JobRecord;
  task(r: DbRow): TaskRecord;
  item(r: DbRow): ItemRecord;
  logLine(r: DbRow): TaskLogLine;
  event(r: DbRow): EventRecord;
  audit(r: DbRow): AuditRecord;
  user(r: DbRow): UserRecord;
  token(r: DbRow): TokenRecord;
  json(value: unknown): Json;
}

export type DbRow = Record<string, unknown>;

/**
 * The columns of the task and job rows the ledger reads, in order. The SQLite store reads
 * these hot rows as arrays (better-sqlite3 `raw()`), which is markedly cheaper than objects
 * for rows this wide; `taskRowFrom`/`jobRowFrom` below map those arrays by position, and the
 * named mappers reuse them.
 */
export const TASK_ROW_COLUMNS = [
  'id',
  'job_id',
  'site',
  'workflow',
  'type',
  'priority',
  'state',
  'attempts',
  'max_attempts',
  'backoff_ms',
  'max_backoff_ms',
  'available_at',
  'lease_token',
  'lease_expires_at',
  'worker_id',
  'progress_done',
  'progress_total',
  'changed',
  'result',
  'error',
  'reason',
  'items_failed',
  'log_lines',
  'pending_deps',
  'dependents',
  'started_at',
  'ended_at',
  'updated_at',
] as const;

export const JOB_ROW_COLUMNS = [
  'id',
  'site',
  'queue',
  'workflow',
  'creator',
  'state',
  'intent',
  'outcome',
  'reason',
  'task_counts',
  'item_counts',
  'progress_done',
  'progress_total',
  'changed',
  'timeout_ms',
  'deadline_at',
  'started_at',
  'ended_at',
  'updated_at',
  'envelope_id',
] as const;

export function createRowMapper(options: { jsonAsText: boolean }): RowMapper {
  const json = options.jsonAsText
    ? (value: unknown): Json => (value === null || value === undefined ? null : JSON.parse(value as string))
    : (value: unknown): Json => (value === undefined ? null : (value as Json));
  const num = (value: unknown): number => Number(value);
  const optNum = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
  const bool = (value: unknown): boolean => value === true || value === 1;
  const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

  const itemCounts = (value: unknown) => {
    const counts = (json(value) ?? {}) as Record<string, number>;
    return { queued: counts.queued ?? 0, completed: counts.completed ?? 0, failed: counts.failed ?? 0, skipped: counts.skipped ?? 0 };
  };

  const counts = (value: unknown) => ({ ...ZERO_COUNTS, ...(json(value) as Record<string, number>) }) as JobRow['taskCounts'];
  const jobRowFrom = (v: unknown[]): JobRow => ({
    id: v[0] as number,
    site: v[1] as string,
    queue: v[2] as string,
    workflow: v[3] as string,
    creator: v[4] as string,
    state: v[5] as JobRow['state'],
    intent: v[6] as JobRow['intent'],
    outcome: v[7] as JobRow['outcome'],
    reason: v[8] as string | null,
    taskCounts: counts(v[9]),
    itemCounts: itemCounts(v[10]),
    progressDone: v[11] as number,
    progressTotal: v[12] as number,
    changed: bool(v[13]),
    timeoutMs: v[14] as number | null,
    deadlineAt: v[15] as number | null,
    startedAt: v[16] as number | null,
    endedAt: v[17] as number | null,
    updatedAt: v[18] as number,
    envelopeId: v[19] === null || v[19] === undefined ? null : Number(v[19]),
  });
  const taskRowFrom = (v: unknown[]): TaskRow => ({
    id: v[0] as number,
    jobId: v[1] as number,
    site: v[2] as string,
    workflow: v[3] as string,
    type: v[4] as string,
    priority: v[5] as number,
    state: v[6] as TaskRow['state'],
    attempts: v[7] as number,
    maxAttempts: v[8] as number,
    backoffMs: v[9] as number,
    maxBackoffMs: v[10] as number,
    availableAt: v[11] as number,
    leaseToken: v[12] as string | null,
    leaseExpiresAt: v[13] as number | null,
    workerId: v[14] as string | null,
    progressDone: v[15] as number,
    progressTotal: v[16] as number,
    changed: bool(v[17]),
    result: v[18] === null ? null : json(v[18]),
    error: v[19] === null ? null : (json(v[19]) as TaskRow['error']),
    reason: v[20] as string | null,
    itemsFailed: v[21] as number,
    logLines: v[22] as number,
    pendingDeps: v[23] as number,
    dependents: v[24] as number,
    startedAt: v[25] as number | null,
    endedAt: v[26] as number | null,
    updatedAt: v[27] as number,
  });

  // Rows read as objects (PostgreSQL, `SELECT *`) go through the positional mappers, so each
  // row shape is mapped in one place.
  const jobRow = (r: DbRow): JobRow => jobRowFrom(JOB_ROW_COLUMNS.map((column) => r[column]));
  const taskRow = (r: DbRow): TaskRow => taskRowFrom(TASK_ROW_COLUMNS.map((column) => r[column]));

  return {
    json,
    jobRow,
    taskRow,
    jobRowFrom,
    taskRowFrom,
    // Object.assign, not `{ ...jobRecordOf(…), lockWaitOn, … }`: V8 (Node 20) builds a spread of
    // a large object followed by more properties on a slow path, ~40 µs a job and a much larger
    // object; every list and export of jobs goes through here (1,000,000 jobs: 40 s and +100 MB).
    job: (r) =>
      Object.assign(
        jobRecordOf(
          jobRow(r),
          {
            priority: num(r.priority),
            fields: (json(r.fields) ?? {}) as Record<string, Json>,
            idempotencyKey: str(r.idempotency_key),
            parentJobId: optNum(r.parent_job_id),
            runAt: optNum(r.run_at),
            createdAt: num(r.created_at),
          },
          parseSiteList(r.other_sites),
        ),
        {
          lockWaitOn: optNum(r.lock_wait_on),
          concurrencyKey: str(r.concurrency_key),
          concurrencySlot: (str(r.concurrency_slot) as JobRecord['concurrencySlot']) ?? null,
          scheduleId: optNum(r.schedule_id),
          slotAt: optNum(r.slot_at),
          envelopeId: optNum(r.envelope_id),
          envelopeWaitOn: optNum(r.envelope_wait_on),
          rollbackOf: optNum(r.rollback_of),
          rollback: bool(r.is_rollback),
        },
      ),
    task(r) {
      const row = taskRow(r);
      const deps = r.depends_on;
      return {
        id: row.id,
        jobId: row.jobId,
        workflow: row.workflow,
        type: row.type,
        key: str(r.key),
        site: row.site,
        state: row.state,
        input: json(r.input),
        attempts: row.attempts,
        maxAttempts: row.maxAttempts,
        availableAt: row.availableAt,
        workerId: row.workerId,
        leaseExpiresAt: row.leaseExpiresAt,
        progress: { done: row.progressDone, total: row.progressTotal },
        changed: row.changed,
        result: row.result,
        error: row.error,
        reason: row.reason,
        itemsFailed: row.itemsFailed,
        dependsOn: parseIdList(deps),
        createdAt: num(r.created_at),
        startedAt: row.startedAt,
        endedAt: row.endedAt,
        updatedAt: row.updatedAt,
      };
    },
    item: (r) => ({
      id: num(r.id),
      jobId: num(r.job_id),
      taskId: num(r.task_id),
      path: r.path as string,
      operation: r.operation as string,
      outcome: r.outcome as ItemRecord['outcome'],
      bytes: optNum(r.bytes),
      error: str(r.error),
      at: num(r.at),
      superseded: bool(r.superseded),
    }),
    logLine: (r) => ({ seq: num(r.seq), at: num(r.at), line: r.line as string }),
    event: (r) => ({
      id: num(r.id),
      at: num(r.at),
      type: r.type as string,
      jobId: optNum(r.job_id),
      taskId: optNum(r.task_id),
      site: str(r.site),
      data: (json(r.data) ?? {}) as Record<string, Json>,
    }),
    user: (r) => ({
      id: num(r.id),
      username: r.username as string,
      passwordHash: r.password_hash as string,
      role: r.role as Role,
      sites: (json(r.sites) as string[] | null) ?? null,
      disabled: bool(r.disabled),
      passwordChangedAt: optNum(r.password_changed_at),
      email: (r.email as string | null | undefined) ?? null,
      createdAt: num(r.created_at),
    }),
    token: (r) => ({
      id: num(r.id),
      name: r.name as string,
      tokenHash: r.token_hash as string,
      role: r.role as Role,
      sites: (json(r.sites) as string[] | null) ?? null,
      createdBy: r.created_by as string,
      createdAt: num(r.created_at),
      lastUsedAt: optNum(r.last_used_at),
      expiresAt: optNum(r.expires_at),
      revokedAt: optNum(r.revoked_at),
    }),
    audit: (r) => ({
      id: num(r.id),
      at: num(r.at),
      actor: r.actor as string,
      action: r.action as string,
      target: str(r.target),
      site: str(r.site),
      data: (json(r.data) ?? {}) as Record<string, Json>,
    }),
  };
}

const ZERO_COUNTS = Object.freeze(emptyTaskCounts());

/** Lock rows (`job_id, lock_key, mode`) grouped by job. */
export function groupLocks(found: DbRow[]): Map<number, ResourceLock[]> {
  const byJob = new Map<number, ResourceLock[]>();
  for (const r of found) {
    const id = Number(r.job_id);
    const list = byJob.get(id) ?? [];
    list.push({ key: r.lock_key as string, mode: r.mode as ResourceLock['mode'] });
    byJob.set(id, list);
  }
  return byJob;
}

/** The columns of a job that the ledger never changes after submission. */
export type JobSubmission = Pick<JobRecord, 'priority' | 'fields' | 'idempotencyKey' | 'parentJobId' | 'runAt' | 'createdAt'>;

/** A job record from its ledger row and its submission columns: how a job reads, read back or just written. */
export function jobRecordOf(row: JobRow, submission: JobSubmission, otherSites: readonly string[] = []): JobRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    state: row.state,
    intent: row.intent,
    outcome: row.outcome,
    reason: row.reason,
    site: row.site,
    sites: [row.site, ...otherSites.filter((site) => site !== row.site)],
    queue: row.queue,
    creator: row.creator,
    priority: submission.priority,
    fields: submission.fields,
    idempotencyKey: submission.idempotencyKey,
    parentJobId: submission.parentJobId,
    runAt: submission.runAt,
    createdAt: submission.createdAt,
    timeoutMs: row.timeoutMs,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    updatedAt: row.updatedAt,
    progress: { done: row.progressDone, total: row.progressTotal },
    taskCounts: { ...row.taskCounts },
    itemCounts: { ...row.itemCounts },
  };
}

/** Rows of `site, worker_id, state, n` (ordered by site, worker) grouped into placements. */
export function groupPlacement(found: DbRow[]): TaskPlacement[] {
  const out: TaskPlacement[] = [];
  for (const r of found) {
    const site = r.site as string;
    const workerId = (r.worker_id as string | null) ?? null;
    let last = out[out.length - 1];
    if (!last || last.site !== site || last.workerId !== workerId) {
      last = { site, workerId, taskCounts: {} };
      out.push(last);
    }
    last.taskCounts[r.state as TaskState] = Number(r.n);
  }
  return out;
}

/** Every site of a job row read with `site` and `other_sites` (OTHER_SITES_SQL): its own first. */
export function jobSitesOf(r: DbRow): string[] {
  const home = r.site as string;
  return [home, ...parseSiteList(r.other_sites).filter((site) => site !== home)];
}

/**
 * A job's other sites as its reads select them (OTHER_SITES in list-queries.ts): a JSON array
 * (SQLite json_group_array) or an array (PostgreSQL array_agg); absent where a read does not select them.
 */
function parseSiteList(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : (JSON.parse(String(value)) as unknown[]);
  return list.map(String).sort();
}

/** Dependency ids arrive as a comma list (SQLite group_concat) or an array (PostgreSQL array_agg). */
function parseIdList(value: unknown): number[] {
  if (value === null || value === undefined || value === '') return [];
  if (Array.isArray(value)) return value.map(Number);
  return String(value).split(',').map(Number);
}

/** Concurrency use from rows of `workflow_concurrency` and of held jobs counted by workflow and key. */
export function concurrencyUseFrom(limits: DbRow[], held: DbRow[]): Map<string, ConcurrencyUse> {
  const use = new Map<string, ConcurrencyUse>();
  const n = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  for (const r of limits) use.set(r.workflow as string, { limit: n(r.concurrency_limit), perKey: n(r.per_key), held: 0, heldByKey: new Map() });
  for (const r of held) {
    const entry = use.get(r.workflow as string);
    if (!entry) continue;
    entry.held += Number(r.n);
    if (r.concurrency_key !== null) entry.heldByKey.set(r.concurrency_key as string, Number(r.n));
  }
  return use;
}

/**
 * How many candidate lines one output-search query reads (see searchTaskOutput in either store):
 * a coloured line comes back with its text, so this bounds the memory of one round trip.
 */
export const OUTPUT_SEARCH_BATCH = 2000;

/**
 * The seqs of the candidate lines of an output search whose visible text contains the folded
 * needle. A candidate's `coloured` column is null when the line has no escape character: the SQL
 * already found the needle in it. Otherwise it holds the line, which is matched here without its
 * escape sequences (SQL cannot strip them in both stores alike).
 */
export function visibleOutputMatches(candidates: DbRow[], foldedNeedle: string, limit: number): number[] {
  const seqs: number[] = [];
  for (const r of candidates) {
    if (seqs.length === limit) break;
    const coloured = r.coloured as string | null;
    if (coloured === null || foldAscii(visibleText(coloured)).includes(foldedNeedle)) seqs.push(Number(r.seq));
  }
  return seqs;
}
