import { Anchor, Group, Progress, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { Link } from 'react-router';
import { useJob } from '../../api/job-queries.js';
import { StateBadge } from '../states/state-badge.js';

/**
 * What a user sees after starting a job (R33): its state and progress, live, with a link to
 * its page. Lives in a notification, so it follows the user across pages until closed.
 */
function SubmittedJobNotice({ id }: { id: number }) {
  const { data: job } = useJob(id);
  return (
    <div>
      <Group justify="space-between" gap="xs" mb={4}>
        <Anchor component={Link} to={`/jobs/${id}`} size="sm">
          Open job {id}
        </Anchor>
        {job ? <StateBadge state={job.state} size="xs" /> : null}
      </Group>
      {job ? (
        <>
          <Progress value={job.progress.percent} size="sm" aria-label={`Job ${id} progress`} />
          <Text size="xs" c="dimmed" mt={2}>
            {job.progress.percent}% done
          </Text>
        </>
      ) : null}
    </div>
  );
}

export function notifySubmitted(id: number, title = `Job ${id} submitted`): void {
  notifications.show({ id: `job-${id}`, title, message: <SubmittedJobNotice id={id} />, autoClose: 15_000, withCloseButton: true });
}
