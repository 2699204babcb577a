import { Button, Group, MultiSelect, Paper, Select, SimpleGrid, Switch, TagsInput, TextInput } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { type FormEvent, useState } from 'react';
import { useWorkflows } from '../../api/catalog-queries.js';
import { useQueues } from '../../api/queue-queries.js';
import { JOB_STATES } from '../../domain.js';
import { stateStyle } from '../states/state-styles.js';
import { AGE_PRESETS, type AgePreset, EMPTY_FILTERS, type JobFilters, MAX_SEARCH, notIds } from './job-filters.js';

const STATE_OPTIONS = JOB_STATES.map((state) => ({ value: state, label: stateStyle(state).label }));
const AGE_OPTIONS = Object.entries(AGE_PRESETS).map(([value, label]) => ({ value, label }));

/** Names known to the hub plus any already in the view, so a shared link's values stay visible. */
const options = (known: string[] | undefined, chosen: string[]) => [...new Set([...(known ?? []), ...chosen])];

/**
 * The filter panel (folded behind the Filters button of the jobs page). The filters, edited as a draft and applied together (Apply or Enter). The parent keys this
 * form by the URL, so the draft starts again from whatever the URL says.
 */
export function JobFilterForm({ filters, onApply }: { filters: JobFilters; onApply: (next: JobFilters) => void }) {
  const [draft, setDraft] = useState(filters);
  const workflows = useWorkflows();
  const queues = useQueues();
  const set = <K extends keyof JobFilters>(key: K, value: JobFilters[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply({ ...draft, site: filters.site, sort: filters.sort });
  };

  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-label="Job filters" role="search" id="job-filter-panel">
      <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="sm" verticalSpacing="xs">
        <TextInput
          label="Search"
          id="job-search"
          placeholder="Any column or field"
          value={draft.q}
          onChange={(e) => set('q', e.currentTarget.value)}
          maxLength={MAX_SEARCH}
        />
        <TextInput
          label="Job id"
          placeholder="e.g. 12, 15"
          value={draft.ids}
          onChange={(e) => set('ids', e.currentTarget.value)}
          inputMode="numeric"
          error={notIds(draft.ids).length > 0 ? `Not a job id: ${notIds(draft.ids).join(', ')}` : undefined}
        />
        <MultiSelect
          label="State"
          placeholder={draft.states.length ? undefined : 'Any state'}
          data={STATE_OPTIONS}
          value={draft.states}
          onChange={(v) => set('states', v)}
          clearable
          searchable
        />
        <MultiSelect
          label="Workflow"
          placeholder={draft.workflows.length ? undefined : 'Any workflow'}
          data={options(
            workflows.data?.map((w) => w.name),
            draft.workflows,
          )}
          value={draft.workflows}
          onChange={(v) => set('workflows', v)}
          clearable
          searchable
        />
        <TagsInput
          label="Creator"
          placeholder={draft.creators.length ? undefined : 'Any creator; Enter to add'}
          value={draft.creators}
          onChange={(v) => set('creators', v)}
          clearable
        />
        <MultiSelect
          label="Queue"
          placeholder={draft.queues.length ? undefined : 'Any queue'}
          data={options(
            queues.data?.map((q) => q.name),
            draft.queues,
          )}
          value={draft.queues}
          onChange={(v) => set('queues', v)}
          clearable
          searchable
        />
        <DatePickerInput
          type="range"
          label="Created between"
          placeholder="Any day"
          value={[draft.from, draft.to]}
          onChange={([from, to]) => setDraft((d) => ({ ...d, from, to, age: null }))}
          clearable
          allowSingleDateInRange
        />
        <Select
          label="Created within"
          placeholder="Any time"
          data={AGE_OPTIONS}
          value={draft.age}
          onChange={(v) => setDraft((d) => ({ ...d, age: v as AgePreset | null, from: v ? null : d.from, to: v ? null : d.to }))}
          clearable
        />
      </SimpleGrid>
      <Group justify="space-between" mt="sm" gap="xs">
        <Switch label="Hide no-op jobs (nothing to do)" checked={draft.hideNoop} onChange={(e) => set('hideNoop', e.currentTarget.checked)} />
        <Group gap="xs">
          <Button variant="default" size="xs" onClick={() => onApply({ ...EMPTY_FILTERS, site: filters.site })}>
            Reset
          </Button>
          <Button type="submit" size="xs">
            Apply
          </Button>
        </Group>
      </Group>
    </Paper>
  );
}
