import { Anchor, Code, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { AuditEntry } from '../../api/audit-queries.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ListState, type ListStatus } from '../../components/ui/list-state.js';

/** A target as a link where the console has a page for it. */
function Target({ target }: { target: string | null }) {
  if (!target)
    return (
      <Text span size="sm" c="dimmed">
        —
      </Text>
    );
  const job = /^job:(\d+)$/.exec(target);
  if (job) {
    return (
      <Anchor component={Link} to={`/jobs/${job[1]}`} size="sm">
        {target}
      </Anchor>
    );
  }
  return <>{target}</>;
}

/** What changed, as compact text: the entry's data is a small flat record. */
function Details({ data }: { data: AuditEntry['data'] }) {
  const entries = Object.entries(data);
  if (entries.length === 0) return null;
  return (
    <Code style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
      {entries.map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`).join('\n')}
    </Code>
  );
}

/** Audit entries, newest first; `showTarget` false inside one object's own audit. */
export function AuditTable({
  entries,
  status,
  onRetry,
  showTarget = true,
}: {
  entries: AuditEntry[];
  status: ListStatus | null;
  onRetry: () => void;
  showTarget?: boolean;
}) {
  const columns = showTarget ? 6 : 4;
  return (
    <Table.ScrollContainer minWidth={showTarget ? 760 : 480}>
      <Table striped fz="sm" verticalSpacing={6} aria-label="Audit entries">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>Actor</Table.Th>
            <Table.Th>Action</Table.Th>
            {showTarget ? <Table.Th>Target</Table.Th> : null}
            {showTarget ? <Table.Th>Site</Table.Th> : null}
            <Table.Th>Details</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {status ? (
            <Table.Tr>
              <Table.Td colSpan={columns}>
                <ListState status={status} empty="No audit entries match." onRetry={onRetry} />
              </Table.Td>
            </Table.Tr>
          ) : (
            entries.map((entry) => (
              <Table.Tr key={entry.id} data-testid="audit-row">
                <Table.Td>
                  <DateTime value={entry.at} />
                </Table.Td>
                <Table.Td>{entry.actor}</Table.Td>
                <Table.Td>
                  <Text span size="sm" ff="monospace">
                    {entry.action}
                  </Text>
                </Table.Td>
                {showTarget ? (
                  <Table.Td>
                    <Target target={entry.target} />
                  </Table.Td>
                ) : null}
                {showTarget ? <Table.Td>{entry.site ?? '—'}</Table.Td> : null}
                <Table.Td>
                  <Details data={entry.data} />
                </Table.Td>
              </Table.Tr>
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
