import { Table } from '@mantine/core';
import type { Job } from '../../api/types.js';
import { LOCAL_TIME_ZONE } from '../../components/ui/date-time.js';
import { ListState, type ListStatus } from '../../components/ui/list-state.js';
import { SortHeader, type SortState } from '../../components/ui/sort-header.js';
import { JobRow } from './job-row.js';

const DEFAULT_SORT: SortState = { key: 'id', desc: true };
/** Instants and ids read best newest first; names alphabetically. */
const DESC_FIRST = new Set(['id', 'createdAt', 'startedAt', 'endedAt', 'updatedAt']);

export function parseSort(sort: string | null): SortState {
  if (!sort) return DEFAULT_SORT;
  return { key: sort.replace(/^-/, ''), desc: sort.startsWith('-') };
}

/** The next sort after a click on `key`: the other direction, or the column's natural one. */
export function nextSort(current: SortState, key: string): string {
  const desc = current.key === key ? !current.desc : DESC_FIRST.has(key);
  return `${desc ? '-' : ''}${key}`;
}

/**
 * The jobs list. State comes right after the id: on a narrow screen it is the column that must
 * be seen without scrolling sideways.
 */
export function JobsTable({
  jobs,
  status,
  onRetry,
  sort,
  onSort,
}: {
  jobs: Job[];
  /** Null when there are rows to show. */
  status: ListStatus | null;
  onRetry: () => void;
  sort: string | null;
  onSort: (sort: string) => void;
}) {
  const state = parseSort(sort);
  const header = (label: string, key: string) => <SortHeader label={label} sortKey={key} sort={state} onSort={(k) => onSort(nextSort(state, k))} />;
  return (
    <Table.ScrollContainer minWidth={1100}>
      <Table striped highlightOnHover verticalSpacing={6} fz="sm" stickyHeader>
        <Table.Caption>Times are in your time zone ({LOCAL_TIME_ZONE}).</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            {header('Id', 'id')}
            {header('State', 'state')}
            {header('Workflow', 'workflow')}
            {header('Creator', 'creator')}
            {header('Created', 'createdAt')}
            {header('Started', 'startedAt')}
            {header('Ended', 'endedAt')}
            {header('Last update', 'updatedAt')}
            <Table.Th ta="right">Tasks queued</Table.Th>
            <Table.Th ta="right">Succeeded</Table.Th>
            <Table.Th ta="right" title="Tasks completed with errors, failed or aborted">
              Failed
            </Table.Th>
            <Table.Th>Progress</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {status ? (
            <Table.Tr>
              <Table.Td colSpan={12}>
                <ListState status={status} empty="No jobs match this view." onRetry={onRetry} />
              </Table.Td>
            </Table.Tr>
          ) : (
            jobs.map((job) => <JobRow key={job.id} job={job} />)
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
