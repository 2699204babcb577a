import { BarChart } from '@mantine/charts';
import { Paper, Text, Title } from '@mantine/core';
import dayjs from 'dayjs';
import type { JobState } from '../../domain.js';
import { stateStyle } from '../states/state-styles.js';
import type { DashboardBucket } from './dashboard-queries.js';
import { useReadableColors } from './readable-colors.js';

/** The states a chart shows, in the order their segments stack. */
const STACK: JobState[] = ['success', 'skipped', 'error', 'failure', 'cancelled', 'unknown', 'running', 'pausing', 'paused', 'cancelling', 'queued', 'created'];

interface Props {
  title: string;
  description: string;
  buckets: DashboardBucket[];
  bucketMs: number;
  testId: string;
  /** A click on a segment: the state and the bucket it belongs to. */
  onSegment(state: JobState, bucket: DashboardBucket): void;
}

/** Jobs per time bucket, stacked by state; each segment opens the jobs list filtered to it. */
export function StateChart({ title, description, buckets, bucketMs, testId, onSegment }: Props) {
  const { muted } = useReadableColors();
  const present = STACK.filter((state) => buckets.some((b) => (b.states[state] ?? 0) > 0));
  const format = bucketMs >= 86_400_000 ? 'D MMM' : 'D MMM HH:mm';
  const data = buckets.map((b) => ({ label: dayjs(b.at).format(format), at: b.at, ...b.states }));
  return (
    <Paper withBorder p="md" radius="md" data-testid={testId}>
      <Title order={2} size="h4">
        {title}
      </Title>
      <Text size="sm" c={muted} mb="sm">
        {description}
      </Text>
      {present.length === 0 ? (
        <Text c={muted} ta="center" py="xl">
          No jobs in this window.
        </Text>
      ) : (
        <BarChart
          h={260}
          data={data}
          dataKey="label"
          type="stacked"
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          series={present.map((state) => ({ name: state, label: stateStyle(state).label, color: `${stateStyle(state).color}.6` }))}
          barProps={(series) => ({
            cursor: 'pointer',
            onClick: (entry: { payload?: { at?: string } }) => {
              const bucket = buckets.find((b) => b.at === entry.payload?.at);
              if (bucket) onSegment(series.name as JobState, bucket);
            },
          })}
        />
      )}
    </Paper>
  );
}
