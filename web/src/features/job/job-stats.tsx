import { Group, Progress, Stack, Text } from '@mantine/core';
import type { Job } from '../../api/types.js';
import { type BarSegment, StackedBar } from '../../components/ui/stacked-bar.js';
import { ITEM_OUTCOMES, TASK_STATES } from '../../domain.js';
import { itemStyle, stateStyle } from '../states/state-styles.js';

export function JobProgress({ job }: { job: Job }) {
  const { done, total, percent } = job.progress;
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="sm" fw={600} id="job-progress-label">
          Progress
        </Text>
        <Text size="sm" data-testid="job-percent">
          {percent}% ({done} of {total})
        </Text>
      </Group>
      <Progress value={percent} size="lg" aria-labelledby="job-progress-label" animated={job.state === 'running'} />
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
