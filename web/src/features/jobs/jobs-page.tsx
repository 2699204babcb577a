import { Badge, Button, Collapse, Group, Stack, Text, Title } from '@mantine/core';
import { useHotkeys, useLocalStorage } from '@mantine/hooks';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { totalText, useJobs, useJobTotal } from '../../api/job-queries.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { listStatus } from '../../components/ui/list-state.js';
import { LoadMore } from '../../components/ui/load-more.js';
import { BulkActionBar } from '../bulk/bulk-action-bar.js';
import { useSelection } from '../bulk/use-selection.js';
import { ColumnChooser, type Density } from './column-chooser.js';
import { ExportMenu } from './export-menu.js';
import { DEFAULT_COLUMNS } from './job-columns.js';
import { JobFilterForm } from './job-filter-form.js';
import { countFilters, toJobQuery } from './job-filters.js';
import { JobsTable } from './jobs-table.js';
import { SavedViews } from './saved-views.js';
import { SiteSelect } from './site-select.js';
import { useJobFilters } from './use-job-filters.js';

export function JobsPage() {
  const [filters, setFilters] = useJobFilters();
  const [params] = useSearchParams();
  const query = useMemo(() => toJobQuery(filters), [filters]);
  const jobs = useJobs(query);
  const total = useJobTotal(query);
  const rows = useMemo(() => jobs.data?.pages.flatMap((p) => p.items) ?? [], [jobs.data]);
  // Folded by default: on a phone the first job row must be near the top, not under eight inputs.
  const [panelOpen, setPanelOpen] = useLocalStorage({ key: 'switchyard.filters-open', defaultValue: false });
  const applied = countFilters(filters);
  const [columns, setColumns] = useLocalStorage({ key: 'switchyard.jobs-columns', defaultValue: DEFAULT_COLUMNS });
  const [density, setDensity] = useLocalStorage<Density>({ key: 'switchyard.jobs-density', defaultValue: 'comfortable' });
  // Running jobs' durations tick with the list's own refreshes, plus once a second while any runs.
  const [now, setNow] = useState(() => Date.now());
  const anyRunning = rows.some((job) => job.startedAt && !job.endedAt);
  useEffect(() => {
    if (!anyRunning) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [anyRunning]);
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
    [
      '/',
      () => {
        setPanelOpen(true);
        // The panel unfolds first; its search input exists once it has rendered.
        requestAnimationFrame(() => document.getElementById('job-search')?.focus());
      },
      { preventDefault: true },
    ],
  ]);

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end" gap="xs">
        <Group align="flex-end" gap="sm">
          <Title order={1} size="h2">
            Jobs
          </Title>
          <SiteSelect site={filters.site} onChange={(site) => setFilters({ ...filters, site })} />
          {total.data ? (
            <Text size="sm" c="dimmed" pb={6} data-testid="jobs-total" data-exact={total.data.exact} aria-live="polite">
              {totalText(total.data)}
            </Text>
          ) : null}
        </Group>
        <Group gap="xs">
          <Button
            variant={panelOpen ? 'light' : 'default'}
            leftSection={<Icon name="filter" />}
            rightSection={
              <Badge tt="none" size="sm" variant={applied > 0 ? 'filled' : 'outline'} data-testid="filter-count">
                {applied} applied
              </Badge>
            }
            onClick={() => setPanelOpen(!panelOpen)}
            aria-expanded={panelOpen}
            aria-controls="job-filter-panel"
          >
            Filters
          </Button>
          <SavedViews />
          <ColumnChooser columns={columns} onColumns={setColumns} density={density} onDensity={setDensity} />
          <ExportMenu query={query} />
          <Button variant="default" leftSection={<Icon name="refresh" />} onClick={refresh} loading={jobs.isRefetching && !jobs.isFetchingNextPage}>
            Refresh
          </Button>
        </Group>
      </Group>
      <Collapse expanded={panelOpen}>
        <JobFilterForm key={params.toString()} filters={filters} onApply={setFilters} />
      </Collapse>
      <ErrorAlert error={jobs.error} title="Could not load jobs" onRetry={refresh} />
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
          status={listStatus(jobs, rows.length)}
          onRetry={refresh}
          sort={filters.sort}
          onSort={(sort) => setFilters({ ...filters, sort })}
          columns={columns}
          density={density}
          now={now}
          selection={{ selected: bulk.selection.ids, all: bulk.selection.allMatching, toggle: bulk.toggle, setPage: bulk.setPage }}
        />
      </div>
      <LoadMore
        hasMore={jobs.hasNextPage}
        loading={jobs.isFetchingNextPage}
        onLoad={() => void jobs.fetchNextPage()}
        shown={rows.length}
        settled={jobs.isSuccess}
      />
    </Stack>
  );
}
