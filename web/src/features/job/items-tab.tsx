import { Stack, Tabs, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import type { Job } from '../../api/types.js';
import type { ItemOutcome } from '../../domain.js';
import { ItemHistoryModal } from './item-history-modal.js';
import { ItemStatsTable } from './item-stats.js';
import { ItemsTable } from './items-table.js';

const TABS: { value: ItemOutcome; label: string }[] = [
  { value: 'queued', label: 'Queued' },
  { value: 'failed', label: 'Failed' },
  { value: 'completed', label: 'Completed' },
];

/** Items by outcome, with a path filter within the tab; a path opens its history. */
export function ItemsTab({
  job,
  status,
  onStatus,
  onOpenTask,
}: {
  job: Job;
  status: ItemOutcome;
  onStatus: (s: ItemOutcome) => void;
  onOpenTask: (id: number) => void;
}) {
  const [path, setPath] = useState('');
  const [debounced] = useDebouncedValue(path.trim(), 300);
  const [historyOf, setHistoryOf] = useState<string | null>(null);
  return (
    <Stack gap="sm">
      <ItemStatsTable job={job} />
      <Tabs value={status} onChange={(v) => v && onStatus(v as ItemOutcome)} variant="pills">
        <Tabs.List aria-label="Items by outcome">
          {TABS.map((tab) => (
            <Tabs.Tab key={tab.value} value={tab.value}>
              {tab.label} ({job.itemCounts[tab.value] ?? 0})
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <TextInput label="Path contains" placeholder="Filter by path" value={path} onChange={(e) => setPath(e.currentTarget.value)} w={360} />
      <ItemsTable jobId={job.id} status={status} path={debounced} onOpenPath={setHistoryOf} onOpenTask={onOpenTask} />
      <ItemHistoryModal
        jobId={job.id}
        path={historyOf}
        onClose={() => setHistoryOf(null)}
        onOpenTask={(id) => {
          setHistoryOf(null);
          onOpenTask(id);
        }}
      />
    </Stack>
  );
}
