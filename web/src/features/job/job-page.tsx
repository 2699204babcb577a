import { Alert, Anchor, Button, Center, Grid, Group, Loader, Stack, Tabs, Text, Title } from '@mantine/core';
import { useLocalStorage } from '@mantine/hooks';
import { Link, useParams, useSearchParams } from 'react-router';
import { useJob } from '../../api/job-queries.js';
import type { Job } from '../../api/types.js';
import { LoadFailure } from '../../components/ui/load-failure.js';
import type { ItemOutcome } from '../../domain.js';
import { JobAuditButton } from '../audit/job-audit-button.js';
import { StateBadge } from '../states/state-badge.js';
import { ChangesTab } from './changes-tab.js';
import { CompareTab } from './compare-tab.js';
import { ItemsTab } from './items-tab.js';
import { JobControls } from './job-controls.js';
import { JobReasonBanner } from './job-reason-banner.js';
import { JobSideBar } from './job-side-bar.js';
import { JobProgress } from './job-stats.js';
import { SubscribeButton } from './subscribe-button.js';
import { TaskDrawer } from './task-drawer.js';
import { TasksTab } from './tasks-tab.js';

const ITEM_STATUSES = ['queued', 'failed', 'completed'];
const TABS = ['tasks', 'items', 'changes', 'compare'] as const;
type JobTab = (typeof TABS)[number];

/** The items tab a job opens on: failures first, then what was done, then what waits. */
function firstItemTab(job: Job | undefined): ItemOutcome {
  const counts: Partial<Record<ItemOutcome, number>> = job?.itemCounts ?? {};
  for (const outcome of ['failed', 'completed', 'queued'] as const) if ((counts[outcome] ?? 0) > 0) return outcome;
  return 'failed';
}

/**
 * One job. The open tab, item outcome and task drawer live in the URL, so a link can point at
 * a job's failed items or at one task's output.
 */
export function JobPage() {
  const rawId = useParams().id ?? '';
  const id = Number(rawId);
  const [params, setParams] = useSearchParams();
  const job = useJob(id);
  const [sideBar, setSideBar] = useLocalStorage({ key: 'switchyard.job-sidebar', defaultValue: true });
  const asTab = (value: string | null): JobTab => (TABS.includes(value as JobTab) ? (value as JobTab) : 'tasks');
  const tab = asTab(params.get('tab'));
  const asked = params.get('status');
  const status = (asked && ITEM_STATUSES.includes(asked) ? asked : firstItemTab(job.data)) as ItemOutcome;
  const taskParam = Number(params.get('task'));
  const openTask = Number.isSafeInteger(taskParam) && taskParam > 0 ? taskParam : null;
  const update = (changes: Record<string, string | null>) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) value === null ? next.delete(key) : next.set(key, value);
        return next;
      },
      { replace: true },
    );

  if (!Number.isSafeInteger(id) || id <= 0) {
    return (
      <Stack>
        <Title order={1}>Job not found</Title>
        <Alert color="gray" title="Not found">
          “{rawId}” is not a job id.
        </Alert>
        <Anchor component={Link} to="/">
          Back to the jobs list
        </Anchor>
      </Stack>
    );
  }
  if (job.isPending) {
    return (
      <Center h={200}>
        <Loader aria-label="Loading job" />
      </Center>
    );
  }
  if (job.isError) {
    return (
      <LoadFailure
        title={`Job ${id}`}
        error={job.error}
        missing={`There is no job ${id}, or it was deleted.`}
        back={{ to: '/', label: 'Back to the jobs list' }}
      />
    );
  }

  const data = job.data;
  const onOpenTask = (taskId: number) => update({ task: String(taskId) });
  return (
    <Stack gap="md">
      <Group justify="space-between" align="center">
        <Group gap="sm">
          <Title order={1} size="h2">
            Job {data.id}
            <Text span inherit c="dimmed" fw={500} title={data.workflow}>
              {' · '}
              {data.label}
            </Text>
          </Title>
          <StateBadge state={data.state} size="lg" />
        </Group>
        <Group gap="xs">
          <Button variant="light" size="sm" onClick={() => update({ tab: 'changes' })} aria-pressed={tab === 'changes'} data-testid="view-details">
            View details
          </Button>
          <JobControls job={data} />
          <SubscribeButton jobId={data.id} />
          <JobAuditButton jobId={data.id} />
          <Button variant="subtle" size="sm" onClick={() => setSideBar(!sideBar)} aria-expanded={sideBar} aria-controls="job-side-bar">
            {sideBar ? 'Hide side bar' : 'Show side bar'}
          </Button>
        </Group>
      </Group>
      <JobReasonBanner job={data} />
      <JobProgress job={data} />
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: sideBar ? 8 : 12 }} order={{ base: 2, lg: 1 }}>
          <Tabs value={tab} onChange={(v) => update({ tab: asTab(v) === 'tasks' ? null : asTab(v) })} keepMounted={false}>
            <Tabs.List mb="sm">
              <Tabs.Tab value="tasks">Tasks</Tabs.Tab>
              <Tabs.Tab value="items">Items</Tabs.Tab>
              <Tabs.Tab value="changes">Changes</Tabs.Tab>
              <Tabs.Tab value="compare">Compared with previous run</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="tasks">
              <TasksTab job={data} onOpenTask={onOpenTask} />
            </Tabs.Panel>
            <Tabs.Panel value="items">
              <ItemsTab job={data} status={status} onStatus={(s) => update({ status: s })} onOpenTask={onOpenTask} />
            </Tabs.Panel>
            <Tabs.Panel value="changes">
              <ChangesTab job={data} />
            </Tabs.Panel>
            <Tabs.Panel value="compare">
              <CompareTab job={data} />
            </Tabs.Panel>
          </Tabs>
        </Grid.Col>
        {sideBar ? (
          <Grid.Col span={{ base: 12, lg: 4 }} order={{ base: 1, lg: 2 }} id="job-side-bar">
            <JobSideBar job={data} />
          </Grid.Col>
        ) : null}
      </Grid>
      <TaskDrawer taskId={openTask} onClose={() => update({ task: null })} />
    </Stack>
  );
}
