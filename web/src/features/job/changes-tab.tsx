import { Alert, Badge, Button, Code, Group, Loader, Modal, ScrollArea, Stack, Table, Tabs, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { type ChangeKindFilter, useChange, useChanges } from '../../api/change-queries.js';
import type { Change, Job } from '../../api/types.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { ListState, listStatus } from '../../components/ui/list-state.js';
import { LoadMore } from '../../components/ui/load-more.js';
import { formatBytes } from './format-bytes.js';
import { type DiffRow, sideBySide } from './line-diff.js';

const KINDS: { value: 'all' | ChangeKindFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'added', label: 'Added' },
  { value: 'changed', label: 'Changed' },
  { value: 'removed', label: 'Removed' },
];

export const CHANGE_COLORS: Record<ChangeKindFilter, string> = { added: 'green', changed: 'blue', removed: 'red' };

/**
 * "View details": the job's change set (R27) — what its tasks found added, changed or
 * removed — with filters by kind and path and the counts per kind; a change with text opens
 * a side-by-side diff. Paths and texts come from workers: shown as text, never as markup.
 */
export function ChangesTab({ job }: { job: Job }) {
  const [kind, setKind] = useState<'all' | ChangeKindFilter>('all');
  const [path, setPath] = useState('');
  const [debounced] = useDebouncedValue(path.trim(), 300);
  const [open, setOpen] = useState<Change | null>(null);
  const changes = useChanges(job.id, { change: kind === 'all' ? undefined : kind, path: debounced || undefined });
  const rows = changes.data?.pages.flatMap((p) => p.items) ?? [];
  const counts = changes.data?.pages[0]?.counts;
  const total = counts ? counts.added + counts.changed + counts.removed : 0;
  const status = listStatus(changes, rows.length);
  return (
    <Stack gap="sm">
      <Tabs value={kind} onChange={(v) => v && setKind(v as typeof kind)} variant="pills">
        <Tabs.List aria-label="Changes by kind">
          {KINDS.map((k) => (
            <Tabs.Tab key={k.value} value={k.value} data-testid={`changes-kind-${k.value}`}>
              {k.label} ({counts ? (k.value === 'all' ? total : counts[k.value]) : '…'})
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <TextInput label="Path contains" placeholder="Filter changes by path" value={path} onChange={(e) => setPath(e.currentTarget.value)} w={360} />
      <ErrorAlert error={changes.error} title="Could not load the changes" onRetry={() => void changes.refetch()} />
      <Table.ScrollContainer minWidth={700}>
        <Table striped highlightOnHover fz="sm" verticalSpacing={6} aria-label="Changes">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Change</Table.Th>
              <Table.Th>Path</Table.Th>
              <Table.Th ta="right">Size before</Table.Th>
              <Table.Th ta="right">Size after</Table.Th>
              <Table.Th>Text</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {status ? (
              <Table.Tr>
                <Table.Td colSpan={5}>
                  <ListState
                    status={status}
                    empty={debounced || kind !== 'all' ? 'No change matches these filters.' : 'This job recorded no changes.'}
                    onRetry={() => void changes.refetch()}
                  />
                </Table.Td>
              </Table.Tr>
            ) : null}
            {rows.map((change) => (
              <Table.Tr key={change.id} data-testid="change-row">
                <Table.Td>
                  <Badge variant="light" color={CHANGE_COLORS[change.change]}>
                    {change.change}
                  </Badge>
                </Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }} data-testid="change-path">
                  {change.path}
                </Table.Td>
                <Table.Td ta="right">{formatBytes(change.sizeBefore)}</Table.Td>
                <Table.Td ta="right">{formatBytes(change.sizeAfter)}</Table.Td>
                <Table.Td>
                  {change.hasText ? (
                    <Button size="compact-sm" variant="light" onClick={() => setOpen(change)} aria-label={`Show diff of ${change.path}`}>
                      Show diff
                    </Button>
                  ) : change.textOmitted ? (
                    <Text size="sm" c="dimmed" title="Each text is kept only up to 64 KiB">
                      too long to show
                    </Text>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <LoadMore
        hasMore={changes.hasNextPage}
        loading={changes.isFetchingNextPage}
        onLoad={() => void changes.fetchNextPage()}
        shown={rows.length}
        settled={changes.isSuccess}
      />
      <TextDiffModal jobId={job.id} change={open} onClose={() => setOpen(null)} />
    </Stack>
  );
}

function TextDiffModal({ jobId, change, onClose }: { jobId: number; change: Change | null; onClose: () => void }) {
  const detail = useChange(jobId, change?.id ?? null);
  return (
    <Modal opened={change !== null} onClose={onClose} title="Text diff" size="90%">
      <Code block mb="sm" data-testid="diff-path">
        {change?.path}
      </Code>
      {detail.isPending && change !== null ? <Loader size="sm" aria-label="Loading the texts" /> : null}
      <ErrorAlert error={detail.error} title="Could not load the texts" />
      {detail.data ? <SideBySide before={detail.data.textBefore ?? ''} after={detail.data.textAfter ?? ''} /> : null}
    </Modal>
  );
}

const ROW_BACKGROUND: Record<DiffRow['op'], { left?: string; right?: string }> = {
  same: {},
  changed: { left: 'var(--mantine-color-red-light)', right: 'var(--mantine-color-green-light)' },
  removed: { left: 'var(--mantine-color-red-light)' },
  added: { right: 'var(--mantine-color-green-light)' },
};
const MARK: Record<DiffRow['op'], { left: string; right: string }> = {
  same: { left: '', right: '' },
  changed: { left: '−', right: '+' },
  removed: { left: '−', right: '' },
  added: { left: '', right: '+' },
};

/** Before on the left, after on the right, lines aligned; removed lines marked − and added ones +. */
export function SideBySide({ before, after }: { before: string; after: string }) {
  const rows = sideBySide(before, after);
  const changed = rows.filter((r) => r.op !== 'same').length;
  if (rows.length === 0) return <Alert color="gray">Both texts are empty.</Alert>;
  return (
    <Stack gap="xs">
      <Group gap="md">
        <Text size="sm" data-testid="diff-summary">
          {changed === 0 ? 'The texts are the same.' : `${changed} line${changed === 1 ? '' : 's'} differ.`}
        </Text>
      </Group>
      <ScrollArea.Autosize mah="70vh">
        <Table fz="xs" ff="monospace" withColumnBorders verticalSpacing={0} horizontalSpacing={6} aria-label="Side-by-side text diff" data-testid="text-diff">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={48} ta="right">
                <VisuallyHidden>Line before</VisuallyHidden>
              </Table.Th>
              <Table.Th>Before</Table.Th>
              <Table.Th w={48} ta="right">
                <VisuallyHidden>Line after</VisuallyHidden>
              </Table.Th>
              <Table.Th>After</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row, i) => (
              // Rows are positions in a fixed diff: the index is their identity.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above
              <Table.Tr key={i} data-op={row.op} data-testid="diff-row">
                <Table.Td ta="right" c="dimmed">
                  {row.leftNo ?? ''}
                </Table.Td>
                <Table.Td style={{ background: ROW_BACKGROUND[row.op].left, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                  {MARK[row.op].left ? <Mark symbol={MARK[row.op].left} words="removed" /> : null}
                  {row.left ?? ''}
                </Table.Td>
                <Table.Td ta="right" c="dimmed">
                  {row.rightNo ?? ''}
                </Table.Td>
                <Table.Td style={{ background: ROW_BACKGROUND[row.op].right, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                  {MARK[row.op].right ? <Mark symbol={MARK[row.op].right} words="added" /> : null}
                  {row.right ?? ''}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
      <Text size="xs" c="dimmed">
        Lines compared with a longest-common-subsequence diff.
      </Text>
    </Stack>
  );
}

/** The − or + of a line, read out as a word. */
function Mark({ symbol, words }: { symbol: string; words: string }) {
  return (
    <>
      <span aria-hidden="true">{symbol} </span>
      <VisuallyHidden>{words}: </VisuallyHidden>
    </>
  );
}
