import { Group, type MantineColor, Progress, Text, Tooltip } from '@mantine/core';
import { Icon, type IconName } from './icon.js';

export interface BarSegment {
  key: string;
  label: string;
  count: number;
  color: MantineColor;
  icon: IconName;
}

/**
 * Counts by category as one bar, a tooltip per part, and the same counts as a legend in text:
 * the legend is what screen readers and colour-blind readers rely on.
 */
export function StackedBar({ title, segments }: { title: string; segments: BarSegment[] }) {
  const present = segments.filter((s) => s.count > 0);
  const total = present.reduce((sum, s) => sum + s.count, 0);
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="sm" fw={600}>
          {title}
        </Text>
        <Text size="sm" c="dimmed">
          {total} in all
        </Text>
      </Group>
      <Progress.Root size="lg" aria-hidden="true">
        {present.map((segment) => (
          <Tooltip key={segment.key} label={`${segment.label}: ${segment.count}`} withArrow>
            <Progress.Section value={(segment.count / total) * 100} color={segment.color} />
          </Tooltip>
        ))}
      </Progress.Root>
      <Group gap="md" mt={6} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label={title}>
        {present.length === 0 ? (
          <Text component="li" size="xs" c="dimmed">
            none yet
          </Text>
        ) : (
          present.map((segment) => (
            <Group key={segment.key} component="li" gap={4} wrap="nowrap">
              <Text span c={segment.color} lh={0}>
                <Icon name={segment.icon} size={12} />
              </Text>
              <Text span size="xs">
                {segment.label}: {segment.count}
              </Text>
            </Group>
          ))
        )}
      </Group>
    </div>
  );
}
