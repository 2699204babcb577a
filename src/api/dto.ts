import type { Delivery, SubscriptionView } from '../engine/notify-verbs.js';
import type { ScheduleVerbs } from '../engine/schedule-verbs.js';
import {
  type Actor,
  type ChangeCounts,
  type ChangeDetail,
  type ChangeRecord,
  type ComparisonKind,
  describeSchedule,
  type EnvelopeRecord,
  finishedMembers,
  type ItemDifference,
  type ItemRecord,
  type ItemStat,
  type JobRecord,
  type Json,
  progressPercent,
  runResult,
  type TaskRecord,
  type WaitReason,
} from '../model/index.js';

type ScheduleRecord = Awaited<ReturnType<ScheduleVerbs['get']>>;

import type { WorkflowRegistry } from '../sdk/workflow-registry.js';

/** How secret field values read in every answer. */
export const REDACTED = '••••••';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Records as the API answers them: instants as ISO 8601 strings, progress with its percent,
 * and the values of a workflow's secret fields replaced (they stay in the store, where the
 * workers need them).
 */
export function jobDto(job: JobRecord, workflows: WorkflowRegistry, waitReason: WaitReason | null = null) {
  const workflow = workflows.get(job.workflow);
  return {
    id: job.id,
    workflow: job.workflow,
    label: workflow?.label ?? job.workflow,
    /** Controls the job's workflow supports (the console offers only these). */
    controls: {
      pause: workflow?.controls?.pause !== false,
      cancel: workflow?.controls?.cancel !== false,
      retry: workflow?.controls?.retry !== false,
    },
    state: job.state,
    outcome: job.outcome,
    /** The run's result chip: up-to-date, modified, failed, timed-out… (model/run-result.ts). */
    result: runResult(job),
    reason: job.reason,
    /** Why the job is not running now (null when it runs or has ended). */
    waitReason,
    lockWaitOn: job.lockWaitOn ?? null,
    /** The job's concurrency key (its workflow's `concurrency.key`), null without one. */
    concurrencyKey: job.concurrencyKey ?? null,
    /** The envelope the job belongs to, the member it still waits for, and for a rollback job what it undoes. */
    envelopeId: job.envelopeId ?? null,
    envelopeWaitOn: job.envelopeWaitOn ?? null,
    rollback: job.rollback ?? false,
    rollbackOf: job.rollbackOf ?? null,
    /** The schedule that fired the job and the slot it fired for (null: not scheduled). */
    scheduleId: job.scheduleId ?? null,
    slotAt: iso(job.slotAt ?? null),
    site: job.site,
    /** Every site the job has tasks at, its own first: visible at any of them, controllable with all of them. */
    sites: job.sites,
    queue: job.queue,
    creator: job.creator,
    priority: job.priority,
    fields: redactFields(job.fields, workflow?.secretFields ?? []),
    idempotencyKey: job.idempotencyKey,
    parentJobId: job.parentJobId,
    timeoutMs: job.timeoutMs,
    runAt: iso(job.runAt),
    createdAt: iso(job.createdAt) as string,
    startedAt: iso(job.startedAt),
    endedAt: iso(job.endedAt),
    updatedAt: iso(job.updatedAt) as string,
    progress: { ...job.progress, percent: progressPercent(job.progress) },
    taskCounts: job.taskCounts,
    itemCounts: job.itemCounts,
  };
}

export type JobDto = ReturnType<typeof jobDto>;

/**
 * A schedule as the API answers it: its settings (secret field values redacted, as on jobs), its
 * timing in words, and its last run (the job it fired last, while that job exists) with the
 * run's result chip. `lastActivityAt` is the later of the last slot and the last run's last change.
 */
export function scheduleDto(s: ScheduleRecord, workflows: WorkflowRegistry, lastRun: JobRecord | null = null) {
  const lastActivity = Math.max(s.lastSlotAt ?? 0, lastRun?.updatedAt ?? 0);
  return {
    ...s,
    fields: redactFields(s.fields, workflows.get(s.workflow)?.secretFields ?? []),
    description: describeSchedule(s),
    nextRunAt: iso(s.nextRunAt),
    pendingSlotAt: iso(s.pendingSlotAt),
    lastSlotAt: iso(s.lastSlotAt),
    lastRun: lastRun
      ? {
          jobId: lastRun.id,
          state: lastRun.state,
          outcome: lastRun.outcome,
          result: runResult(lastRun),
          reason: lastRun.reason,
          slotAt: iso(lastRun.slotAt ?? null),
          startedAt: iso(lastRun.startedAt),
          endedAt: iso(lastRun.endedAt),
        }
      : null,
    lastActivityAt: iso(lastActivity === 0 ? null : lastActivity),
    createdAt: iso(s.createdAt) as string,
    updatedAt: iso(s.updatedAt) as string,
  };
}

