import { Code, Drawer, Loader, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useTask } from '../../api/task-queries.js';
import type { Task } from '../../api/types.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { PropertyList } from '../../components/ui/property-list.js';
import { isTerminalTaskState } from '../../domain.js';
import { StateBadge } from '../states/state-badge.js';
import { TaskOutputPanel } from './task-output-panel.js';

function TaskDetails({ task }: { task: Task }) {
  return (
    <PropertyList
      items={[
        { label: 'Type', value: task.type },
        { label: 'State', value: <StateBadge state={task.state} testId="task-state" /> },
        { label: 'Attempts', value: `${task.attempts} of ${task.maxAttempts}` },
        { label: 'Worker', value: task.workerId ?? '—' },
        { label: 'Site', value: task.site },
        { label: 'Progress', value: `${task.progress.done} of ${task.progress.total}` },
        { label: 'Started', value: <DateTime value={task.startedAt} /> },
        { label: 'Ended', value: <DateTime value={task.endedAt} /> },
        { label: 'Reason', value: task.reason ?? '—' },
        ...(task.error ? [{ label: 'Error', value: task.error.message }] : []),
        ...(task.dependsOn.length ? [{ label: 'Runs after tasks', value: task.dependsOn.join(', ') }] : []),
      ]}
    />
  );
}

const FULL_SCREEN = {
  content: { display: 'flex', flexDirection: 'column' as const, height: '100dvh', maxHeight: '100dvh' },
  body: { flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column' as const, paddingBottom: 'var(--mantine-spacing-sm)' },
};

/** One task: its details, input and result, and its whole output. */
export function TaskDrawer({ taskId, onClose }: { taskId: number | null; onClose: () => void }) {
  const task = useTask(taskId);
  const [fullScreen, setFullScreen] = useState(false);
  return (
    <Drawer
      opened={taskId !== null}
      onClose={onClose}
      position="right"
      size={fullScreen ? '100%' : 'xl'}
      title={<Text fw={700}>Task {taskId}</Text>}
      closeButtonProps={{ 'aria-label': 'Close task' }}
      // Full screen: the output alone, filling the whole window below the title.
      styles={fullScreen ? FULL_SCREEN : undefined}
      data-full-screen={fullScreen || undefined}
    >
      {task.isPending && taskId !== null ? <Loader size="sm" aria-label="Loading task" /> : null}
      <ErrorAlert error={task.error} title="Could not load the task" />
      {task.data ? (
        <Stack gap="md" style={fullScreen ? { flex: 1, minHeight: 0 } : undefined}>
          {fullScreen ? null : <TaskDetails task={task.data} />}
          {fullScreen ? null : (
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                Input
              </Text>
              <Code block>{JSON.stringify(task.data.input, null, 2)}</Code>
            </div>
          )}
          {task.data.result !== null && !fullScreen ? (
            <div>
              <Text size="xs" c="dimmed" fw={600}>
                Result
              </Text>
              <Code block>{JSON.stringify(task.data.result, null, 2)}</Code>
            </div>
          ) : null}
          <TaskOutputPanel
            key={task.data.id}
            taskId={task.data.id}
            running={!isTerminalTaskState(task.data.state)}
            fullScreen={fullScreen}
            onToggleFullScreen={() => setFullScreen((f) => !f)}
          />
        </Stack>
      ) : null}
    </Drawer>
  );
}
