import type { JobEndSummary } from '../../api/notification-queries.js';

const ENDED: Record<string, string> = {
  success: 'succeeded',
  error: 'completed with errors',
  failure: 'failed',
  cancelled: 'was cancelled',
  skipped: 'had nothing to do',
  unknown: 'ended in an unknown state',
};

/** "Job 12 simulate failed at local" — what a notification says, in one line. */
export function notificationTitle(job: JobEndSummary): string {
  return `Job ${job.jobId} ${job.workflow} ${ENDED[job.state] ?? job.state} at ${job.site}`;
}
