import { Anchor, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import dayjs from 'dayjs';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import type { JobState } from '../../domain.js';
import { SiteSelect } from '../jobs/site-select.js';
import { type DashboardBucket, type DashboardWindow, useDashboard, WINDOWS } from './dashboard-queries.js';
import { formatDuration, percent } from './format-duration.js';
import { useReadableColors } from './readable-colors.js';
import { StateChart } from './state-chart.js';

function Stat({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId: string }) {
  const { muted } = useReadableColors();
  return (
    <Paper withBorder p="md" radius="md" data-testid={testId}>
      <Text size="xs" tt="uppercase" fw={700} c={muted}>
        {label}
      </Text>
      <Text fz={28} fw={700} lh={1.2}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c={muted}>
          {hint}
        </Text>
      )}
    </Paper>
  );
}

/**
 * The dashboard (R30): one site or Global, over a window — jobs by state over time, what
 * ended (throughput), failure and error rates, durations per workflow, queue depth and the
 * oldest waiting job, workers online. A chart segment opens the jobs list with its filter.
 */
export function DashboardPage() {
  const [params, setParams] = useSearchParams();
  const site = params.get('site') || null;
  const window = (params.get('window') ?? '24h') in WINDOWS ? ((params.get('window') ?? '24h') as DashboardWindow) : '24h';
  const board = useDashboard(site, window);
  const navigate = useNavigate();
  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };
  /** The jobs list for one segment: its state, at this site, created on the bucket's days. */
  const openJobs = (state: JobState, bucket: DashboardBucket, bucketMs: number) => {
    const query = new URLSearchParams({
      state,
      from: dayjs(bucket.at).format('YYYY-MM-DD'),
      to: dayjs(bucket.at)
        .add(bucketMs - 1, 'ms')
        .format('YYYY-MM-DD'),
    });
    if (site) query.set('site', site);
    navigate(`/?${query}`);
  };
  const data = board.data;
  const { muted, link } = useReadableColors();
  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Group align="flex-end">
          <Title order={1} size="h2">
            Dashboard
          </Title>
          <SiteSelect site={site} onChange={(s) => set('site', s)} />
        </Group>
        <SegmentedControl
          aria-label="Time window (last hours or days)"
          value={window}
          onChange={(value) => set('window', value)}
          data={Object.entries(WINDOWS).map(([value, w]) => ({ value, label: w.short }))}
        />
      </Group>
      <ErrorAlert error={board.error} title="Could not load the dashboard" />
      {!data && !board.error && <Text c={muted}>Loading the dashboard…</Text>}
      {data && (
        <>
          <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
            <Stat testId="stat-throughput" label="Throughput" value={`${data.throughputPerHour.toFixed(1)}/h`} hint={`${data.totals.ended} jobs ended`} />
            <Stat testId="stat-failure-rate" label="Failure rate" value={percent(data.failureRate)} hint={`${data.totals.failure} failed`} />
            <Stat testId="stat-error-rate" label="Error rate" value={percent(data.errorRate)} hint={`${data.totals.error} completed with errors`} />
            <Stat testId="stat-created" label="Jobs created" value={data.totals.created.toLocaleString()} />
            <Stat
              testId="stat-queued"
              label="Waiting"
              value={data.queues.reduce((s, q) => s + q.queued, 0).toLocaleString()}
              hint={`oldest ${formatDuration(Math.max(0, ...data.queues.map((q) => q.oldestWaitingMs ?? 0)) || null)}`}
            />
            <Stat testId="stat-workers" label="Workers online" value={`${data.workers.online} / ${data.workers.total}`} />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <StateChart
              testId="chart-created"
              title="Jobs by state"
              description="Jobs created in each interval, by the state they are in now. Click a segment to list them."
              buckets={data.created}
              bucketMs={data.bucketMs}
              onSegment={(state, bucket) => openJobs(state, bucket, data.bucketMs)}
            />
            <StateChart
              testId="chart-ended"
              title="Throughput"
              description="Jobs that ended in each interval, by how they ended."
              buckets={data.ended}
              bucketMs={data.bucketMs}
              onSegment={(state, bucket) => openJobs(state, bucket, data.bucketMs)}
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <Paper withBorder p="md" radius="md">
              <Title order={2} size="h4" mb="sm">
                Duration by workflow
              </Title>
              <Table data-testid="durations" fz="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Workflow</Table.Th>
                    <Table.Th ta="right">Jobs</Table.Th>
                    <Table.Th ta="right">p50</Table.Th>
                    <Table.Th ta="right">p95</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.durations.length === 0 && (
                    <Table.Tr>
                      <Table.Td colSpan={4}>
                        <Text c={muted} size="sm">
                          No job ran to its end in this window.
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  )}
                  {data.durations.map((d) => (
                    <Table.Tr key={d.workflow}>
                      <Table.Td>
                        <Anchor c={link} component={Link} to={`/?workflow=${encodeURIComponent(d.workflow)}${site ? `&site=${encodeURIComponent(site)}` : ''}`}>
                          {d.workflow}
                        </Anchor>
                      </Table.Td>
                      <Table.Td ta="right">{d.count.toLocaleString()}</Table.Td>
                      <Table.Td ta="right">{formatDuration(d.p50Ms)}</Table.Td>
                      <Table.Td ta="right">{formatDuration(d.p95Ms)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
            <Paper withBorder p="md" radius="md">
              <Title order={2} size="h4" mb="sm">
                Queues
              </Title>
              <Table data-testid="queue-depth" fz="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Queue</Table.Th>
                    <Table.Th ta="right">Waiting</Table.Th>
                    <Table.Th ta="right">Active</Table.Th>
                    <Table.Th ta="right">Oldest waiting</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.queues.map((q) => (
                    <Table.Tr key={q.name}>
                      <Table.Td>
                        <Anchor
                          c={link}
                          component={Link}
                          className="swy-long-name"
                          to={`/?queue=${encodeURIComponent(q.name)}&state=created,queued${site ? `&site=${encodeURIComponent(site)}` : ''}`}
                        >
                          {q.name}
                        </Anchor>
                      </Table.Td>
                      <Table.Td ta="right">{q.queued.toLocaleString()}</Table.Td>
                      <Table.Td ta="right">{q.active.toLocaleString()}</Table.Td>
                      <Table.Td ta="right">{formatDuration(q.oldestWaitingMs)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}
