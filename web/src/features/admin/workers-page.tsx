import { Badge, Group, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useWorkers } from '../../api/admin-queries.js';
import { useSites } from '../../api/catalog-queries.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { ListState, listStatus } from '../../components/ui/list-state.js';
import { StatusBadge } from '../../components/ui/status-badge.js';

const online = { label: 'Online', color: 'green', icon: 'check' } as const;
const offline = { label: 'Offline', color: 'gray', icon: 'slash' } as const;

/** Sites and the workers at them: who is online, when each was last heard from, what it runs. */
export function WorkersPage() {
  const sites = useSites();
  const workers = useWorkers();
  const siteRows = sites.data ?? [];
  const workerRows = workers.data ?? [];
  const siteStatus = listStatus(sites, siteRows.length);
  const workerStatus = listStatus(workers, workerRows.length);
  return (
    <Stack gap="lg">
      <Title order={1} size="h2">
        Workers and sites
      </Title>
      <Stack gap="xs">
        <Title order={2} size="h4">
          Sites
        </Title>
        <ErrorAlert error={sites.error} title="Could not load sites" onRetry={() => void sites.refetch()} />
        <Table.ScrollContainer minWidth={520}>
          <Table striped fz="sm" verticalSpacing={6} aria-label="Sites">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Site</Table.Th>
                <Table.Th>Workers online</Table.Th>
                <Table.Th>Last seen</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {siteStatus ? (
                <Table.Tr>
                  <Table.Td colSpan={3}>
                    <ListState status={siteStatus} empty="No sites yet." onRetry={() => void sites.refetch()} />
                  </Table.Td>
                </Table.Tr>
              ) : (
                siteRows.map((site) => (
                  <Table.Tr key={site.name} data-testid="site-row" data-site={site.name}>
                    <Table.Td fw={600}>{site.name}</Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <StatusBadge {...(site.workersOnline > 0 ? online : offline)} />
                        <Text span size="sm">
                          {site.workersOnline} of {site.workers}
                        </Text>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={site.lastSeenAt} />
                    </Table.Td>
                  </Table.Tr>
                ))
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
      <Stack gap="xs">
        <Title order={2} size="h4">
          Workers
        </Title>
        <ErrorAlert error={workers.error} title="Could not load workers" onRetry={() => void workers.refetch()} />
        <Table.ScrollContainer minWidth={900}>
          <Table striped fz="sm" verticalSpacing={6} aria-label="Workers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Worker</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Site</Table.Th>
                <Table.Th ta="right">Running tasks</Table.Th>
                <Table.Th>Version</Table.Th>
                <Table.Th>Host</Table.Th>
                <Table.Th>Last seen</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>Workflows</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {workerStatus ? (
                <Table.Tr>
                  <Table.Td colSpan={9}>
                    <ListState status={workerStatus} empty="No worker has registered yet." onRetry={() => void workers.refetch()} />
                  </Table.Td>
                </Table.Tr>
              ) : (
                workerRows.map((worker) => (
                  <Table.Tr key={worker.id} data-testid="worker-row" data-worker-id={worker.id}>
                    <Table.Td fw={600}>
                      <Tooltip label={worker.id}>
                        <span>{worker.name}</span>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>
                      <StatusBadge {...(worker.online ? online : offline)} />
                    </Table.Td>
                    <Table.Td data-testid="worker-site">{worker.site}</Table.Td>
                    <Table.Td ta="right" data-testid="worker-running">
                      {worker.runningTasks ?? 0}
                    </Table.Td>
                    <Table.Td>{worker.version ?? '—'}</Table.Td>
                    <Table.Td>{worker.host}</Table.Td>
                    <Table.Td>
                      <DateTime value={worker.lastSeenAt} />
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={worker.startedAt} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {worker.workflows.map((w) => (
                          <Badge key={w} variant="default" size="sm" tt="none">
                            {w}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
    </Stack>
  );
}
