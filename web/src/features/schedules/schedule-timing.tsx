import { Code, Stack, Text } from '@mantine/core';
import type { Schedule } from '../../api/types.js';

/** The schedule in words, with the cron expression (or interval) beneath it. */
export function ScheduleTiming({ schedule }: { schedule: Schedule }) {
  return (
    <Stack gap={2}>
      <Text size="sm" data-testid="schedule-description">
        {schedule.description}
      </Text>
      {schedule.cron ? (
        <Code fz="xs" w="fit-content">
          {schedule.cron}
        </Code>
      ) : (
        <Text size="xs" c="dimmed">
          every {(schedule.everyMs ?? 0).toLocaleString()} ms
        </Text>
      )}
    </Stack>
  );
}
