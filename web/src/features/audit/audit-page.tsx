import { Autocomplete, Button, Group, Paper, Select, SimpleGrid, Stack, TextInput, Title } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import dayjs from 'dayjs';
import { type FormEvent, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { type AuditQuery, useAudit } from '../../api/audit-queries.js';
import { useSites } from '../../api/catalog-queries.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { listStatus } from '../../components/ui/list-state.js';
import { LoadMore } from '../../components/ui/load-more.js';
import { RoleOnly } from '../admin/admin-only.js';
import { AuditTable } from './audit-table.js';

/** Action prefixes worth offering; the API matches a prefix, so `job.` is every job action. */
const ACTIONS = ['job.', 'job.submit', 'job.cancel', 'job.retry', 'job.delete', 'queue.', 'user.', 'token.', 'schedule.', 'subscription.', 'login'];
const FILTERS = ['actor', 'action', 'target', 'site', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

const readFilters = (params: URLSearchParams): Filters => Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? ''])) as Filters;

/** Days (YYYY-MM-DD, the browser's time zone) become the instants the API takes: a whole day each. */
function toQuery(filters: Filters): AuditQuery {
  return {
    actor: filters.actor || undefined,
    action: filters.action || undefined,
    target: filters.target || undefined,
    site: filters.site || undefined,
    from: filters.from ? dayjs(filters.from).startOf('day').toISOString() : undefined,
    to: filters.to ? dayjs(filters.to).endOf('day').toISOString() : undefined,
  };
}

/** Who did what, newest first, filtered by actor, action, target, site and day; the filters live in the URL. */
export function AuditPage() {
  return (
    <RoleOnly title="Audit" needs="operator">
      <AuditLog />
    </RoleOnly>
  );
}

function AuditLog() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params), [params]);
  const [draft, setDraft] = useState(filters);
  const query = useMemo(() => toQuery(filters), [filters]);
  const audit = useAudit(query);
  const sites = useSites();
  const rows = audit.data?.pages.flatMap((p) => p.items) ?? [];
  const set = (key: keyof Filters, value: string | null) => setDraft((d) => ({ ...d, [key]: value ?? '' }));
  const apply = (next: Filters) => setParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v)));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply(draft);
  };
  const reset = () => {
    const empty = Object.fromEntries(FILTERS.map((k) => [k, ''])) as Filters;
    setDraft(empty);
    apply(empty);
  };

  return (
    <Stack gap="sm">
      <Title order={1} size="h2">
        Audit
      </Title>
      <Paper withBorder p="sm" component="form" onSubmit={submit} role="search" aria-label="Audit filters">
        <SimpleGrid cols={{ base: 1, sm: 2, md: 5 }} spacing="sm" verticalSpacing="xs" style={{ alignItems: 'end' }}>
          <TextInput label="Actor" placeholder="e.g. admin or token:3" value={draft.actor} onChange={(e) => set('actor', e.currentTarget.value)} />
          <Autocomplete label="Action" placeholder="e.g. job.cancel" data={ACTIONS} value={draft.action} onChange={(v) => set('action', v)} />
          <TextInput label="Target" placeholder="e.g. job:12 or user:vera" value={draft.target} onChange={(e) => set('target', e.currentTarget.value)} />
          <Select
            label="Site"
            placeholder="Any site"
            data={(sites.data ?? []).map((s) => s.name)}
            value={draft.site || null}
            onChange={(v) => set('site', v)}
            clearable
          />
          <DatePickerInput
            type="range"
            label="Between"
            description="Empty: any day"
            value={[draft.from || null, draft.to || null]}
            onChange={([from, to]) => setDraft((d) => ({ ...d, from: from ?? '', to: to ?? '' }))}
            clearable
            allowSingleDateInRange
          />
        </SimpleGrid>
        <Group justify="flex-end" gap="xs" mt="sm">
          <Button variant="default" size="xs" onClick={reset}>
            Reset
          </Button>
          <Button type="submit" size="xs">
            Apply
          </Button>
        </Group>
      </Paper>
      <ErrorAlert error={audit.error} title="Could not load the audit" onRetry={() => void audit.refetch()} />
      <div aria-busy={audit.isFetching}>
        <AuditTable entries={rows} status={listStatus(audit, rows.length)} onRetry={() => void audit.refetch()} />
      </div>
      <LoadMore
        hasMore={audit.hasNextPage}
        loading={audit.isFetchingNextPage}
        onLoad={() => void audit.fetchNextPage()}
        shown={rows.length}
        settled={audit.isSuccess}
      />
    </Stack>
  );
}
