import { Badge, Group, Stack, Text, Title } from '@mantine/core';
import { useTaskPlacement } from '../../api/task-queries.js';
import type { Job } from '../../api/types.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { StackedBar } from '../../components/ui/stacked-bar.js';
import { isTerminalJobState, TASK_STATES } from '../../domain.js';
import { stateStyle } from '../states/state-styles.js';

/**
 * Where the job executed: its tasks grouped by site, then by the worker that ran them, each
 * group's tasks by state. A job that spans sites (a transfer from one to another) shows every
 * site it reached, its own marked "home".
 */
export function JobSites({ job }: { job: Job }) {
  const placement = useTaskPlacement(job.id, !isTerminalJobState(job.state));
  const groups = placement.data?.items ?? [];
  return (
    <Stack gap="sm" data-testid="job-sites">
      <ErrorAlert error={placement.error} title="Could not load where the tasks ran" />
      {job.sites.map((site) => (
        <Stack key={site} gap={6} data-testid="job-site" data-site={site}>
          <Group gap={6}>
            <Title order={3} size="sm">
              {site}
            </Title>
            {site === job.site && job.sites.length > 1 ? (
              <Badge size="xs" variant="light" color="gray">
                home
              </Badge>
            ) : null}
          </Group>
          <Stack gap={6} pl="sm">
            {groups
              .filter((group) => group.site === site)
              .map((group) => (
                <StackedBar
                  key={group.workerId ?? ''}
                  title={group.workerId ?? 'Not leased yet'}
                  segments={TASK_STATES.map((state) => ({ key: state, count: group.taskCounts[state] ?? 0, ...stateStyle(state) }))}
                />
              ))}
          </Stack>
          {placement.isSuccess && !groups.some((group) => group.site === site) ? (
            <Text size="xs" c="dimmed">
              no tasks yet
            </Text>
          ) : null}
        </Stack>
      ))}
    </Stack>
  );
}
