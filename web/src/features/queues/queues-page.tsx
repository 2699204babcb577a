import { Alert, Anchor, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useQueues } from '../../api/queue-queries.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { StatusBadge } from '../../components/ui/status-badge.js';
import { useCan, useCurrentUser } from '../auth/current-user.js';
import { QueueActions } from './queue-actions.js';

export function QueuesPage() {
  const queues = useQueues();
  const user = useCurrentUser();
  const allowed = useCan('operator');
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        Queues
      </Title>
      {!allowed ? (
        <Alert color="gray" id="queue-permission-note" title="Read only">
          Pausing, resuming and clearing queues needs the operator role; you are signed in as a {user.role}.
        </Alert>
      ) : null}
      <ErrorAlert error={queues.error} title="Could not load queues" />
      <Table.ScrollContainer minWidth={700}>
        <Table striped fz="sm" verticalSpacing={8} aria-label="Queues">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Queue</Table.Th>
              <Table.Th>Processing</Table.Th>
              <Table.Th ta="right">Active jobs</Table.Th>
              <Table.Th>Concurrency</Table.Th>
              <Table.Th>Pause on failure</Table.Th>
              <Table.Th>Jobs</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(queues.data ?? []).map((queue) => (
              <Table.Tr key={queue.name} data-testid="queue-row">
                <Table.Td fw={600}>{queue.name}</Table.Td>
                <Table.Td>
                  {queue.paused ? <StatusBadge label="Paused" color="yellow" icon="pause" /> : <StatusBadge label="Running" color="green" icon="play" />}
                </Table.Td>
                <Table.Td ta="right">{queue.activeJobs}</Table.Td>
                <Table.Td>{queue.concurrency === null ? 'Unlimited' : queue.concurrency === 1 ? '1 (sequential)' : queue.concurrency}</Table.Td>
                <Table.Td>{queue.pauseOnFailure ? 'Yes' : 'No'}</Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/?queue=${encodeURIComponent(queue.name)}&state=queued,running,paused`} size="sm">
                    Active and queued
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <QueueActions queue={queue} allowed={allowed} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {queues.data?.length === 0 ? <Text c="dimmed">No queues yet: one is made when a job first uses it.</Text> : null}
    </Stack>
  );
}
