import { Table, Text } from '@mantine/core';
import { useItemStats } from '../../api/change-queries.js';
import type { Job } from '../../api/types.js';
import { ITEM_OUTCOMES } from '../../domain.js';
import { itemStyle } from '../states/state-styles.js';
import { formatBytes } from './format-bytes.js';

/** Item records counted per operation (copy, delete, verify…) and outcome, with the bytes of each operation. */
export function ItemStatsTable({ job }: { job: Job }) {
  const stats = useItemStats(job.id);
  const rows = stats.data ?? [];
  if (rows.length === 0) return null;
  const operations = [...new Set(rows.map((r) => r.operation))];
  const cell = (operation: string, outcome: string) => rows.find((r) => r.operation === operation && r.outcome === outcome)?.count ?? 0;
  const bytes = (operation: string) => rows.filter((r) => r.operation === operation).reduce((sum, r) => sum + r.bytes, 0);
  return (
    <Table.ScrollContainer minWidth={500}>
      <Table fz="sm" verticalSpacing={4} aria-label="Items by operation" data-testid="item-stats" withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Operation</Table.Th>
            {ITEM_OUTCOMES.map((outcome) => (
              <Table.Th key={outcome} ta="right">
                {itemStyle(outcome).label}
              </Table.Th>
            ))}
            <Table.Th ta="right">Bytes</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {operations.map((operation) => (
            <Table.Tr key={operation} data-testid="item-stats-row">
              <Table.Td>
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {operation}
                </Text>
              </Table.Td>
              {ITEM_OUTCOMES.map((outcome) => (
                <Table.Td key={outcome} ta="right">
                  {cell(operation, outcome)}
                </Table.Td>
              ))}
              <Table.Td ta="right">{formatBytes(bytes(operation))}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
