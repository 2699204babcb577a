import { Badge, Group, Progress, Stack, Text } from '@mantine/core';
import { useTaskPlacement } from '../../api/task-queries.js';
import type { Job, TaskPlacementPage } from '../../api/types.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { isTerminalJobState, TASK_STATES } from '../../domain.js';
import { stateStyle } from '../states/state-styles.js';

/**
 * Where the job executed (site names are bold text, not headings: the side bar's section
 * titles are not headings either, so an h3 here would skip levels): its tasks grouped by site, then by the worker that ran them, each
 * group's tasks by state. A job that spans sites (a transfer from one to another) shows every
 * site it reached, its own marked "home".
 */
export function JobSites({ job }: { job: Job }) {
  const placement = useTaskPlacement(job.id, !isTerminalJobState(job.state));
  const groups = placement.data?.items ?? [];
  return (
    <Stack gap="sm" data-testid="job-sites">
      <ErrorAlert error={placement.error} title="Could not load where the tasks ran" />
      {job.sites.map((site) => {
        const here = groups.filter((group) => group.site === site);
        return (
          <Stack key={site} gap={6} data-testid="job-site" data-site={site}>
            <Group gap={6}>
              <Text size="sm" fw={700}>
                {site}
              </Text>
              {site === job.site && job.sites.length > 1 ? (
                <Badge size="xs" variant="light" color="gray">
                  home
                </Badge>
              ) : null}
            </Group>
            <Stack gap={8} pl="sm" component="ul" style={{ listStyle: 'none', margin: 0 }} aria-label={`Workers at ${site}`}>
              {here.map((group) => (
                <WorkerRow key={group.workerId ?? ''} group={group} />
              ))}
              {placement.isSuccess && here.length === 0 ? (
                <Text component="li" size="xs" c="dimmed">
                  no tasks yet
                </Text>
              ) : null}
            </Stack>
          </Stack>
        );
      })}
    </Stack>
  );
}

/** One worker's share of the job: a bar of its tasks by state, and the counts as text. */
function WorkerRow({ group }: { group: TaskPlacementPage['items'][number] }) {
  const present = TASK_STATES.map((state) => ({ state, count: group.taskCounts[state] ?? 0, ...stateStyle(state) })).filter((s) => s.count > 0);
  const total = present.reduce((sum, s) => sum + s.count, 0);
  return (
    <li data-testid="job-site-worker">
      <Group justify="space-between" gap="xs" wrap="nowrap" mb={4}>
        <Text size="sm" fw={500} truncate title={group.workerId ?? undefined}>
          {group.workerId ?? 'Not leased yet'}
        </Text>
        <Text size="xs" c="dimmed">
          {total} {total === 1 ? 'task' : 'tasks'}
        </Text>
      </Group>
      <Progress.Root size="sm" aria-hidden="true">
        {present.map((s) => (
          <Progress.Section key={s.state} value={(s.count / total) * 100} color={s.color} />
        ))}
      </Progress.Root>
      <Group gap={6} mt={4}>
        {present.map((s) => (
          <Group key={s.state} gap={3} wrap="nowrap">
            <Text span c={s.color} lh={0}>
              <Icon name={s.icon} size={12} />
            </Text>
            <Text span size="xs">
              {s.count} {s.label.toLowerCase()}
            </Text>
          </Group>
        ))}
      </Group>
    </li>
  );
}
