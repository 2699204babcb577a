import { Alert, Anchor, Badge, Group, Stack, Table, Tabs, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { Link } from 'react-router';
import { type ChangeKindFilter, useComparison } from '../../api/change-queries.js';
import type { Comparison, Job } from '../../api/types.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { ListState, listStatus } from '../../components/ui/list-state.js';
import { LoadMore } from '../../components/ui/load-more.js';
import { CHANGE_COLORS } from './changes-tab.js';
import { formatBytes } from './format-bytes.js';

const KINDS: { value: 'all' | ChangeKindFilter; label: string }[] = [
  { value: 'all', label: 'All differences' },
  { value: 'added', label: 'Added' },
  { value: 'changed', label: 'Changed' },
  { value: 'removed', label: 'Removed' },
];

type Side = Comparison['items'][number]['before'];

function describe(side: Side): string {
  if (!side) return '—';
  return `${side.outcome}${side.bytes === null ? '' : `, ${formatBytes(side.bytes)}`}`;
}

/**
 * "Compared with previous run": this job's items against the previous run of its workflow at
 * its site (or of its schedule), each path by its last record — paths added, removed, and
 * changed (bytes or outcome differ).
 */
export function CompareTab({ job }: { job: Job }) {
  const [kind, setKind] = useState<'all' | ChangeKindFilter>('all');
  const [path, setPath] = useState('');
  const [debounced] = useDebouncedValue(path.trim(), 300);
  const comparison = useComparison(job.id, { kind: kind === 'all' ? undefined : kind, path: debounced || undefined });
  const first = comparison.data?.pages[0];
  const rows = comparison.data?.pages.flatMap((p) => p.items) ?? [];
  const status = listStatus(comparison, rows.length);
  const counts = first?.counts;
  return (
    <Stack gap="sm">
      {first ? (
        first.previousJobId === null ? (
          <Alert color="gray" data-testid="compare-previous">
            No previous run of this workflow at site {job.site} to compare with: every item is new.
          </Alert>
        ) : (
          <Group gap="xs" data-testid="compare-previous">
            <Text size="sm">Compared with</Text>
            <Anchor component={Link} to={`/jobs/${first.previousJobId}`} size="sm">
              job {first.previousJobId}
            </Anchor>
            <Text size="sm" c="dimmed">
              {counts ? `${counts.unchanged} unchanged` : ''}
            </Text>
          </Group>
        )
      ) : null}
      {first?.truncated ? <Alert color="yellow">One of the runs has more than 200,000 paths: only the first ones are compared.</Alert> : null}
      <Tabs value={kind} onChange={(v) => v && setKind(v as typeof kind)} variant="pills">
        <Tabs.List aria-label="Differences by kind">
          {KINDS.map((k) => (
            <Tabs.Tab key={k.value} value={k.value} data-testid={`compare-kind-${k.value}`}>
              {k.label} ({counts ? (k.value === 'all' ? counts.added + counts.changed + counts.removed : counts[k.value]) : '…'})
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <TextInput label="Path contains" placeholder="Filter differences by path" value={path} onChange={(e) => setPath(e.currentTarget.value)} w={360} />
      <ErrorAlert error={comparison.error} title="Could not compare the runs" onRetry={() => void comparison.refetch()} />
      <Table.ScrollContainer minWidth={700}>
        <Table striped fz="sm" verticalSpacing={6} aria-label="Differences from the previous run">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Difference</Table.Th>
              <Table.Th>Path</Table.Th>
              <Table.Th>Previous run</Table.Th>
              <Table.Th>This run</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {status ? (
              <Table.Tr>
                <Table.Td colSpan={4}>
                  <ListState status={status} empty="No differences from the previous run." onRetry={() => void comparison.refetch()} />
                </Table.Td>
              </Table.Tr>
            ) : null}
            {rows.map((d) => (
              <Table.Tr key={d.path} data-testid="compare-row">
                <Table.Td>
                  <Badge variant="light" color={CHANGE_COLORS[d.kind]}>
                    {d.kind}
                  </Badge>
                </Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{d.path}</Table.Td>
                <Table.Td>{describe(d.before)}</Table.Td>
                <Table.Td>{describe(d.after)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <LoadMore
        hasMore={comparison.hasNextPage}
        loading={comparison.isFetchingNextPage}
        onLoad={() => void comparison.fetchNextPage()}
        shown={rows.length}
        settled={comparison.isSuccess}
      />
    </Stack>
  );
}
