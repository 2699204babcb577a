import { Alert, Anchor, Button, CloseButton, Group, List, Paper, Progress, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { useReadableColors } from '../dashboard/readable-colors.js';
import { useCancelOperation, useOperation } from './bulk-queries.js';

const PAST: Record<string, string> = {
  cancel: 'cancelled',
  pause: 'paused',
  resume: 'resumed',
  retry: 'retried',
  delete: 'deleted',
  subscribe: 'subscribed to',
};

/** A bulk operation's progress while it runs, then its result summary with skips grouped by reason. */
export function OperationPanel({ id, onClose }: { id: number; onClose(): void }) {
  const operation = useOperation(id);
  const cancel = useCancelOperation();
  const op = operation.data;
  const { link } = useReadableColors();
  return (
    <Paper withBorder p="sm" radius="md" data-testid="operation-panel" data-state={op?.state ?? 'loading'} role="status" aria-live="polite">
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={600}>
            Bulk {op?.action ?? 'operation'} #{id}
            {op && op.state !== 'running' ? ` — ${op.state}` : ''}
          </Text>
          <Group gap="xs">
            {op?.state === 'running' && (
              <Button size="xs" variant="default" loading={cancel.isPending} onClick={() => cancel.mutate(id)}>
                Stop
              </Button>
            )}
            <CloseButton aria-label="Close the operation panel" onClick={onClose} />
          </Group>
        </Group>
        <ErrorAlert error={operation.error} title="Could not read the operation" />
        {op && (
          <>
            <Progress value={op.percent} animated={op.state === 'running'} aria-label={`Bulk ${op.action} progress`} />
            <Text size="sm" data-testid="operation-progress">
              {op.done.toLocaleString()} of {op.total.toLocaleString()} handled
            </Text>
            {op.state !== 'running' && (
              <Stack gap={4} data-testid="operation-summary">
                <Text size="sm">
                  <b>{op.succeeded.toLocaleString()}</b> {PAST[op.action] ?? op.action}, <b>{op.skipped.toLocaleString()}</b> skipped,{' '}
                  <b>{op.failed.toLocaleString()}</b> failed.
                </Text>
                {Object.keys(op.reasons).length > 0 && (
                  <List size="sm" spacing={2}>
                    {Object.entries(op.reasons).map(([reason, group]) => (
                      <List.Item key={reason}>
                        {group.count.toLocaleString()} × {reason}
                        {group.jobIds.length > 0 && (
                          <>
                            {' '}
                            (
                            {group.jobIds.slice(0, 5).map((jobId, i) => (
                              <span key={jobId}>
                                {i > 0 && ', '}
                                <Anchor c={link} component={Link} to={`/jobs/${jobId}`} size="sm">
                                  {jobId}
                                </Anchor>
                              </span>
                            ))}
                            {group.count > 5 ? ', …' : ''})
                          </>
                        )}
                      </List.Item>
                    ))}
                  </List>
                )}
                {op.error && (
                  <Alert color="red" title="The operation stopped">
                    {op.error}
                  </Alert>
                )}
              </Stack>
            )}
          </>
        )}
      </Stack>
    </Paper>
  );
}
