import { Alert } from '@mantine/core';
import type { Job } from '../../api/types.js';
import { Icon } from '../../components/ui/icon.js';
import { stateStyle } from '../states/state-styles.js';

/**
 * Why the job ended as it did, at the top of its page where the eye lands first: a failure's
 * reason is the first thing an operator needs, not a line in the side bar.
 */
export function JobReasonBanner({ job }: { job: Job }) {
  if (!job.reason) return null;
  const style = stateStyle(job.state);
  const color = job.state === 'failure' ? 'red' : job.state === 'error' ? 'orange' : 'gray';
  return (
    <Alert color={color} variant="light" title={style.label} icon={<Icon name={style.icon} />} data-testid="job-reason-banner">
      <span data-testid="job-reason">{job.reason}</span>
    </Alert>
  );
}
