import { Anchor, Code, Group, Loader, Modal, Table, Text } from '@mantine/core';
import { useItemHistory } from '../../api/item-queries.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { StatusBadge } from '../../components/ui/status-badge.js';
import { itemStyle } from '../states/state-styles.js';
import { formatBytes } from './format-bytes.js';

/**
 * Every record of one item across the job's tasks, oldest first. A record a later one of the
 * same operation replaced (the task ran again, or a retry redid the item) reads "replaced":
 * the job's counters and tabs hold the latest alone.
 */
export function ItemHistoryModal({
  jobId,
  path,
  onClose,
  onOpenTask,
}: {
  jobId: number;
  path: string | null;
  onClose: () => void;
  onOpenTask: (id: number) => void;
}) {
  const history = useItemHistory(jobId, path);
  return (
    <Modal opened={path !== null} onClose={onClose} title="Item history" size="xl">
      <Code block mb="sm" data-testid="history-path">
        {path}
      </Code>
      {history.isPending && path !== null ? <Loader size="sm" aria-label="Loading history" /> : null}
      <ErrorAlert error={history.error} title="Could not load the history" />
      <Table fz="sm" aria-label="Item history">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Recorded</Table.Th>
            <Table.Th>Task</Table.Th>
            <Table.Th>Operation</Table.Th>
            <Table.Th>Outcome</Table.Th>
            <Table.Th>Size</Table.Th>
            <Table.Th>Error</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(history.data ?? []).map((record) => {
            const style = itemStyle(record.outcome);
            return (
              <Table.Tr key={record.id}>
                <Table.Td>
                  <DateTime value={record.at} />
                </Table.Td>
                <Table.Td>
                  <Anchor component="button" type="button" size="sm" onClick={() => onOpenTask(record.taskId)} aria-label={`Open task ${record.taskId}`}>
                    {record.taskId}
                  </Anchor>
                </Table.Td>
                <Table.Td>{record.operation}</Table.Td>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <StatusBadge label={style.label} color={style.color} icon={style.icon} />
                    {record.superseded ? (
                      <Text span size="xs" c="dimmed" title="A later record of this item replaced this one">
                        replaced
                      </Text>
                    ) : null}
                  </Group>
                </Table.Td>
                <Table.Td>{formatBytes(record.bytes)}</Table.Td>
                <Table.Td>{record.error ?? ''}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Modal>
  );
}
