import { Checkbox, Table, VisuallyHidden } from '@mantine/core';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useState } from 'react';
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

/** Past this many rows, only the rows near the view are drawn (the page holds a few dozen rows, however many are loaded). */
export const WINDOWED_AFTER = 100;

/** A row's height with its details row beneath, when unfolded. */
function rowHeight(row: Element): number {
  const next = row.nextElementSibling;
  const details = next?.getAttribute('data-testid') === 'job-row-details' ? next.getBoundingClientRect().height : 0;
  return row.getBoundingClientRect().height + details;
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
  // Windowing: past WINDOWED_AFTER rows, spacer rows stand in for the rows out of view. The
  // page scrolls as before; the table's distance from the top is measured after each render.
  const windowed = status === null && jobs.length > WINDOWED_AFTER;
  const tableRef = useRef<HTMLTableElement>(null);
  const [top, setTop] = useState(0);
  useLayoutEffect(() => {
    if (!windowed) return;
    const at = tableRef.current ? tableRef.current.getBoundingClientRect().top + window.scrollY : 0;
    if (Math.abs(at - top) > 1) setTop(at);
  });
  const virtualizer = useWindowVirtualizer({
    count: windowed ? jobs.length : 0,
    estimateSize: () => (density === 'compact' ? 33 : 45),
    overscan: 12,
    scrollMargin: top,
    getItemKey: (i) => jobs[i]?.id ?? i,
    measureElement: rowHeight,
  });
  const items = windowed ? virtualizer.getVirtualItems() : [];
  const before = items.length > 0 ? items[0].start - top : 0;
  const after = items.length > 0 ? virtualizer.getTotalSize() - (items[items.length - 1].end - top) : 0;
  const span = columns.length + (selection ? 2 : 1);
  const row = (job: Job, index?: number) => (
    <JobRow
      key={job.id}
      job={job}
      columns={columns}
      now={now}
      expanded={expanded.has(job.id)}
      onToggle={() => toggle(job.id)}
      selected={picked(job.id)}
      onSelect={selection ? (on) => selection.toggle(job.id, on) : undefined}
      index={index}
      // A new function each render: the row is measured again when it unfolds or changes.
      rowRef={index === undefined ? undefined : (el) => el && virtualizer.measureElement(el)}
    />
  );
  return (
    <Table.ScrollContainer minWidth={Math.max(480, columns.length * 95)}>
      <Table
        ref={tableRef}
        striped
        highlightOnHover
        verticalSpacing={density === 'compact' ? 2 : 8}
        fz="sm"
        stickyHeader
        data-density={density}
        data-windowed={windowed || undefined}
      >
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
          ) : windowed ? (
            <>
              {before > 0 ? <Spacer height={before} span={span} /> : null}
              {/* Keeps the stripes on the same rows as they scroll (a spacer counts as a row). */}
              {before > 0 && items[0].index % 2 === 0 ? <Spacer height={0} span={span} /> : null}
              {items.map((item) => row(jobs[item.index], item.index))}
              {after > 0 ? <Spacer height={after} span={span} /> : null}
            </>
          ) : (
            jobs.map((job) => row(job))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Stands in for rows out of view; hidden from assistive technology. */
function Spacer({ height, span }: { height: number; span: number }) {
  return (
    // biome-ignore lint/a11y/noAriaHiddenOnFocusable: an empty spacer row; nothing in it can take focus.
    <tr aria-hidden="true" data-testid="rows-spacer" style={{ height }}>
      <td colSpan={span} style={{ padding: 0, border: 0 }} />
    </tr>
  );
}
