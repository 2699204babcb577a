import { Anchor, Checkbox, Group, Progress, Table, Text, Tooltip } from '@mantine/core';
import { Link } from 'react-router';
import type { Job } from '../../api/types.js';
import { DateTime } from '../../components/ui/date-time.js';
import { StateBadge } from '../states/state-badge.js';
import { progressColor, stateStyle } from '../states/state-styles.js';
import { taskTallies } from './task-tallies.js';

/** `selected`/`onSelect`: the row's checkbox for bulk actions (absent: no checkbox column). */
export function JobRow({ job, selected, onSelect }: { job: Job; selected?: boolean; onSelect?: (on: boolean) => void }) {
  const tally = taskTallies(job);
  return (
    <Table.Tr data-testid="job-row" data-job-id={job.id}>
      {onSelect && (
        <Table.Td w={36}>
          <Checkbox size="xs" checked={selected === true} onChange={(e) => onSelect(e.currentTarget.checked)} aria-label={`Select job ${job.id}`} />
        </Table.Td>
      )}
      <Table.Td>
        <Anchor component={Link} to={`/jobs/${job.id}`} fw={600}>
          {job.id}
        </Anchor>
      </Table.Td>
      <Table.Td>
        <Text size="sm" title={job.workflow}>
          {job.label}
        </Text>
      </Table.Td>
      <Table.Td>{job.creator}</Table.Td>
      <Table.Td>
        <DateTime value={job.createdAt} />
      </Table.Td>
      <Table.Td>
        <DateTime value={job.startedAt} />
      </Table.Td>
      <Table.Td>
        <DateTime value={job.endedAt} />
      </Table.Td>
      <Table.Td>
        <DateTime value={job.updatedAt} />
      </Table.Td>
      <Table.Td>
        {job.waitReason ? (
          <Tooltip label={job.waitReason.message} multiline w={280} withArrow>
            <span data-testid="job-wait-reason" data-code={job.waitReason.code} title={job.waitReason.message}>
              <StateBadge state={job.state} />
            </span>
          </Tooltip>
        ) : (
          <StateBadge state={job.state} />
        )}
      </Table.Td>
      <Table.Td ta="right">{tally.queued}</Table.Td>
      <Table.Td ta="right">{tally.succeeded}</Table.Td>
      <Table.Td ta="right">{tally.failed}</Table.Td>
      <Table.Td miw={110}>
        <Group gap={6} wrap="nowrap">
          <Progress value={job.progress.percent} color={progressColor(job.state)} size="sm" w={60} aria-hidden="true" />
          <Text size="xs" title={stateStyle(job.state).label}>
            {job.progress.percent}%
          </Text>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}
