import { Alert, Anchor, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link } from 'react-router';
import { useSchedules } from '../../api/schedule-queries.js';
import { DateTime, LOCAL_TIME_ZONE } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { StatusBadge } from '../../components/ui/status-badge.js';
import { useCan, useCurrentUser } from '../auth/current-user.js';
import { LastRun } from './last-run.js';
import { ScheduleActions } from './schedule-actions.js';
import { ScheduleModal } from './schedule-modal.js';
import { ScheduleTiming } from './schedule-timing.js';

/**
 * Recurring jobs (R13): each schedule with its workflow, site, timing in words and as cron,
 * next run, last run with its result chip and last activity; add, edit, run now, enable,
 * disable, delete. Schedules declared in code are operated here but changed in code.
 */
export function SchedulesPage() {
  const schedules = useSchedules();
  const user = useCurrentUser();
  const allowed = useCan('operator');
  const [adding, { open, close }] = useDisclosure(false);
  const anyCodeOwned = (schedules.data ?? []).some((s) => s.codeOwned);
  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Title order={1} size="h2">
          Schedules
        </Title>
        {allowed ? (
          <Button leftSection={<Icon name="plus" />} onClick={open}>
            Add schedule
          </Button>
        ) : null}
      </Group>
      {!allowed ? (
        <Alert color="gray" title="Read only">
          Adding, running and changing schedules needs the operator role; you are signed in as a {user.role}.
        </Alert>
      ) : null}
      {anyCodeOwned ? (
        <Text size="sm" c="dimmed" id="code-owned-note">
          Schedules marked “In code” are declared in a workflow's code: they can be run, enabled and disabled here, and are changed or removed in the code.
        </Text>
      ) : null}
      <ErrorAlert error={schedules.error} title="Could not load schedules" />
      <Table.ScrollContainer minWidth={1200}>
        <Table striped fz="sm" verticalSpacing={8} aria-label="Schedules">
          <Table.Caption>Times are in your time zone ({LOCAL_TIME_ZONE}).</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Workflow</Table.Th>
              <Table.Th>Site</Table.Th>
              <Table.Th>Schedule</Table.Th>
              <Table.Th>Next run</Table.Th>
              <Table.Th>Last run</Table.Th>
              <Table.Th>Last activity</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(schedules.data ?? []).map((schedule) => (
              <Table.Tr key={schedule.id} data-testid="schedule-row" data-schedule={schedule.name}>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <Anchor component={Link} to={`/schedules/${schedule.id}`} fw={600} className="swy-long-name">
                      {schedule.name}
                    </Anchor>
                    {schedule.codeOwned ? <StatusBadge label="In code" color="gray" icon="dash" size="xs" /> : null}
                  </Group>
                </Table.Td>
                <Table.Td>{schedule.workflow}</Table.Td>
                <Table.Td>{schedule.site}</Table.Td>
                <Table.Td>
                  <ScheduleTiming schedule={schedule} />
                </Table.Td>
                <Table.Td>
                  {schedule.enabled ? (
                    <DateTime value={schedule.nextRunAt} />
                  ) : (
                    <StatusBadge label="Disabled" color="gray" icon="pause" size="xs" testId="schedule-disabled" />
                  )}
                </Table.Td>
                <Table.Td>
                  <LastRun schedule={schedule} />
                </Table.Td>
                <Table.Td>
                  <DateTime value={schedule.lastActivityAt} />
                </Table.Td>
                <Table.Td>
                  <ScheduleActions schedule={schedule} allowed={allowed} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {schedules.data?.length === 0 ? (
        <Text c="dimmed">No schedules yet{allowed ? ': add one to run a workflow on a cron rule or an interval.' : '.'}</Text>
      ) : null}
      {adding ? <ScheduleModal opened onClose={close} schedule={null} /> : null}
    </Stack>
  );
}
