import { Button, Group, Stack, Title } from '@mantine/core';
import { useHotkeys } from '@mantine/hooks';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useJobs } from '../../api/job-queries.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { LoadMore } from '../../components/ui/load-more.js';
import { BulkActionBar } from '../bulk/bulk-action-bar.js';
import { useSelection } from '../bulk/use-selection.js';
import { ExportMenu } from './export-menu.js';
import { JobFilterForm } from './job-filter-form.js';
import { toJobQuery } from './job-filters.js';
import { JobsTable } from './jobs-table.js';
import { SavedViews } from './saved-views.js';
import { SiteSelect } from './site-select.js';
import { useJobFilters } from './use-job-filters.js';

export function JobsPage() {
  const [filters, setFilters] = useJobFilters();
  const [params] = useSearchParams();
  const query = useMemo(() => toJobQuery(filters), [filters]);
  const jobs = useJobs(query);
  const rows = useMemo(() => jobs.data?.pages.flatMap((p) => p.items) ?? [], [jobs.data]);
  const refresh = () => void jobs.refetch();
  const bulk = useSelection();
  const { clear } = bulk;
  // A new filter is a new selection: "all matching" must never carry over to other jobs.
  const queryKey = JSON.stringify(query);
  const [selectionKey, setSelectionKey] = useState(queryKey);
  if (selectionKey !== queryKey) {
    setSelectionKey(queryKey);
    clear();
  }
  const { id: _ids, sort: _sort, ...bulkFilter } = query;
  // With an id filter the rows shown are the whole selection: no "all matching" beyond them.
  const pageAllSelected = query.id === undefined && rows.length > 0 && (bulk.selection.allMatching || rows.every((job) => bulk.selection.ids.has(job.id)));
  useHotkeys([
    ['r', refresh],
    ['/', () => document.getElementById('job-search')?.focus(), { preventDefault: true }],
  ]);

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Group align="flex-end">
          <Title order={1} size="h2">
            Jobs
          </Title>
          <SiteSelect site={filters.site} onChange={(site) => setFilters({ ...filters, site })} />
        </Group>
        <Group gap="xs">
          <SavedViews />
          <ExportMenu query={query} />
          <Button variant="default" leftSection={<Icon name="refresh" />} onClick={refresh} loading={jobs.isRefetching && !jobs.isFetchingNextPage}>
            Refresh
          </Button>
        </Group>
      </Group>
      <JobFilterForm key={params.toString()} filters={filters} onApply={setFilters} />
      <ErrorAlert error={jobs.error} title="Could not load jobs" />
      <BulkActionBar
        selection={bulk.selection}
        pageAllSelected={pageAllSelected}
        filter={bulkFilter}
        onSelectAllMatching={bulk.selectAllMatching}
        onClear={bulk.clear}
      />
      <div aria-busy={jobs.isFetching} data-testid="jobs-list">
        <JobsTable
          jobs={rows}
          sort={filters.sort}
          onSort={(sort) => setFilters({ ...filters, sort })}
          selection={{ selected: bulk.selection.ids, all: bulk.selection.allMatching, toggle: bulk.toggle, setPage: bulk.setPage }}
        />
      </div>
      <LoadMore hasMore={jobs.hasNextPage} loading={jobs.isFetchingNextPage} onLoad={() => void jobs.fetchNextPage()} shown={rows.length} />
    </Stack>
  );
}
