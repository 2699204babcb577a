import { Anchor, Code, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { Job } from '../../api/types.js';
import { DateTime } from '../../components/ui/date-time.js';
import { PropertyList } from '../../components/ui/property-list.js';
import { StateBadge } from '../states/state-badge.js';
import { outcomeLabel } from '../states/state-styles.js';
import { humanize } from '../submit/schema-fields.js';

export function JobSummary({ job }: { job: Job }) {
  return (
    <PropertyList
      items={[
        { label: 'Workflow', value: <span title={job.workflow}>{job.label}</span> },
        {
          label: 'State',
          value: (
            <Group gap={6} component="span" wrap="wrap">
              <StateBadge state={job.state} testId="job-state" />
            </Group>
          ),
        },
        ...(job.waitReason
          ? [
              {
                label: 'Waiting',
                value: (
                  <Text span size="sm" data-testid="job-wait-reason" data-code={job.waitReason.code}>
                    {job.waitReason.jobId ? (
                      <>
                        {job.waitReason.message}{' '}
                        <Anchor component={Link} to={`/jobs/${job.waitReason.jobId}`}>
                          Open job {job.waitReason.jobId}
                        </Anchor>
                      </>
                    ) : (
                      job.waitReason.message
                    )}
                  </Text>
                ),
              },
            ]
          : []),
        { label: 'Outcome', value: outcomeLabel(job.outcome) },
        { label: 'Site', value: job.sites.length > 1 ? `${job.site} (also runs at ${job.sites.slice(1).join(', ')})` : job.site },
        { label: 'Queue', value: job.queue },
        { label: 'Creator', value: job.creator },
        { label: 'Created', value: <DateTime value={job.createdAt} /> },
        { label: 'Started', value: <DateTime value={job.startedAt} /> },
        { label: 'Ended', value: <DateTime value={job.endedAt} /> },
        { label: 'Last update', value: <DateTime value={job.updatedAt} /> },
        ...(job.parentJobId
          ? [
              {
                label: 'Made from',
                value: (
                  <Anchor component={Link} to={`/jobs/${job.parentJobId}`}>
                    Job {job.parentJobId}
                  </Anchor>
                ),
              },
            ]
          : []),
        ...(job.envelopeId
          ? [
              {
                label: job.rollback ? 'Rolls back envelope' : 'Envelope',
                value: (
                  <Anchor component={Link} to={`/envelopes/${job.envelopeId}`} data-testid="job-envelope">
                    Envelope {job.envelopeId}
                  </Anchor>
                ),
              },
            ]
          : []),
        ...(job.rollbackOf
          ? [
              {
                label: 'Rolls back',
                value: (
                  <Anchor component={Link} to={`/jobs/${job.rollbackOf}`}>
                    Job {job.rollbackOf}
                  </Anchor>
                ),
              },
            ]
          : []),
      ]}
    />
  );
}

/** The fields the job ran with, values as plain text (secret ones arrive already masked). */
export function JobFields({ job }: { job: Job }) {
  const entries = Object.entries(job.fields);
  if (entries.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No fields.
      </Text>
    );
  return (
    <PropertyList
      items={entries.map(([name, value]) => ({
        label: humanize(name),
        value: typeof value === 'string' ? value : <Code>{JSON.stringify(value)}</Code>,
      }))}
    />
  );
}
