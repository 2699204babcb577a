import { Group, Progress, Stack, Text } from '@mantine/core';
import type { Job } from '../../api/types.js';
import { type BarSegment, StackedBar } from '../../components/ui/stacked-bar.js';
import { ITEM_OUTCOMES, TASK_STATES } from '../../domain.js';
import { StateBadge } from '../states/state-badge.js';
import { itemStyle, progressColor, stateStyle } from '../states/state-styles.js';

export function JobProgress({ job }: { job: Job }) {
  const { done, total, percent } = job.progress;
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="sm" fw={600} id="job-progress-label">
          Progress
        </Text>
        <Group gap="xs">
          <StateBadge state={job.state} size="sm" testId="job-progress-state" />
          <Text size="sm" data-testid="job-percent" title={`${done} of ${total} work units (each task is 1000)`}>
            {percent}%
          </Text>
        </Group>
      </Group>
      {/* The role and its name sit on the section: that is the element Mantine makes the progressbar. */}
      <Progress.Root size="lg" data-color={progressColor(job.state)} data-testid="job-progress-bar">
        <Progress.Section
          value={percent}
          color={progressColor(job.state)}
          aria-labelledby="job-progress-label"
          aria-valuetext={`${percent}%, ${stateStyle(job.state).label}`}
          animated={job.state === 'running'}
        />
      </Progress.Root>
    </div>
  );
}

export function JobStats({ job }: { job: Job }) {
  const tasks: BarSegment[] = TASK_STATES.map((state) => ({ key: state, count: job.taskCounts[state] ?? 0, ...stateStyle(state) }));
  const items: BarSegment[] = ITEM_OUTCOMES.map((outcome) => ({ key: outcome, count: job.itemCounts[outcome] ?? 0, ...itemStyle(outcome) }));
  return (
    <Stack gap="md">
      <StackedBar title="Tasks" segments={tasks} />
      <StackedBar title="Items" segments={items} />
    </Stack>
  );
}
