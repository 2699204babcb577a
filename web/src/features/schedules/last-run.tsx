import { Anchor, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { Schedule } from '../../api/types.js';
import { StateBadge } from '../states/state-badge.js';
import { RunResultBadge } from './run-result-badge.js';

/** The last job a schedule fired: a link, its state and its result chip. */
export function LastRun({ schedule }: { schedule: Schedule }) {
  const run = schedule.lastRun;
  if (!run) {
    return (
      <Text size="sm" c="dimmed">
        {schedule.lastJobId !== null ? `Job ${schedule.lastJobId} (removed)` : schedule.lastSlotAt ? 'Skipped' : 'Not run yet'}
      </Text>
    );
  }
  return (
    <Group gap={6} wrap="nowrap">
      <Anchor component={Link} to={`/jobs/${run.jobId}`} size="sm">
        Job {run.jobId}
      </Anchor>
      <StateBadge state={run.state} size="xs" />
      {/* While it waits or runs, the state says it all; the chip tells how it ended. */}
      {run.result === 'pending' || run.result === 'in-progress' ? null : <RunResultBadge result={run.result} size="xs" />}
    </Group>
  );
}
