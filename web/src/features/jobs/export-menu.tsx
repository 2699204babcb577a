import { Button, Menu } from '@mantine/core';
import { apiUrl } from '../../api/http.js';
import type { JobListQuery } from '../../api/job-queries.js';
import { Icon } from '../../components/ui/icon.js';

const FORMATS = [
  { format: 'csv', label: 'CSV (spreadsheets)' },
  { format: 'xlsx', label: 'Excel workbook (XLSX)' },
  { format: 'json', label: 'JSON' },
  { format: 'ndjson', label: 'NDJSON (one job a line)' },
];

/** Downloads the list as filtered and ordered now; the hub streams it, however long it is. */
export function ExportMenu({ query }: { query: JobListQuery }) {
  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <Button variant="default" leftSection={<Icon name="download" />}>
          Export
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>The filtered list as</Menu.Label>
        {FORMATS.map(({ format, label }) => (
          <Menu.Item key={format} component="a" href={apiUrl('/jobs/export', { ...query, format })} download>
            {label}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
