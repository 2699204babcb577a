import { ActionIcon, Anchor, Chip, Group, Paper, Progress, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import dayjs from 'dayjs';
import { Fragment, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useEnvelope, useEnvelopes } from '../../api/envelope-queries.js';
import type { Envelope } from '../../api/types.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { useCan } from '../auth/current-user.js';
import { StateBadge } from '../states/state-badge.js';
import { EnvelopeStatusBadge } from './envelope-status.js';
import { UploadEnvelope } from './upload-envelope.js';

const STATUSES = ['active', 'errors-active', 'success', 'errors', 'corrupt', 'cancelled', 'rolling-back', 'rolled-back'];

/** Every envelope, newest first, live, under a panel of those at hand; filter by status, submitter and day; a row expands to its jobs. */
export function EnvelopesPage() {
  const [status, setStatus] = useState<string[]>([]);
  const [creator, setCreator] = useState('');
  const [days, setDays] = useState<[string | null, string | null]>([null, null]);
  const query = useMemo(
    () => ({
      status,
      creator: creator.trim() ? [creator.trim()] : undefined,
      // Days (the browser's time zone) become the instants the API takes: a whole day each.
      createdFrom: days[0] ? dayjs(days[0]).startOf('day').toISOString() : undefined,
      createdTo:
        (days[1] ?? days[0])
          ? dayjs(days[1] ?? days[0])
              .endOf('day')
              .toISOString()
          : undefined,
    }),
    [status, creator, days],
  );
  const envelopes = useEnvelopes(query);
  const canSubmit = useCan('operator');
  const [open, setOpen] = useState<number | null>(null);
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        Envelopes
      </Title>
      <AtHand />
      {canSubmit ? <UploadEnvelope /> : null}
      <Group gap="md" align="flex-end" role="search" aria-label="Envelope filters">
        <TextInput
          label="Submitter"
          placeholder="e.g. admin"
          value={creator}
          onChange={(e) => setCreator(e.currentTarget.value)}
          w={200}
          data-testid="filter-creator"
        />
        <DatePickerInput
          type="range"
          label="Created"
          aria-description="Empty: any day"
          value={days}
          onChange={(range) => setDays(range as [string | null, string | null])}
          clearable
          allowSingleDateInRange
          w={260}
        />
      </Group>
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

/** How many of each the panel shows. */
const AT_HAND = 5;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Envelopes still running (or rolling back), and those that ended with errors or corrupt in the last 24 hours. */
function AtHand() {
  const active = useEnvelopes({ status: ['active', 'errors-active', 'rolling-back'], limit: AT_HAND });
  // Newest first by creation: enough are read to find those that ended badly of late.
  const errored = useEnvelopes({ status: ['errors', 'corrupt'], limit: 50 });
  const since = Date.now() - DAY_MS;
  const recent = (errored.data?.items ?? []).filter((e) => Date.parse(e.updatedAt) >= since).slice(0, AT_HAND);
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md" data-testid="envelopes-at-hand">
      <AtHandList title="Active" testId="at-hand-active" items={active.data?.items ?? []} empty="No envelope is running." loading={active.isLoading} />
      <AtHandList title="Errored in the last 24 hours" testId="at-hand-errored" items={recent} empty="None ended with errors." loading={errored.isLoading} />
    </SimpleGrid>
  );
}

function AtHandList({ title, testId, items, empty, loading }: { title: string; testId: string; items: Envelope[]; empty: string; loading: boolean }) {
  return (
    <Paper withBorder p="sm" component="section" aria-label={title} data-testid={testId}>
      <Title order={2} size="h5" mb="xs">
        {title}
      </Title>
      {items.length === 0 ? (
        <Text size="sm" c="dimmed">
          {loading ? 'Loading…' : empty}
        </Text>
      ) : (
        <Stack gap={6} component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
          {items.map((e) => (
            <Group key={e.id} gap="xs" component="li" wrap="nowrap" data-testid="at-hand-envelope" data-status={e.status}>
              <Anchor component={Link} to={`/envelopes/${e.id}`} size="sm">
                #{e.id}
              </Anchor>
              <EnvelopeStatusBadge status={e.status} />
              <Text size="sm" truncate>
                {e.type}
                {e.fileName ? ` · ${e.fileName}` : ''}
              </Text>
              <Text size="xs" c="dimmed" style={{ marginLeft: 'auto', whiteSpace: 'nowrap' }}>
                {e.progress.done} / {e.progress.total}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
    </Paper>
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
