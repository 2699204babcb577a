import { ActionIcon, Button, Group, Loader, Stack, Switch, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useHref, useLocation, useNavigate } from 'react-router';
import { useTaskOutput } from '../../api/task-output-query.js';
import { useTaskOutputSearch } from '../../api/task-output-search.js';
import { fetchTaskOutputText, taskOutputDownloadUrl } from '../../api/task-output-text.js';
import { copyText } from '../../components/ui/clipboard.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { LineViewer } from '../../components/ui/line-viewer.js';

const CONTEXT_LINES = 100;

interface Props {
  taskId: number;
  running: boolean;
  fullScreen: boolean;
  onToggleFullScreen: () => void;
}

/** `#L120` in the address: line 120 of the open task's output. */
function linkedLine(hash: string): number | null {
  const match = /^#L(\d{1,10})$/.exec(hash);
  const n = match ? Number(match[1]) : 0;
  return n > 0 ? n : null;
}

/**
 * A task's full output: pages load as the reader scrolls, and new lines follow while it runs.
 * The hub searches it (next and previous match); each line number links to its line (`#L120`),
 * which opens scrolled to and highlighted; ANSI colours are drawn.
 */
export function TaskOutputPanel({ taskId, running, fullScreen, onToggleFullScreen }: Props) {
  const location = useLocation();
  const navigate = useNavigate();
  const target = linkedLine(location.hash);
  const [follow, setFollow] = useState(running && target === null);
  // Once the task has ended, one more poll learns that the output is complete.
  const output = useTaskOutput(taskId, { poll: follow || !running, catchUp: follow && running });
  const lines = useMemo(() => output.lines.map((l) => ({ n: l.seq, text: l.line })), [output.lines]);
  const [copying, setCopying] = useState(false);

  const [typed, setTyped] = useState('');
  const [needle] = useDebouncedValue(typed.slice(0, 200), 250);
  const search = useTaskOutputSearch(taskId, needle);
  const [current, setCurrent] = useState(-1);
  /** Going forward waits for the hub's next page of matches. */
  const [seeking, setSeeking] = useState(false);
  const [scrollTo, setScrollTo] = useState<{ n: number; id: number } | null>(null);
  const scrollId = useRef(0);
  const { loadThrough } = output;

  const show = useCallback(
    (n: number) => {
      setFollow(false);
      // A little past the line, so that it can sit in the middle of the view.
      loadThrough(n + CONTEXT_LINES);
      scrollId.current += 1;
      setScrollTo({ n, id: scrollId.current });
    },
    [loadThrough],
  );

  // A linked line: load through it and bring it into view.
  useEffect(() => {
    if (target !== null) show(target);
  }, [target, show]);

  // A new search starts at its first match.
  useEffect(() => {
    setCurrent(-1);
    setSeeking(needle.length > 0);
  }, [needle]);

  const { matches, hasMore, searching, more } = search;
  const searchFailed = search.error !== null;
  useEffect(() => {
    if (!seeking || searching) return;
    if (searchFailed) {
      setSeeking(false);
      return;
    }
    if (current + 1 < matches.length) {
      setSeeking(false);
      setCurrent(current + 1);
      show(matches[current + 1]);
    } else if (hasMore) more();
    else {
      setSeeking(false);
      if (matches.length > 0 && current >= 0) {
        setCurrent(0);
        show(matches[0]);
      }
    }
  }, [seeking, searching, searchFailed, current, matches, hasMore, more, show]);

  const next = () => {
    if (matches.length > 0 || hasMore) setSeeking(true);
  };
  const previous = () => {
    if (matches.length === 0) return;
    const i = current <= 0 ? matches.length - 1 : current - 1;
    setCurrent(i);
    show(matches[i]);
  };
  const onSearchKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    if (event.shiftKey) previous();
    else next();
  };

  const here = useHref({ pathname: location.pathname, search: location.search });
  const lineHref = useCallback((n: number) => `${here}#L${n}`, [here]);
  const linkLine = useCallback(
    (n: number) => navigate({ pathname: location.pathname, search: location.search, hash: `L${n}` }, { replace: true }),
    [navigate, location.pathname, location.search],
  );

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

  // Scroll once the lines around the asked one are loaded (or there are no more).
  const lastSeq = lines.length > 0 ? lines[lines.length - 1].n : 0;
  const scrollReady = scrollTo !== null && (lastSeq >= scrollTo.n + CONTEXT_LINES || !output.hasMoreLoaded);
  const currentLine = current >= 0 ? (matches[current] ?? null) : null;
  let matchText = '';
  if (needle) {
    if (matches.length === 0) matchText = searching || hasMore ? 'Searching…' : 'No matches';
    else matchText = `${current >= 0 ? current + 1 : 0} of ${matches.length}${hasMore ? '+' : ''}`;
  }

  return (
    <Stack gap="xs" style={fullScreen ? { flex: 1, minHeight: 0 } : undefined} data-testid="task-output">
      <Group justify="space-between" gap="xs">
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
      <Group gap="xs" wrap="nowrap" role="search" aria-label="Search the output">
        <TextInput
          size="xs"
          style={{ flex: 1, maxWidth: 360 }}
          placeholder="Search the output"
          aria-label="Search the output"
          value={typed}
          maxLength={200}
          onChange={(e) => setTyped(e.currentTarget.value)}
          onKeyDown={onSearchKey}
          rightSection={searching ? <Loader size={12} aria-label="Searching" /> : null}
        />
        <Text size="xs" c="dimmed" aria-live="polite" data-testid="output-match-count" miw="9ch">
          {matchText}
        </Text>
        <Tooltip label="Previous match (Shift+Enter)">
          <ActionIcon variant="default" aria-label="Previous match" onClick={previous} disabled={matches.length === 0}>
            <Icon name="arrowUp" size={14} />
          </ActionIcon>
        </Tooltip>
        <Tooltip label="Next match (Enter)">
          <ActionIcon variant="default" aria-label="Next match" onClick={next} disabled={matches.length === 0 && !hasMore}>
            <Icon name="arrowDown" size={14} />
          </ActionIcon>
        </Tooltip>
      </Group>
      <ErrorAlert error={output.error ?? search.error} title={output.error ? 'Could not load the output' : 'Could not search the output'} />
      {!output.isPending && lines.length === 0 ? (
        <Text size="sm" c="dimmed">
          {output.finished ? 'This task wrote no output.' : 'No output yet.'}
        </Text>
      ) : (
        <LineViewer
          label={`Output of task ${taskId}`}
          lines={lines}
          height={fullScreen ? undefined : 420}
          follow={follow && running}
          onNearEnd={output.hasMoreLoaded && !output.isLoadingMore ? output.loadMore : undefined}
          mark={needle || undefined}
          current={currentLine}
          target={target}
          scrollTo={scrollReady ? scrollTo : null}
          lineHref={lineHref}
          onLineLink={linkLine}
        />
      )}
    </Stack>
  );
}
