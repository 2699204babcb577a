import { ActionIcon, Anchor, Chip, Group, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { Fragment, useState } from 'react';
import { Link } from 'react-router';
import { useEnvelope, useEnvelopes } from '../../api/envelope-queries.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { useCan } from '../auth/current-user.js';
import { StateBadge } from '../states/state-badge.js';
import { EnvelopeStatusBadge } from './envelope-status.js';
import { UploadEnvelope } from './upload-envelope.js';

const STATUSES = ['active', 'errors-active', 'success', 'errors', 'corrupt', 'cancelled', 'rolling-back', 'rolled-back'];

/** Every envelope, newest first, live; filter by status; a row expands to its jobs. */
export function EnvelopesPage() {
  const [status, setStatus] = useState<string[]>([]);
  const envelopes = useEnvelopes({ status });
  const canSubmit = useCan('operator');
  const [open, setOpen] = useState<number | null>(null);
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        Envelopes
      </Title>
      {canSubmit ? <UploadEnvelope /> : null}
      <Chip.Group multiple value={status} onChange={setStatus}>
        <Group gap="xs" aria-label="Filter by status" role="group">
          {STATUSES.map((s) => (
            <Chip key={s} value={s} size="xs">
              {s}
            </Chip>
          ))}
        </Group>
      </Chip.Group>
      <ErrorAlert error={envelopes.error} title="Could not load envelopes" />
      <Table.ScrollContainer minWidth={900}>
        <Table striped fz="sm" verticalSpacing={8} aria-label="Envelopes">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={40} />
              <Table.Th>Envelope</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>File</Table.Th>
              <Table.Th>Submitter</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Updated</Table.Th>
              <Table.Th>Jobs</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(envelopes.data?.items ?? []).map((e) => (
              <Fragment key={e.id}>
                <Table.Tr data-testid="envelope-row" data-status={e.status}>
                  <Table.Td>
                    <ActionIcon
                      variant="subtle"
                      aria-label={open === e.id ? `Collapse envelope ${e.id}` : `Expand envelope ${e.id}`}
                      aria-expanded={open === e.id}
                      onClick={() => setOpen(open === e.id ? null : e.id)}
                    >
                      <Icon name={open === e.id ? 'dash' : 'plus'} size={14} />
                    </ActionIcon>
                  </Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/envelopes/${e.id}`}>
                      #{e.id}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <EnvelopeStatusBadge status={e.status} />
                    {e.reason ? (
                      <Text size="xs" c="dimmed" lineClamp={1} title={e.reason}>
                        {e.reason}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{e.type}</Table.Td>
                  <Table.Td>{e.fileName ?? '—'}</Table.Td>
                  <Table.Td>{e.creator}</Table.Td>
                  <Table.Td>
                    <DateTime value={e.createdAt} />
                  </Table.Td>
                  <Table.Td>
                    <DateTime value={e.updatedAt} />
                  </Table.Td>
                  <Table.Td miw={140}>
                    <Text size="xs">
                      {e.progress.done} / {e.progress.total}
                    </Text>
                    <Progress value={e.progress.percent} size="sm" aria-label={`${e.progress.done} of ${e.progress.total} jobs done`} />
                  </Table.Td>
                </Table.Tr>
                {open === e.id ? (
                  <Table.Tr>
                    <Table.Td colSpan={9}>
                      <EnvelopeJobs id={e.id} />
                    </Table.Td>
                  </Table.Tr>
                ) : null}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {envelopes.data?.items.length === 0 ? <Text c="dimmed">No envelopes yet: upload a file above, or POST /api/v1/envelopes.</Text> : null}
    </Stack>
  );
}

/** An envelope's jobs in order, with each one's state and counts. */
export function EnvelopeJobs({ id }: { id: number }) {
  const envelope = useEnvelope(id);
  if (envelope.error) return <ErrorAlert error={envelope.error} title="Could not load its jobs" />;
  if (!envelope.data) return <Text size="sm">Loading…</Text>;
  return (
    <Table fz="xs" aria-label={`Jobs of envelope ${id}`} data-testid="envelope-jobs">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Job</Table.Th>
          <Table.Th>Workflow</Table.Th>
          <Table.Th>State</Table.Th>
          <Table.Th>Runs after</Table.Th>
          <Table.Th>Items</Table.Th>
          <Table.Th>Why</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {envelope.data.jobs.map((job) => (
          <Table.Tr key={job.id} data-testid="envelope-job" data-state={job.state}>
            <Table.Td>
              <Anchor component={Link} to={`/jobs/${job.id}`} size="xs">
                #{job.id}
              </Anchor>
            </Table.Td>
            <Table.Td>{job.label}</Table.Td>
            <Table.Td>
              <StateBadge state={job.state} size="xs" />
            </Table.Td>
            <Table.Td>{job.after.length > 0 ? job.after.map((a) => `#${a}`).join(', ') : '—'}</Table.Td>
            <Table.Td>
              {job.itemCounts.completed} done, {job.itemCounts.failed} failed
            </Table.Td>
            <Table.Td>{job.waitReason?.message ?? job.reason ?? ''}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
