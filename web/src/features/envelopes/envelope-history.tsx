import { Anchor, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { type EnvelopeEvent, useEnvelopeEvents } from '../../api/envelope-queries.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import type { JobState } from '../../domain.js';
import { StateBadge } from '../states/state-badge.js';
import { EnvelopeStatusBadge } from './envelope-status.js';

/** What happened to an envelope and its jobs, newest first (live). */
export function EnvelopeHistory({ id }: { id: number }) {
  const events = useEnvelopeEvents(id);
  if (events.error) return <ErrorAlert error={events.error} title="Could not load its history" onRetry={() => void events.refetch()} />;
  if (!events.data) return <Text size="sm">Loading…</Text>;
  if (events.data.length === 0) return <Text c="dimmed">Nothing recorded yet.</Text>;
  return (
    <Table fz="xs" aria-label={`History of envelope ${id}`} data-testid="envelope-history">
      <Table.Thead>
        <Table.Tr>
          <Table.Th w={200}>When</Table.Th>
          <Table.Th>What</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {[...events.data].reverse().map((event) => (
          <Table.Tr key={event.id} data-testid="envelope-event" data-type={event.type}>
            <Table.Td>
              <DateTime value={event.at} />
            </Table.Td>
            <Table.Td>
              <EventLine event={event} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function EventLine({ event }: { event: EnvelopeEvent }) {
  const d = event.data;
  const reason = d.reason ? (
    <Text span size="xs" c="dimmed">
      {' '}
      — {String(d.reason)}
    </Text>
  ) : null;
  const job = (
    <Anchor component={Link} to={`/jobs/${event.jobId}`} size="xs" underline="always">
      Job #{event.jobId}
    </Anchor>
  );
  switch (event.type) {
    case 'envelope:created':
      return (
        <Text size="xs">
          Envelope created ({String(d.type)}, {String(d.jobs)} jobs)
        </Text>
      );
    case 'envelope:status:changed':
      return (
        <Text size="xs" component="div">
          Envelope <EnvelopeStatusBadge status={String(d.from)} /> → <EnvelopeStatusBadge status={String(d.to)} />
          {reason}
        </Text>
      );
    case 'job:created':
      return (
        <Text size="xs" component="div">
          {job} ({String(d.workflow)}) created <StateBadge state={String(d.state) as JobState} size="xs" />
        </Text>
      );
    case 'job:state:changed':
      return (
        <Text size="xs" component="div">
          {job} ({String(d.workflow)}) <StateBadge state={String(d.from) as JobState} size="xs" /> → <StateBadge state={String(d.to) as JobState} size="xs" />
          {reason}
        </Text>
      );
    default:
      return <Text size="xs">{event.type}</Text>;
  }
}
