import { Alert, Anchor, Group, Stack, Text, Title } from '@mantine/core';
import { Link, useNavigate, useParams } from 'react-router';
import { useDeleteEnvelope, useEnvelope, useEnvelopeAction } from '../../api/envelope-queries.js';
import { ConfirmButton } from '../../components/ui/confirm-button.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { LoadFailure } from '../../components/ui/load-failure.js';
import { useCan } from '../auth/current-user.js';
import { SubscribeMenu } from '../job/subscribe-button.js';
import { StateBadge } from '../states/state-badge.js';
import { EnvelopeGraph } from './envelope-graph.js';
import { EnvelopeHistory } from './envelope-history.js';
import { EnvelopeStatusBadge } from './envelope-status.js';
import { EnvelopeJobs } from './envelopes-page.js';

/** One envelope: summary, its chain of jobs with their states (live), and its controls. */
export function EnvelopePage() {
  const rawId = useParams().id ?? '';
  const id = Number(rawId);
  const envelope = useEnvelope(id);
  const action = useEnvelopeAction();
  const remove = useDeleteEnvelope();
  const navigate = useNavigate();
  const canControl = useCan('operator');
  const canDelete = useCan('admin');
  const e = envelope.data;
  if (!Number.isSafeInteger(id) || id <= 0) return <Alert color="red">“{rawId}” is not an envelope id.</Alert>;
  if (envelope.error) {
    return (
      <LoadFailure
        title={`Envelope ${id}`}
        error={envelope.error}
        missing={`There is no envelope ${id} at your sites, or it was deleted.`}
        back={{ to: '/envelopes', label: 'Back to envelopes' }}
      />
    );
  }
  if (!e) return <Text>Loading…</Text>;
  const running = e.status === 'active' || e.status === 'errors-active';
  const canRollBack = !running && e.status !== 'corrupt' && e.status !== 'rolling-back' && e.status !== 'rolled-back';
  const deletable = !running && e.status !== 'rolling-back' && [...e.jobs, ...(e.rollbackJob ? [e.rollbackJob] : [])].every((j) => j.endedAt !== null);
  const changed = e.jobs.filter((j) => j.outcome === 'changed').length;
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Envelope #{e.id}{' '}
          <Text span c="dimmed">
            {e.type}
            {e.fileName ? ` · ${e.fileName}` : ''}
          </Text>
        </Title>
        <Group gap="xs">
          <SubscribeMenu target={{ kind: 'envelope', id: e.id }} />
          {canControl ? (
            <Group gap="xs" role="group" aria-label="Envelope controls">
              {running ? (
                <ConfirmButton
                  color="red"
                  variant="light"
                  title={`Cancel envelope ${e.id}?`}
                  message="No further job of it starts; running jobs are cancelled."
                  confirmLabel="Cancel envelope"
                  onConfirm={() => action.mutate({ id: e.id, action: 'cancel' })}
                >
                  Cancel
                </ConfirmButton>
              ) : null}
              {canRollBack ? (
                <ConfirmButton
                  color="orange"
                  variant="light"
                  title={`Roll back envelope ${e.id}?`}
                  message={`The compensations of what its jobs changed (${changed} of ${e.jobs.length} jobs changed something) run newest first, as one rollback job.${e.rollback === 'failed' ? ' Only the compensations that failed run again.' : ''}`}
                  confirmLabel="Roll back"
                  onConfirm={() => action.mutate({ id: e.id, action: 'rollback' })}
                >
                  Roll back
                </ConfirmButton>
              ) : null}
              {canDelete && deletable ? (
                <ConfirmButton
                  color="red"
                  variant="subtle"
                  title={`Delete envelope ${e.id}?`}
                  message={`The envelope, its ${e.jobs.length} job${e.jobs.length === 1 ? '' : 's'}${e.rollbackJob ? ' and its rollback job' : ''} are deleted with their tasks, items and output. This cannot be undone.`}
                  confirmLabel="Delete envelope"
                  onConfirm={() => remove.mutate(e.id, { onSuccess: () => navigate('/envelopes') })}
                >
                  Delete
                </ConfirmButton>
              ) : null}
            </Group>
          ) : null}
        </Group>
      </Group>
      <ErrorAlert error={action.error ?? remove.error} title="The hub refused" />
      <Group gap="lg">
        <EnvelopeStatusBadge status={e.status} testId="envelope-status" />
        <Text size="sm">
          {e.progress.done} of {e.progress.total} jobs done
        </Text>
        <Text size="sm">
          by {e.creator} at {e.site}, created <DateTime value={e.createdAt} />
        </Text>
        <Text size="sm">on error: {e.onError}</Text>
      </Group>
      {e.reason ? (
        <Alert color={e.status === 'corrupt' ? 'grape' : 'orange'} title="Reason" data-testid="envelope-reason">
          {e.reason}
        </Alert>
      ) : null}
      {e.rollbackJob ? (
        <Group gap="xs" data-testid="rollback-job">
          <Text size="sm">Rollback job</Text>
          <Anchor component={Link} to={`/jobs/${e.rollbackJob.id}`} size="sm">
            #{e.rollbackJob.id}
          </Anchor>
          <StateBadge state={e.rollbackJob.state} size="xs" />
        </Group>
      ) : null}
      <Title order={2} size="h4">
        Chain
      </Title>
      <EnvelopeGraph jobs={e.jobs} />
      <EnvelopeJobs id={e.id} />
      <Title order={2} size="h4">
        History
      </Title>
      <EnvelopeHistory id={e.id} />
    </Stack>
  );
}
