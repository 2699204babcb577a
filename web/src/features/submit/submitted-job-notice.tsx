import { Anchor, Group, Progress, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect } from 'react';
import { Link } from 'react-router';
import { useJob } from '../../api/job-queries.js';
import { isTerminalJobState } from '../../domain.js';
import { StateBadge } from '../states/state-badge.js';
import { progressColor } from '../states/state-styles.js';

/** How long the notice stays once the job has ended: long enough to read the outcome. */
const LINGER_MS = 10_000;

/**
 * What a user sees after starting a job (R33): its state and progress, live, with a link to
 * its page. Lives in a notification, so it follows the user across pages.
 */
function SubmittedJobNotice({ id }: { id: number }) {
  const { data: job } = useJob(id);
  const ended = job !== undefined && isTerminalJobState(job.state);
  useEffect(() => {
    if (!ended) return;
    const timer = setTimeout(() => notifications.hide(noticeId(id)), LINGER_MS);
    return () => clearTimeout(timer);
  }, [ended, id]);
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
          <Progress value={job.progress.percent} color={progressColor(job.state)} size="sm" aria-label={`Job ${id} progress`} />
          <Text size="xs" c="dimmed" mt={2}>
            {job.progress.percent}% done
          </Text>
        </>
      ) : null}
    </div>
  );
}

const noticeId = (id: number) => `job-${id}`;

/** Stays while the job runs, so its progress stays in view; leaves a little after it ends. */
export function notifySubmitted(id: number, title = `Job ${id} submitted`): void {
  notifications.show({ id: noticeId(id), title, message: <SubmittedJobNotice id={id} />, autoClose: false, withCloseButton: true });
}
