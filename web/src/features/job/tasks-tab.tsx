import { Anchor, Group, MultiSelect, Stack, Table, Text } from '@mantine/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTasks } from '../../api/task-queries.js';
import type { Job } from '../../api/types.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { LoadMore } from '../../components/ui/load-more.js';
import { isTerminalJobState, TASK_STATES } from '../../domain.js';
import { StateBadge } from '../states/state-badge.js';
import { stateStyle } from '../states/state-styles.js';

const STATE_OPTIONS = TASK_STATES.map((state) => ({ value: state, label: stateStyle(state).label }));

/** Every task of the job, filtered by state and by the task types present in it. */
export function TasksTab({ job, onOpenTask }: { job: Job; onOpenTask: (id: number) => void }) {
  const [states, setStates] = useState<string[]>([]);
  const [types, setTypes] = useState<string[]>([]);
  const filter = useMemo(() => ({ state: states.length ? states : undefined, type: types.length ? types : undefined }), [states, types]);
  const tasks = useTasks(job.id, filter, !isTerminalJobState(job.state));
  // The rows follow the job's badge: when the job moves (a cancel lands, a task ends), its tasks
  // are read again at once rather than at the next poll, so "Cancelling" never outlives the job's.
  const { refetch } = tasks;
  const jobMark = `${job.state}|${job.updatedAt}|${JSON.stringify(job.taskCounts)}`;
  const seen = useRef(jobMark);
  useEffect(() => {
    if (seen.current === jobMark) return;
    seen.current = jobMark;
    void refetch();
  }, [jobMark, refetch]);
  const rows = tasks.data?.pages.flatMap((p) => p.items) ?? [];
  const presentTypes = tasks.data?.pages[0]?.types ?? [];

  return (
    <Stack gap="sm">
      <Group>
        <MultiSelect
          label="Task state"
          placeholder={states.length ? undefined : 'Any state'}
          data={STATE_OPTIONS}
          value={states}
          onChange={setStates}
          clearable
          w={260}
        />
        <MultiSelect
          label="Task type"
          placeholder={types.length ? undefined : 'Any type'}
          data={[...new Set([...presentTypes, ...types])]}
          value={types}
          onChange={setTypes}
          clearable
          w={260}
        />
      </Group>
      <ErrorAlert error={tasks.error} title="Could not load tasks" onRetry={() => void tasks.refetch()} />
      <Table.ScrollContainer minWidth={900}>
        <Table striped highlightOnHover fz="sm" verticalSpacing={6} aria-label="Tasks">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Id</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Attempts</Table.Th>
              <Table.Th>Worker</Table.Th>
              <Table.Th>Site</Table.Th>
              <Table.Th>Started</Table.Th>
              <Table.Th>Ended</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((task) => (
              <Table.Tr key={task.id} data-testid="task-row">
                <Table.Td>
                  <Anchor component="button" type="button" onClick={() => onOpenTask(task.id)} aria-label={`Open task ${task.id}`} fw={600}>
                    {task.id}
                  </Anchor>
                </Table.Td>
                <Table.Td>{task.type}</Table.Td>
                <Table.Td>
                  <StateBadge state={task.state} />
                </Table.Td>
                <Table.Td>
                  {task.attempts} / {task.maxAttempts}
                </Table.Td>
                <Table.Td>{task.workerId ?? '—'}</Table.Td>
                <Table.Td>{task.site}</Table.Td>
                <Table.Td>
                  <DateTime value={task.startedAt} />
                </Table.Td>
                <Table.Td>
                  <DateTime value={task.endedAt} />
                </Table.Td>
                <Table.Td>
                  {task.reason || task.error ? (
                    <Text size="sm" lineClamp={2}>
                      {task.reason ?? task.error?.message}
                    </Text>
                  ) : task.waitReason ? (
                    <Text size="sm" c="dimmed" lineClamp={2} data-testid="task-wait-reason" data-code={task.waitReason.code}>
                      {task.waitReason.message}
                    </Text>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <LoadMore
        hasMore={tasks.hasNextPage}
        loading={tasks.isFetchingNextPage}
        onLoad={() => void tasks.fetchNextPage()}
        shown={rows.length}
        settled={tasks.isSuccess}
      />
    </Stack>
  );
}
