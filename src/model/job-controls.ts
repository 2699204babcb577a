import { assertNever } from './assert-never.js';
import type { JobState } from './job-state.js';
import { isTerminalJobState } from './job-state.js';

/** Operator controls on a job. Which role may use each is decided in the API. */
export const JobControl = {
  pause: 'pause',
  resume: 'resume',
  cancel: 'cancel',
  retry: 'retry',
  resubmit: 'resubmit',
  delete: 'delete',
} as const;
export type JobControl = (typeof JobControl)[keyof typeof JobControl];
export const JOB_CONTROLS: readonly JobControl[] = Object.values(JobControl);

/** Whether "pause now" applies: as pause, and also to a job already pausing (its running tasks are then told to stop). */
export function canPauseNow(state: JobState): boolean {
  return state === 'pausing' || canControlJob(state, 'pause');
}

/** Whether `control` applies to a job in `state`. The console shows only the controls for which this is true. */
export function canControlJob(state: JobState, control: JobControl): boolean {
  switch (control) {
    case 'pause':
      return state === 'created' || state === 'queued' || state === 'running';
    case 'resume':
      return state === 'pausing' || state === 'paused';
    case 'cancel':
      return !isTerminalJobState(state) && state !== 'cancelling';
    case 'retry':
      return state === 'error' || state === 'failure' || state === 'cancelled' || state === 'unknown';
    case 'resubmit':
      return true;
    case 'delete':
      return isTerminalJobState(state);
    default:
      return assertNever(control, 'job control');
  }
}
