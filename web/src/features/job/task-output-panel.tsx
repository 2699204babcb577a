import { ActionIcon, Button, Group, Stack, Switch, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMemo, useState } from 'react';
import { useTaskOutput } from '../../api/task-output-query.js';
import { fetchTaskOutputText, taskOutputDownloadUrl } from '../../api/task-output-text.js';
import { copyText } from '../../components/ui/clipboard.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { LineViewer } from '../../components/ui/line-viewer.js';

interface Props {
  taskId: number;
  running: boolean;
  fullScreen: boolean;
  onToggleFullScreen: () => void;
}

/** A task's full output: pages load as the reader scrolls, and new lines follow while it runs. */
export function TaskOutputPanel({ taskId, running, fullScreen, onToggleFullScreen }: Props) {
  const [follow, setFollow] = useState(running);
  // Once the task has ended, one more poll learns that the output is complete.
  const output = useTaskOutput(taskId, { poll: follow || !running, catchUp: follow && running });
  const lines = useMemo(() => output.lines.map((l) => ({ n: l.seq, text: l.line })), [output.lines]);
  const [copying, setCopying] = useState(false);

  const copy = async () => {
    setCopying(true);
    try {
      await copyText(await fetchTaskOutputText(taskId));
      notifications.show({ title: 'Copied', message: `The output of task ${taskId} is on the clipboard.` });
    } catch (error) {
      notifications.show({ color: 'red', title: 'Could not copy', message: (error as Error).message });
    } finally {
      setCopying(false);
    }
  };

  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Text size="sm" fw={600}>
          Output{' '}
          <Text span size="xs" c="dimmed" fw={400}>
            {lines.length} lines{output.finished ? '' : ' so far'}
          </Text>
        </Text>
        <Group gap="xs">
          {running ? <Switch size="sm" label="Follow" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> : null}
          <Button size="compact-sm" variant="default" leftSection={<Icon name="copy" size={14} />} onClick={() => void copy()} loading={copying}>
            Copy
          </Button>
          <Button
            size="compact-sm"
            variant="default"
            component="a"
            href={taskOutputDownloadUrl(taskId)}
            download={`task-${taskId}-output.txt`}
            leftSection={<Icon name="download" size={14} />}
          >
            Download
          </Button>
          <Tooltip label={fullScreen ? 'Exit full screen' : 'Full screen'}>
            <ActionIcon variant="default" onClick={onToggleFullScreen} aria-label={fullScreen ? 'Exit full screen' : 'Full screen'} aria-pressed={fullScreen}>
              <Icon name={fullScreen ? 'collapse' : 'expand'} size={14} />
            </ActionIcon>
          </Tooltip>
        </Group>
      </Group>
      <ErrorAlert error={output.error} title="Could not load the output" />
      {!output.isPending && lines.length === 0 ? (
        <Text size="sm" c="dimmed">
          {output.finished ? 'This task wrote no output.' : 'No output yet.'}
        </Text>
      ) : (
        <LineViewer
          label={`Output of task ${taskId}`}
          lines={lines}
          height={fullScreen ? 'calc(100vh - 260px)' : 420}
          follow={follow && running}
          onNearEnd={output.hasMoreLoaded && !output.isLoadingMore ? output.loadMore : undefined}
        />
      )}
    </Stack>
  );
}
