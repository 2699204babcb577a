import { Checkbox, Table, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import type { Job } from '../../api/types.js';
import { LOCAL_TIME_ZONE } from '../../components/ui/date-time.js';
import { ListState, type ListStatus } from '../../components/ui/list-state.js';
import { SortHeader, type SortState } from '../../components/ui/sort-header.js';
import type { Density } from './column-chooser.js';
import { JOB_COLUMNS } from './job-columns.js';
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

/** The jobs list in the chosen columns and density. */
export function JobsTable({
  jobs,
  status,
  onRetry,
  sort,
  onSort,
  columns: shown,
  density,
  now,
  selection,
}: {
  jobs: Job[];
  /** Null when there are rows to show. */
  status: ListStatus | null;
  onRetry: () => void;
  sort: string | null;
  onSort: (sort: string) => void;
  columns: string[];
  density: Density;
  /** The instant running jobs' durations count to. */
  now: number;
  /** Row checkboxes for bulk actions (absent: none). */
  selection?: RowSelection;
}) {
  const state = parseSort(sort);
  const columns = JOB_COLUMNS.filter((c) => c.fixed || shown.includes(c.key));
  const picked = (id: number) => selection?.all === true || selection?.selected.has(id) === true;
  const allPicked = jobs.length > 0 && jobs.every((job) => picked(job.id));
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set());
  const toggle = (id: number) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <Table.ScrollContainer minWidth={Math.max(480, columns.length * 95)}>
      <Table striped highlightOnHover verticalSpacing={density === 'compact' ? 2 : 8} fz="sm" stickyHeader data-density={density}>
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
            <Table.Th w={36} px={4}>
              <VisuallyHidden>Statistics</VisuallyHidden>
            </Table.Th>
            {columns.map((column) =>
              column.sortKey ? (
                <SortHeader key={column.key} label={column.label} sortKey={column.sortKey} sort={state} onSort={(k) => onSort(nextSort(state, k))} />
              ) : (
                <Table.Th key={column.key} ta={column.align} title={column.title}>
                  {column.label}
                </Table.Th>
              ),
            )}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {status ? (
            <Table.Tr>
              <Table.Td colSpan={columns.length + (selection ? 2 : 1)}>
                <ListState status={status} empty="No jobs match this view." onRetry={onRetry} />
              </Table.Td>
            </Table.Tr>
          ) : (
            jobs.map((job) => (
              <JobRow
                key={job.id}
                job={job}
                columns={columns}
                now={now}
                expanded={expanded.has(job.id)}
                onToggle={() => toggle(job.id)}
                selected={picked(job.id)}
                onSelect={selection ? (on) => selection.toggle(job.id, on) : undefined}
              />
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
