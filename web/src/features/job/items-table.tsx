import { Anchor, Table, Text } from '@mantine/core';
import { useItems } from '../../api/item-queries.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { ListState, listStatus } from '../../components/ui/list-state.js';
import { LoadMore } from '../../components/ui/load-more.js';
import type { ItemOutcome } from '../../domain.js';
import { formatBytes } from './format-bytes.js';

interface Props {
  jobId: number;
  status: ItemOutcome;
  path: string;
  onOpenPath: (path: string) => void;
  onOpenTask: (id: number) => void;
}

/** Item records of one outcome. Paths come from workers: shown as text, never as markup. */
export function ItemsTable({ jobId, status, path, onOpenPath, onOpenTask }: Props) {
  const items = useItems(jobId, { status, path: path || undefined });
  const rows = items.data?.pages.flatMap((p) => p.items) ?? [];
  const failed = status === 'failed';
  return (
    <>
      <ErrorAlert error={items.error} title="Could not load items" onRetry={() => void items.refetch()} />
      <Table.ScrollContainer minWidth={800}>
        <Table striped highlightOnHover fz="sm" verticalSpacing={6} aria-label={`${status} items`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Path</Table.Th>
              {failed ? <Table.Th>Error</Table.Th> : null}
              <Table.Th>Task</Table.Th>
              <Table.Th>Operation</Table.Th>
              <Table.Th ta="right">Size</Table.Th>
              <Table.Th>Recorded</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {listStatus(items, rows.length) ? (
              <Table.Tr>
                <Table.Td colSpan={failed ? 6 : 5}>
                  <ListState
                    status={listStatus(items, rows.length) ?? 'empty'}
                    empty={`No ${status} items${path ? ' match this path' : ''}.`}
                    onRetry={() => void items.refetch()}
                  />
                </Table.Td>
              </Table.Tr>
            ) : null}
            {rows.map((item) => (
              <Table.Tr key={item.id} data-testid="item-row">
                <Table.Td style={{ overflowWrap: 'anywhere' }}>
                  <Anchor
                    component="button"
                    type="button"
                    size="sm"
                    ta="left"
                    onClick={() => onOpenPath(item.path)}
                    title="Show this item's history"
                    data-testid="item-path"
                  >
                    {item.path}
                  </Anchor>
                </Table.Td>
                {failed ? (
                  <Table.Td>
                    <Text size="sm" c="var(--mantine-color-error)" data-testid="item-error">
                      {item.error ?? '—'}
                    </Text>
                  </Table.Td>
                ) : null}
                <Table.Td>
                  <Anchor component="button" type="button" size="sm" onClick={() => onOpenTask(item.taskId)} aria-label={`Open task ${item.taskId}`}>
                    {item.taskId}
                  </Anchor>
                </Table.Td>
                <Table.Td>{item.operation}</Table.Td>
                <Table.Td ta="right">{formatBytes(item.bytes)}</Table.Td>
                <Table.Td>
                  <DateTime value={item.at} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <LoadMore
        hasMore={items.hasNextPage}
        loading={items.isFetchingNextPage}
        onLoad={() => void items.fetchNextPage()}
        shown={rows.length}
        settled={items.isSuccess}
      />
    </>
  );
}