export type ScheduleDto = ReturnType<typeof scheduleDto>;

/** An envelope as the API answers it: instants as ISO 8601, and its members done of total. */
export function envelopeDto(envelope: EnvelopeRecord) {
  const done = finishedMembers(envelope.jobCounts);
  return {
    id: envelope.id,
    type: envelope.type,
    status: envelope.status,
    reason: envelope.reason,
    problem: envelope.problem,
    site: envelope.site,
    queue: envelope.queue,
    creator: envelope.creator,
    fileName: envelope.fileName,
    idempotencyKey: envelope.idempotencyKey,
    onError: envelope.onError,
    rollback: envelope.rollback,
    rollbackJobId: envelope.rollbackJobId,
    jobCounts: envelope.jobCounts,
    progress: { done, total: envelope.totalJobs, percent: envelope.totalJobs === 0 ? 100 : Math.floor((100 * done) / envelope.totalJobs) },
    createdAt: iso(envelope.createdAt) as string,
    updatedAt: iso(envelope.updatedAt) as string,
    endedAt: iso(envelope.endedAt),
  };
}

export type EnvelopeDto = ReturnType<typeof envelopeDto>;

export function taskDto(task: TaskRecord, waitReason: WaitReason | null = null) {
  return {
    waitReason,
    id: task.id,
    jobId: task.jobId,
    workflow: task.workflow,
    type: task.type,
    key: task.key,
    site: task.site,
    state: task.state,
    input: task.input,
    attempts: task.attempts,
    maxAttempts: task.maxAttempts,
    availableAt: iso(task.availableAt) as string,
    workerId: task.workerId,
    leaseExpiresAt: iso(task.leaseExpiresAt),
    progress: task.progress,
    changed: task.changed,
    result: task.result,
    error: task.error,
    reason: task.reason,
    itemsFailed: task.itemsFailed,
    dependsOn: task.dependsOn,
    createdAt: iso(task.createdAt) as string,
    startedAt: iso(task.startedAt),
    endedAt: iso(task.endedAt),
    updatedAt: iso(task.updatedAt) as string,
  };
}

export function itemDto(item: ItemRecord) {
  return { ...item, at: iso(item.at) as string };
}

export type TaskDto = ReturnType<typeof taskDto>;
export type ItemDto = ReturnType<typeof itemDto>;

export function redactFields(fields: Record<string, Json>, secret: string[]): Record<string, Json> {
  if (secret.length === 0) return fields;
  const copy = { ...fields };
  for (const name of secret) if (name in copy) copy[name] = REDACTED;
  return copy;
}

export function actorDto(actor: Actor) {
  return { name: actor.name, role: actor.role, sites: actor.sites };
}

/** A subscription or site rule; a webhook's `secret` is present once, in the answer that created it. */
export function subscriptionDto(s: SubscriptionView & { secret?: string }) {
  return { ...s, createdAt: iso(s.createdAt) };
}

export type SubscriptionDto = ReturnType<typeof subscriptionDto>;

/** One notification sent (or to send) for a subscription: `job` is what it says of the job or envelope that ended. */
export function deliveryDto(d: Delivery) {
  return {
    id: d.id,
    subscriptionId: d.subscriptionId,
    jobId: d.jobId,
    channel: d.channel,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    lastError: d.lastError,
    job: d.payload,
    createdAt: iso(d.createdAt),
    sentAt: iso(d.sentAt),
    readAt: iso(d.readAt),
  };
}

export type DeliveryDto = ReturnType<typeof deliveryDto>;

export { iso };

/** A change of a job's change set as the API answers it (`GET /jobs/:id/changes`). */
export type ChangeDto = Omit<ChangeRecord, 'at'> & { at: string };
/** One change with its texts (`GET /jobs/:id/changes/:changeId`). */
export type ChangeDetailDto = Omit<ChangeDetail, 'at'> & { at: string };
export type ChangePageDto = { items: ChangeDto[]; nextCursor: string | null; counts: ChangeCounts };
/** `GET /jobs/:id/compare`: this job's items against the previous run's (see ReadVerbs.compare). */
export interface ComparisonDto {
  jobId: number;
  previousJobId: number | null;
  counts: Record<ComparisonKind | 'unchanged', number>;
  items: ItemDifference[];
  nextAfter: string | null;
  truncated: boolean;
}
/** `GET /jobs/:id/items/stats`. */
export type ItemStatsDto = { items: ItemStat[] };
