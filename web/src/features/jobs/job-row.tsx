import { Table } from '@mantine/core';
import type { Job } from '../../api/types.js';
import type { JobColumn } from './job-columns.js';

/** One job as a row of the chosen columns. */
export function JobRow({ job, columns, now }: { job: Job; columns: JobColumn[]; now: number }) {
  return (
    <Table.Tr data-testid="job-row" data-job-id={job.id}>
      {columns.map((column) => (
        <Table.Td key={column.key} ta={column.align} data-column={column.key}>
          {column.cell(job, now)}
        </Table.Td>
      ))}
    </Table.Tr>
  );
}
