import { Anchor, Button, Group, Modal, Paper, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { ApiError } from '../../api/api-error.js';
import type { JobListQuery } from '../../api/job-queries.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { roleAllows } from '../../domain.js';
import { useCurrentUser } from '../auth/current-user.js';
import { useReadableColors } from '../dashboard/readable-colors.js';
import { type BulkAction, type BulkPreview, type BulkSelection, previewBulk, useMatchingCount, useStartBulk } from './bulk-queries.js';
import { OperationPanel } from './operation-panel.js';
import type { Selection } from './use-selection.js';

/** The actions, each with the role it needs (the hub checks again): offered only to those who hold it. */
const ACTIONS: { action: BulkAction; label: string; verb: string; color?: string; role: 'viewer' | 'operator' | 'admin' }[] = [
  { action: 'cancel', label: 'Cancel', verb: 'cancel', color: 'red.8', role: 'operator' },
  { action: 'pause', label: 'Pause', verb: 'pause', role: 'operator' },
  { action: 'resume', label: 'Resume', verb: 'resume', role: 'operator' },
  { action: 'retry', label: 'Retry', verb: 'retry', role: 'operator' },
  { action: 'delete', label: 'Delete', verb: 'delete', color: 'red.8', role: 'admin' },
  { action: 'subscribe', label: 'Subscribe', verb: 'subscribe to', role: 'viewer' },
];

interface Props {
  selection: Selection;
  /** Rows on screen, all of them picked: offer "select all N matching". */
  pageAllSelected: boolean;
  filter: Omit<JobListQuery, 'id' | 'sort'>;
  onSelectAllMatching(): void;
  onClear(): void;
}

/**
 * The bulk action bar over the jobs list: what is selected, "select all N matching this
 * filter", and the actions. An action asks for confirmation with the hub's preview count (the
 * jobs it will act on, of those selected), then runs as a tracked operation whose progress and
 * result summary show here.
 */
export function BulkActionBar({ selection, pageAllSelected, filter, onSelectAllMatching, onClear }: Props) {
  const matching = useMatchingCount(filter, pageAllSelected || selection.allMatching);
  const { role } = useCurrentUser();
  const offered = ACTIONS.filter((a) => roleAllows(role, a.role));
  const [pending, setPending] = useState<{ action: (typeof ACTIONS)[number]; preview: BulkPreview | null; error: unknown } | null>(null);
  const [operationId, setOperationId] = useState<number | null>(null);
  const start = useStartBulk();
  const { muted, link } = useReadableColors();
  const count = selection.allMatching ? (matching.data ?? 0) : selection.ids.size;
  const target: BulkSelection = selection.allMatching ? { filter } : { ids: [...selection.ids].sort((a, b) => a - b) };

  const ask = async (action: (typeof ACTIONS)[number]) => {
    setPending({ action, preview: null, error: null });
    try {
      setPending({ action, preview: await previewBulk(action.action, target), error: null });
    } catch (error) {
      setPending({ action, preview: null, error });
    }
  };
  const confirm = async () => {
    if (!pending) return;
    const operation = await start.mutateAsync({ action: pending.action.action, selection: target });
    setPending(null);
    setOperationId(operation.id);
    onClear();
  };

  if (count === 0 && operationId === null) return null;
  return (
    <Stack gap="xs">
      {count > 0 && (
        <Paper withBorder p="xs" radius="md" data-testid="bulk-bar" role="region" aria-label="Bulk actions">
          <Group justify="space-between" wrap="wrap" gap="xs">
            <Group gap="sm">
              <Text fw={600} data-testid="bulk-selected">
                {selection.allMatching ? `All ${count.toLocaleString()} jobs matching this filter selected` : `${count} selected`}
              </Text>
              {pageAllSelected && !selection.allMatching && (matching.data ?? 0) > selection.ids.size && (
                <Anchor component="button" type="button" c={link} onClick={onSelectAllMatching} data-testid="bulk-select-all-matching">
                  Select all {(matching.data ?? 0).toLocaleString()} jobs matching this filter
                </Anchor>
              )}
              <Anchor component="button" type="button" c={muted} onClick={onClear}>
                Clear selection
              </Anchor>
            </Group>
            <Group gap={6}>
              {offered.map((a) => (
                <Button key={a.action} size="xs" variant="default" onClick={() => void ask(a)} data-testid={`bulk-${a.action}`}>
                  {a.label}
                </Button>
              ))}
            </Group>
          </Group>
        </Paper>
      )}
      <Modal
        opened={pending !== null}
        onClose={() => setPending(null)}
        title={pending ? `${pending.action.label} jobs` : ''}
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        {pending && (
          <Stack>
            <ErrorAlert error={pending.error ?? start.error} title={`Could not ${pending.action.verb} these jobs`} />
            {pending.preview ? (
              <Text data-testid="bulk-preview">
                This will {pending.action.verb} <b>{pending.preview.eligible.toLocaleString()}</b> of the {pending.preview.matching.toLocaleString()} selected
                jobs.{' '}
                {pending.preview.matching > pending.preview.eligible
                  ? 'The others are in a state (or of a workflow) that does not allow it and will be skipped.'
                  : ''}
              </Text>
            ) : (
              !pending.error && <Text c={muted}>Counting the jobs…</Text>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setPending(null)}>
                Keep them
              </Button>
              <Button
                color={pending.action.color ?? 'blue.8'}
                onClick={() => void confirm().catch(() => {})}
                loading={start.isPending}
                disabled={!pending.preview || pending.preview.eligible === 0 || pending.error instanceof ApiError}
                data-testid="bulk-confirm"
              >
                {pending.action.label} {pending.preview ? pending.preview.eligible.toLocaleString() : ''} jobs
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
      {operationId !== null && <OperationPanel id={operationId} onClose={() => setOperationId(null)} />}
    </Stack>
  );
}
