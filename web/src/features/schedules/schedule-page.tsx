import { Alert, Anchor, Card, Center, Code, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { useJobs } from '../../api/job-queries.js';
import { useSchedule } from '../../api/schedule-queries.js';
import { DateTime, LOCAL_TIME_ZONE } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { LoadFailure } from '../../components/ui/load-failure.js';
import { LoadMore } from '../../components/ui/load-more.js';
import { PropertyList } from '../../components/ui/property-list.js';
import { StatusBadge } from '../../components/ui/status-badge.js';
import { useCan } from '../auth/current-user.js';
import { SubscribeMenu } from '../job/subscribe-button.js';
import { StateBadge } from '../states/state-badge.js';
import { LastRun } from './last-run.js';
import { RunResultBadge } from './run-result-badge.js';
import { ScheduleActions } from './schedule-actions.js';

/** One schedule: its settings, its actions, and its run history (the jobs it fired, newest first). */
export function SchedulePage() {
  const rawId = useParams().id ?? '';
  const id = Number(rawId);
  const valid = Number.isSafeInteger(id) && id > 0;
  const schedule = useSchedule(valid ? id : 0);
  const allowed = useCan('operator');
  const query = useMemo(() => ({ schedule: [id] }), [id]);
  const runs = useJobs(query);
  const rows = useMemo(() => runs.data?.pages.flatMap((p) => p.items) ?? [], [runs.data]);

  if (!valid) return <Alert color="red">“{rawId}” is not a schedule id.</Alert>;
  if (schedule.isPending) {
    return (
      <Center h={200}>
        <Loader aria-label="Loading schedule" />
      </Center>
    );
  }
  if (schedule.isError) {
    return (
      <LoadFailure
        title={`Schedule ${id}`}
        error={schedule.error}
        missing={`There is no schedule ${id}, or it was deleted.`}
        back={{ to: '/schedules', label: 'Back to schedules' }}
      />
    );
  }
  const s = schedule.data;
  return (
    <Stack gap="md">
      <Anchor component={Link} to="/schedules" size="sm">
        ← Schedules
      </Anchor>
      <Group justify="space-between" align="center">
        <Group gap="sm">
          <Title order={1} size="h2">
            {s.name}
          </Title>
          {s.enabled ? (
            <StatusBadge label="Enabled" color="green" icon="play" />
          ) : (
            <StatusBadge label="Disabled" color="gray" icon="pause" testId="schedule-disabled" />
          )}
          {s.codeOwned ? <StatusBadge label="In code" color="gray" icon="dash" /> : null}
        </Group>
        <Group gap="xs">
          <SubscribeMenu target={{ kind: 'schedule', id: s.id }} />
          <ScheduleActions schedule={s} allowed={allowed} afterDelete="/schedules" />
        </Group>
      </Group>
      {s.codeOwned ? (
        <Alert color="gray" title="Declared in code">
          This schedule comes from the <Code>schedules</Code> of workflow {s.workflow}: run, enable and disable it here; change or remove it in the code.
        </Alert>
      ) : null}
      <Card withBorder>
        <PropertyList
          cols={3}
          items={[
            { label: 'Schedule', value: <span data-testid="schedule-description">{s.description}</span> },
            { label: s.cron ? 'Cron' : 'Interval', value: s.cron ? <Code>{s.cron}</Code> : `${(s.everyMs ?? 0).toLocaleString()} ms` },
            { label: 'Workflow', value: s.workflow },
            { label: 'Site', value: s.site },
            { label: 'Queue', value: s.queue },
            { label: 'If the last run is still active', value: s.overlap },
            { label: 'Missed runs', value: s.catchUp === 'all' ? `all (at most ${s.catchUpLimit})` : s.catchUp },
            { label: 'Next run', value: s.enabled ? <DateTime value={s.nextRunAt} /> : 'never (disabled)' },
            { label: 'Last run', value: <LastRun schedule={s} /> },
            { label: 'Last activity', value: <DateTime value={s.lastActivityAt} /> },
            { label: 'Created by', value: s.creator },
            { label: 'Fields', value: <Code block>{JSON.stringify(s.fields, null, 2)}</Code> },
          ]}
        />
      </Card>
      <Title order={2} size="h3">
        Run history
      </Title>
      <ErrorAlert error={runs.error} title="Could not load the runs" />
      <Table.ScrollContainer minWidth={900}>
        <Table striped fz="sm" verticalSpacing={6} aria-label="Run history">
          <Table.Caption>Times are in your time zone ({LOCAL_TIME_ZONE}).</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Job</Table.Th>
              <Table.Th>Slot</Table.Th>
              <Table.Th>Started</Table.Th>
              <Table.Th>Ended</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Result</Table.Th>
              <Table.Th>Creator</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((job) => (
              <Table.Tr key={job.id} data-testid="run-row">
                <Table.Td>
                  <Anchor component={Link} to={`/jobs/${job.id}`}>
                    {job.id}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <DateTime value={job.slotAt} />
                </Table.Td>
                <Table.Td>
                  <DateTime value={job.startedAt} />
                </Table.Td>
                <Table.Td>
                  <DateTime value={job.endedAt} />
                </Table.Td>
                <Table.Td>
                  <StateBadge state={job.state} size="xs" />
                </Table.Td>
                <Table.Td>
                  <RunResultBadge result={job.result} size="xs" />
                </Table.Td>
                <Table.Td>{job.creator}</Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed" lineClamp={2}>
                    {job.reason ?? ''}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {rows.length === 0 && !runs.isPending ? <Text c="dimmed">No runs yet.</Text> : null}
      <LoadMore hasMore={runs.hasNextPage} loading={runs.isFetchingNextPage} onLoad={() => void runs.fetchNextPage()} shown={rows.length} />
    </Stack>
  );
}
