import { Button, Group } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useNavigate } from 'react-router';
import { useRetryFailedItems } from '../../api/change-queries.js';
import { type ConsoleControl, useJobControl } from '../../api/job-mutations.js';
import type { Job } from '../../api/types.js';
import { ConfirmButton } from '../../components/ui/confirm-button.js';
import { canControlJob, canPauseNow, JOB_CONTROLS, type Role, roleAllows } from '../../domain.js';
import { useCurrentUser } from '../auth/current-user.js';
import { notifySubmitted } from '../submit/submitted-job-notice.js';

const LABELS: Record<ConsoleControl, string> = {
  pause: 'Pause',
  'pause-now': 'Pause now',
  resume: 'Resume',
  cancel: 'Cancel',
  retry: 'Retry',
  resubmit: 'Re-submit',
  delete: 'Delete',
};
/** The role each control needs; the API enforces the same. */
const NEEDS: Record<ConsoleControl, Exclude<Role, 'worker'>> = {
  pause: 'operator',
  'pause-now': 'operator',
  resume: 'operator',
  cancel: 'operator',
  retry: 'operator',
  resubmit: 'operator',
  delete: 'admin',
};
const CONFIRM: Partial<Record<ConsoleControl, { message: string; color: string }>> = {
  'pause-now': {
    message: 'Running tasks are told to stop at once and go back to paused; on resume they run again from the start, the stopped attempt not counted.',
    color: 'orange',
  },
  cancel: {
    message: 'No further task of this job will run, and running tasks are told to stop. This cannot be undone, though the job can be retried later.',
    color: 'red',
  },
  delete: { message: 'The records of this job, its tasks, items and output are removed for good.', color: 'red' },
};

/** The controls that apply to the job's state and that the user's role allows — no others. */
export function JobControls({ job }: { job: Job }) {
  const user = useCurrentUser();
  const control = useJobControl(job.id);
  const navigate = useNavigate();
  // "Pause now" only matters while tasks run: offered next to pause, and while a plain pause waits.
  const pauseNow = (job.state === 'running' || job.state === 'pausing') && canPauseNow(job.state);
  const controls: ConsoleControl[] = JOB_CONTROLS.flatMap((c): ConsoleControl[] => (c === 'pause' ? ['pause', 'pause-now'] : [c]));
  // Controls the workflow does not support are not offered ("if supported by the workflow").
  const supported = (c: string) => (c === 'pause-now' ? job.controls.pause : job.controls[c as keyof typeof job.controls] !== false);
  // A job that spans sites is controlled (and re-submitted) only by users of every one of them.
  const everySite = user.sites === null || job.sites.every((site) => user.sites?.includes(site));
  const shown = everySite
    ? controls.filter((c) => (c === 'pause-now' ? pauseNow : canControlJob(job.state, c)) && roleAllows(user.role, NEEDS[c]) && supported(c))
    : [];
  const retryItems = useRetryFailedItems(job.id);
  // Retrying only the failed items: offered where retry is, on a job with failed items.
  const failedItems = shown.includes('retry') && (job.itemCounts.failed ?? 0) > 0;
  if (shown.length === 0) return null;

  const run = (c: ConsoleControl) =>
    control.mutate(c, {
      onSuccess: (result) => {
        if (c === 'delete') {
          notifications.show({ title: `Job ${job.id} deleted`, message: 'Its records are gone.' });
          navigate('/');
        } else if (c === 'resubmit' && result) {
          notifySubmitted(result.id, `Job ${result.id} re-submitted from job ${job.id}`);
          navigate(`/jobs/${result.id}`);
        } else {
          notifications.show({ title: `Job ${job.id}`, message: `${LABELS[c]} requested.` });
        }
      },
      onError: (error) => notifications.show({ color: 'red', title: `${LABELS[c]} failed`, message: error.message }),
    });

  return (
    <Group gap="xs" role="group" aria-label="Job controls">
      {failedItems ? (
        <Button
          variant="default"
          size="sm"
          loading={retryItems.isPending}
          title="Run again only the tasks that recorded failed items, on those paths alone"
          onClick={() =>
            retryItems.mutate(undefined, {
              onSuccess: () => notifications.show({ title: `Job ${job.id}`, message: 'Retry of the failed items requested.' }),
              onError: (error) => notifications.show({ color: 'red', title: 'Retry failed items failed', message: error.message }),
            })
          }
        >
          Retry failed items
        </Button>
      ) : null}
      {shown.map((c) => {
        const confirm = CONFIRM[c];
        const busy = control.isPending && control.variables === c;
        return confirm ? (
          <ConfirmButton
            key={c}
            variant="light"
            color={confirm.color}
            size="sm"
            loading={busy}
            title={`${LABELS[c]} job ${job.id}?`}
            message={confirm.message}
            confirmLabel={c === 'pause-now' ? 'Stop tasks and pause' : `${LABELS[c]} job`}
            onConfirm={() => run(c)}
          >
            {LABELS[c]}
          </ConfirmButton>
        ) : (
          <Button key={c} variant="default" size="sm" loading={busy} onClick={() => run(c)}>
            {LABELS[c]}
          </Button>
        );
      })}
    </Group>
  );
}
