import type { JobEndSummary } from '../../api/notification-queries.js';

const ENDED: Record<string, string> = {
  success: 'succeeded',
  error: 'completed with errors',
  failure: 'failed',
  cancelled: 'was cancelled',
  skipped: 'had nothing to do',
  unknown: 'ended in an unknown state',
};

const ENVELOPE_ENDED: Record<string, string> = {
  success: 'succeeded',
  errors: 'ended with errors',
  corrupt: 'was corrupt',
  cancelled: 'was cancelled',
  'rolled-back': 'was rolled back',
};

/** "Job 12 simulate failed at local" (or "Envelope 3 jobs succeeded at local") — what a notification says, in one line. */
export function notificationTitle(job: JobEndSummary): string {
  if (job.kind === 'envelope') {
    const status = job.status ?? '';
    return `Envelope ${job.envelopeId} ${job.type} ${ENVELOPE_ENDED[status] ?? status} at ${job.site} (${job.done}/${job.totalJobs} jobs done)`;
  }
  const schedule = job.schedule ? ` (schedule ${job.schedule.name})` : '';
  return `Job ${job.jobId} ${job.workflow} ${ENDED[job.state] ?? job.state} at ${job.site}${schedule}`;
}

/** The console page a notification is about: the job's, or the envelope's. */
export function notificationPath(job: JobEndSummary): string {
  return job.kind === 'envelope' ? `/envelopes/${job.envelopeId}` : `/jobs/${job.jobId}`;
}
