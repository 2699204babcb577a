import { Alert, Anchor, Stack, Table, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useQueues } from '../../api/queue-queries.js';
import type { Queue } from '../../api/types.js';
import { formatDuration } from '../../components/ui/duration.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { ListState, listStatus } from '../../components/ui/list-state.js';
import { StatusBadge } from '../../components/ui/status-badge.js';
import { useCan, useCurrentUser } from '../auth/current-user.js';
import { QueueActions } from './queue-actions.js';
import { QueueSettingsModal } from './queue-settings-modal.js';

export function QueuesPage() {
  const queues = useQueues();
  const user = useCurrentUser();
  const allowed = useCan('operator');
  const admin = useCan('admin');
  const [editing, setEditing] = useState<Queue | null>(null);
  const rows = queues.data ?? [];
  const status = listStatus(queues, rows.length);
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
      <ErrorAlert error={queues.error} title="Could not load queues" onRetry={() => void queues.refetch()} />
      <Table.ScrollContainer minWidth={700}>
        <Table striped fz="sm" verticalSpacing={8} aria-label="Queues">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Queue</Table.Th>
              <Table.Th>Processing</Table.Th>
              <Table.Th ta="right">Active jobs</Table.Th>
              <Table.Th ta="right">Queued</Table.Th>
              <Table.Th>Oldest waiting</Table.Th>
              <Table.Th>Concurrency</Table.Th>
              <Table.Th>Pause on failure</Table.Th>
              <Table.Th>Jobs</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {status ? (
              <Table.Tr>
                <Table.Td colSpan={9}>
                  <ListState status={status} empty="No queues yet: one is made when a job first uses it." onRetry={() => void queues.refetch()} />
                </Table.Td>
              </Table.Tr>
            ) : null}
            {rows.map((queue) => (
              <Table.Tr key={queue.name} data-testid="queue-row" data-queue={queue.name}>
                <Table.Td fw={600} className="swy-long-name">
                  {queue.name}
                </Table.Td>
                <Table.Td>
                  {queue.paused ? <StatusBadge label="Paused" color="yellow" icon="pause" /> : <StatusBadge label="Running" color="green" icon="play" />}
                </Table.Td>
                <Table.Td ta="right">{queue.activeJobs}</Table.Td>
                <Table.Td ta="right" data-testid="queue-queued">
                  {queue.queuedJobs}
                </Table.Td>
                <Table.Td data-testid="queue-oldest">
                  {queue.oldestQueuedAt ? (
                    <time dateTime={queue.oldestQueuedAt} title={queue.oldestQueuedAt}>
                      {formatDuration(Date.now() - Date.parse(queue.oldestQueuedAt))}
                    </time>
                  ) : (
                    '—'
                  )}
                </Table.Td>
                <Table.Td>{queue.concurrency === null ? 'Unlimited' : queue.concurrency === 1 ? '1 (sequential)' : queue.concurrency}</Table.Td>
                <Table.Td>{queue.pauseOnFailure ? 'Yes' : 'No'}</Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/?queue=${encodeURIComponent(queue.name)}&state=queued,running,paused`} size="sm">
                    Active and queued
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <QueueActions
                    queue={queue}
                    allowed={allowed}
                    allSites={user.sites === null}
                    onSettings={admin && user.sites === null ? () => setEditing(queue) : undefined}
                  />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <QueueSettingsModal queue={editing} onClose={() => setEditing(null)} />
    </Stack>
  );
}
