import { type Actor, type ItemRecord, type JobRecord, type Json, progressPercent, type TaskRecord, type WaitReason } from '../model/index.js';
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
    reason: job.reason,
    /** Why the job is not running now (null when it runs or has ended). */
    waitReason,
    lockWaitOn: job.lockWaitOn ?? null,
    /** The job's concurrency key (its workflow's `concurrency.key`), null without one. */
    concurrencyKey: job.concurrencyKey ?? null,
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

export { iso };
