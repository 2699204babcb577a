import type { JobState } from './job-state.js';

/**
 * What a finished job did to the world: `changed` ("Modified": it found and made differences)
 * or `unchanged` ("Up to date"). Null while the job runs, and for jobs that ended without
 * doing their work (failure, cancelled) unless some task changed something before they did.
 */
export type JobOutcome = 'changed' | 'unchanged';

export function classifyJobOutcome(state: JobState, anyTaskChanged: boolean): JobOutcome | null {
  switch (state) {
    case 'success':
    case 'error':
    case 'skipped':
      return anyTaskChanged ? 'changed' : 'unchanged';
    case 'failure':
    case 'cancelled':
    case 'unknown':
      return anyTaskChanged ? 'changed' : null;
    default:
      return null;
  }
}
