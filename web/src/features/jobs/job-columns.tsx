import { Anchor, Group, Progress, Text, Tooltip } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Job } from '../../api/types.js';
import { DateTime } from '../../components/ui/date-time.js';
import { formatDuration } from '../../components/ui/duration.js';
import { StateBadge } from '../states/state-badge.js';
import { outcomeLabel, progressColor, stateStyle } from '../states/state-styles.js';
import { taskTallies } from './task-tallies.js';

/** One column of the jobs list: its header, the API sort key if it sorts, and its cell. */
export interface JobColumn {
  key: string;
  label: string;
  sortKey?: string;
  align?: 'right';
  title?: string;
  /** Columns that cannot be hidden: without them a row says nothing. */
  fixed?: boolean;
  cell: (job: Job, now: number) => ReactNode;
}

/** A job's run time: start to end, or to now while it runs; nothing before it starts. */
export function jobDurationMs(job: Job, now: number): number | null {
  if (!job.startedAt) return null;
  return (job.endedAt ? Date.parse(job.endedAt) : now) - Date.parse(job.startedAt);
}

function StateCell({ job }: { job: Job }) {
  if (!job.waitReason) return <StateBadge state={job.state} />;
  return (
    <Tooltip label={job.waitReason.message} multiline w={280} withArrow>
      <span data-testid="job-wait-reason" data-code={job.waitReason.code} title={job.waitReason.message}>
        <StateBadge state={job.state} />
      </span>
    </Tooltip>
  );
}

/**
 * Every column the jobs list can show, in order. State comes right after the id: on a narrow
 * screen it is the column that must be seen without scrolling sideways.
 */
export const JOB_COLUMNS: JobColumn[] = [
  {
    key: 'id',
    label: 'Id',
    sortKey: 'id',
    fixed: true,
    cell: (job) => (
      <Anchor component={Link} to={`/jobs/${job.id}`} fw={600}>
        {job.id}
      </Anchor>
    ),
  },
  { key: 'state', label: 'State', sortKey: 'state', fixed: true, cell: (job) => <StateCell job={job} /> },
  {
    key: 'workflow',
    label: 'Workflow',
    sortKey: 'workflow',
    cell: (job) => (
      <Text size="sm" title={job.workflow}>
        {job.label}
      </Text>
    ),
  },
  { key: 'site', label: 'Site', sortKey: 'site', cell: (job) => <span className="swy-long-name">{job.site}</span> },
  { key: 'queue', label: 'Queue', sortKey: 'queue', cell: (job) => <span className="swy-long-name">{job.queue}</span> },
  { key: 'outcome', label: 'Outcome', title: 'Whether a finished job changed anything', cell: (job) => outcomeLabel(job.outcome) },
  { key: 'creator', label: 'Creator', sortKey: 'creator', cell: (job) => job.creator },
  { key: 'createdAt', label: 'Created', sortKey: 'createdAt', cell: (job) => <DateTime value={job.createdAt} /> },
  { key: 'startedAt', label: 'Started', sortKey: 'startedAt', cell: (job) => <DateTime value={job.startedAt} /> },
  { key: 'endedAt', label: 'Ended', sortKey: 'endedAt', cell: (job) => <DateTime value={job.endedAt} /> },
  {
    key: 'duration',
    label: 'Duration',
    align: 'right',
    cell: (job, now) => {
      const ms = jobDurationMs(job, now);
      return ms === null ? '—' : <span data-testid="job-duration">{formatDuration(ms)}</span>;
    },
  },
  { key: 'updatedAt', label: 'Last update', sortKey: 'updatedAt', cell: (job) => <DateTime value={job.updatedAt} /> },
  { key: 'queued', label: 'Tasks queued', align: 'right', cell: (job) => taskTallies(job).queued },
  { key: 'succeeded', label: 'Succeeded', align: 'right', cell: (job) => taskTallies(job).succeeded },
  { key: 'failed', label: 'Failed', align: 'right', title: 'Tasks completed with errors, failed or aborted', cell: (job) => taskTallies(job).failed },
  {
    key: 'progress',
    label: 'Progress',
    cell: (job) => (
      <Group gap={6} wrap="nowrap" miw={100}>
        <Progress value={job.progress.percent} color={progressColor(job.state)} size="sm" w={60} aria-hidden="true" />
        <Text size="xs" title={stateStyle(job.state).label}>
          {job.progress.percent}%
        </Text>
      </Group>
    ),
  },
];

/** Shown until the user chooses: the columns an operator reads first. */
export const DEFAULT_COLUMNS = ['id', 'state', 'workflow', 'site', 'queue', 'outcome', 'creator', 'createdAt', 'duration', 'succeeded', 'failed', 'progress'];
