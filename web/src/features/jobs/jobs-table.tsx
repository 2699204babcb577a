import { Checkbox, Table, Text } from '@mantine/core';
import type { Job } from '../../api/types.js';
import { LOCAL_TIME_ZONE } from '../../components/ui/date-time.js';
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

/** Row selection for bulk actions: which ids are picked, and how to change that. */
export interface RowSelection {
  selected: Set<number>;
  all: boolean;
  toggle(id: number, on: boolean): void;
  setPage(ids: number[], on: boolean): void;
}

export function JobsTable({ jobs, sort, onSort, selection }: { jobs: Job[]; sort: string | null; onSort: (sort: string) => void; selection?: RowSelection }) {
  const state = parseSort(sort);
  const picked = (id: number) => selection?.all === true || selection?.selected.has(id) === true;
  const allPicked = jobs.length > 0 && jobs.every((job) => picked(job.id));
  const header = (label: string, key: string) => <SortHeader label={label} sortKey={key} sort={state} onSort={(k) => onSort(nextSort(state, k))} />;
  return (
    <Table.ScrollContainer minWidth={1100}>
      <Table striped highlightOnHover verticalSpacing={6} fz="sm" stickyHeader>
        <Table.Caption>Times are in your time zone ({LOCAL_TIME_ZONE}).</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            {selection && (
              <Table.Th w={36}>
                <Checkbox
                  size="xs"
                  checked={allPicked}
                  indeterminate={!allPicked && jobs.some((job) => picked(job.id))}
                  onChange={(e) =>
                    selection.setPage(
                      jobs.map((job) => job.id),
                      e.currentTarget.checked,
                    )
                  }
                  aria-label="Select every job shown"
                  data-testid="select-page"
                />
              </Table.Th>
            )}
            {header('Id', 'id')}
            {header('Workflow', 'workflow')}
            {header('Creator', 'creator')}
            {header('Created', 'createdAt')}
            {header('Started', 'startedAt')}
            {header('Ended', 'endedAt')}
            {header('Last update', 'updatedAt')}
            {header('State', 'state')}
            <Table.Th ta="right">Tasks queued</Table.Th>
            <Table.Th ta="right">Succeeded</Table.Th>
            <Table.Th ta="right" title="Tasks completed with errors, failed or aborted">
              Failed
            </Table.Th>
            <Table.Th>Progress</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {jobs.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={selection ? 13 : 12}>
                <Text c="dimmed" ta="center" py="md">
                  No jobs match this view.
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : (
            jobs.map((job) => (
              <JobRow key={job.id} job={job} selected={picked(job.id)} onSelect={selection ? (on) => selection.toggle(job.id, on) : undefined} />
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
