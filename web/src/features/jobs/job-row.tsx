import { ActionIcon, Box, Checkbox, Table } from '@mantine/core';
import type { Job } from '../../api/types.js';
import { Icon } from '../../components/ui/icon.js';
import { JobStats } from '../job/job-stats.js';
import type { JobColumn } from './job-columns.js';

/**
 * One job as a row of the chosen columns; its first cell unfolds the job's task and item
 * statistics in a row beneath, without leaving the list.
 */
export function JobRow({
  job,
  columns,
  now,
  expanded,
  onToggle,
  selected,
  onSelect,
  index,
  rowRef,
}: {
  job: Job;
  columns: JobColumn[];
  now: number;
  expanded: boolean;
  onToggle: () => void;
  /** The row's checkbox for bulk actions (no `onSelect`: no checkbox column). */
  selected?: boolean;
  onSelect?: (on: boolean) => void;
  /** Position in the list and a ref for the list's windowing (it measures the row and its details). */
  index?: number;
  rowRef?: (row: HTMLTableRowElement | null) => void;
}) {
  return (
    <>
      <Table.Tr data-testid="job-row" data-job-id={job.id} data-index={index} ref={rowRef}>
        {onSelect ? (
          <Table.Td w={36}>
            <Checkbox size="xs" checked={selected === true} onChange={(e) => onSelect(e.currentTarget.checked)} aria-label={`Select job ${job.id}`} />
          </Table.Td>
        ) : null}
        <Table.Td w={36} px={4}>
          <ActionIcon
            variant="subtle"
            color="gray"
            size="sm"
            onClick={onToggle}
            aria-expanded={expanded}
            aria-controls={`job-${job.id}-details`}
            aria-label={`${expanded ? 'Hide' : 'Show'} the statistics of job ${job.id}`}
          >
            <Icon name={expanded ? 'arrowUp' : 'arrowDown'} size={14} />
          </ActionIcon>
        </Table.Td>
        {columns.map((column) => (
          <Table.Td key={column.key} ta={column.align} data-column={column.key}>
            {column.cell(job, now)}
          </Table.Td>
        ))}
      </Table.Tr>
      {expanded ? (
        <Table.Tr data-testid="job-row-details" id={`job-${job.id}-details`}>
          <Table.Td colSpan={columns.length + (onSelect ? 2 : 1)}>
            <Box maw={720} py={4}>
              <JobStats job={job} />
            </Box>
          </Table.Td>
        </Table.Tr>
      ) : null}
    </>
  );
}
