import type { Permission } from './access.js';
import { assertNever } from './assert-never.js';
import { canControlJob } from './job-controls.js';
import { JOB_STATES, type JobState } from './job-state.js';
import type { Role } from './roles.js';

/**
 * Bulk actions (R7, R59): one control applied to many jobs — chosen by id or by the jobs
 * list's filter — as a tracked **operation** the hub runs in bounded batches. Each job is
 * checked by the same rules as the single-job control; a job the rules refuse is counted as
 * skipped, with its reason, and the operation goes on.
 */
export const BulkAction = {
  cancel: 'cancel',
  pause: 'pause',
  resume: 'resume',
  retry: 'retry',
  delete: 'delete',
  subscribe: 'subscribe',
} as const;
export type BulkAction = (typeof BulkAction)[keyof typeof BulkAction];
export const BULK_ACTIONS: readonly BulkAction[] = Object.values(BulkAction);

/**
 * Who moves an operation: created `running` by the bulk verb; the runner (one hub at a time)
 * moves it to `done` after its last batch, or `failed` on an unexpected error; a caller
 * moves a running one to `cancelled` (batches already applied stay applied).
 */
export const OperationState = {
  running: 'running',
  done: 'done',
  cancelled: 'cancelled',
  failed: 'failed',
} as const;
export type OperationState = (typeof OperationState)[keyof typeof OperationState];

/** The job filter an operation runs over (the jobs list's filters, `sites` already scoped to the actor). */
export interface OperationFilter {
  sites: string[] | null;
  states?: JobState[];
  queues?: string[];
  workflows?: string[];
  creators?: string[];
  schedules?: number[];
  createdFrom?: number;
  createdTo?: number;
  hideNoop?: boolean;
  q?: string;
}

/** Jobs refused or failed for one reason: how many, and the first few ids (for the result summary). */
export interface OperationReason {
  count: number;
  jobIds: number[];
}

/** At most this many job ids are kept per reason: the summary stays small over 100,000 jobs. */
export const REASON_SAMPLE = 20;

/** An operation as stored and answered. Instants are epoch milliseconds. */
export interface OperationRecord {
  id: number;
  action: BulkAction;
  /** The filter the jobs were chosen by; null when chosen by `jobIds`. */
  filter: OperationFilter | null;
  jobIds: number[] | null;
  /** Action options (subscribe: channel, address, on). */
  options: Record<string, string>;
  /** Who asked, as checked then: the operation acts with this role and these sites. */
  actor: string;
  actorRole: Role;
  actorSites: string[] | null;
  state: OperationState;
  /** Jobs created after the operation (ids above this) are never touched. */
  maxJobId: number;
  /** The last job id handled: the next batch starts after it (resumes after a restart). */
  cursor: number;
  /** Jobs matching when the operation started (the preview's `matching`). */
  total: number;
  done: number;
  succeeded: number;
  skipped: number;
  failed: number;
  /** Skips and failures grouped by reason. */
  reasons: Record<string, OperationReason>;
  error: string | null;
  createdAt: number;
  startedAt: number;
  endedAt: number | null;
  updatedAt: number;
}

/** The permission a bulk action needs: as its single-job control needs. */
export function bulkPermission(action: BulkAction): Permission {
  switch (action) {
    case 'cancel':
    case 'pause':
    case 'resume':
    case 'retry':
      return 'jobs.control';
    case 'delete':
      return 'jobs.delete';
    case 'subscribe':
      return 'notify.subscribe';
    default:
      return assertNever(action, 'bulk action');
  }
}

/** The job states in which the action applies (subscribe: any). */
export function bulkStates(action: BulkAction): JobState[] {
  if (action === 'subscribe') return [...JOB_STATES];
  return JOB_STATES.filter((state) => canControlJob(state, action));
}

/** Whether an operation is over (nothing more will be done). */
export function isOperationOver(state: OperationState): boolean {
  return state !== 'running';
}
