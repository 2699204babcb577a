import { Button, Group, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type QueueAction, useQueueAction } from '../../api/queue-queries.js';
import type { Queue } from '../../api/types.js';
import { ConfirmButton } from '../../components/ui/confirm-button.js';

const COPY: Record<QueueAction, { label: string; message: (q: string) => string; color: string }> = {
  pause: { label: 'Pause', color: 'yellow', message: (q) => `Jobs already running in "${q}" go on; no new job starts until the queue is resumed.` },
  resume: { label: 'Resume', color: 'indigo', message: (q) => `Queued jobs in "${q}" start again, up to its concurrency.` },
  clear: { label: 'Clear', color: 'red', message: (q) => `Every job of "${q}" that has not started is cancelled. Running jobs go on.` },
};

/**
 * Pause or resume processing and clear queued jobs, each confirmed; admins also open the
 * queue's settings. Viewers see the buttons
 * disabled, with the reason beside them rather than only in a tooltip.
 */
export function QueueActions({
  queue,
  allowed,
  allSites = true,
  onSettings,
}: {
  queue: Queue;
  allowed: boolean;
  /** Whether the user sees every site: pausing and resuming act at all of them (clearing only at the user's own). */
  allSites?: boolean;
  onSettings?: () => void;
}) {
  const action = useQueueAction();
  // Clear is offered only when there is something to clear.
  const actions: QueueAction[] = [queue.paused ? 'resume' : 'pause', ...(queue.queuedJobs > 0 ? (['clear'] as const) : [])];
  const run = (a: QueueAction) =>
    action.mutate(
      { name: queue.name, action: a },
      {
        onSuccess: (result) => {
          const cancelled = 'cancelled' in result ? `: ${result.cancelled} jobs cancelled` : '';
          notifications.show({ title: `Queue ${queue.name}`, message: `${COPY[a].label} done${cancelled}.` });
        },
        onError: (error) => notifications.show({ color: 'red', title: `${COPY[a].label} failed`, message: error.message }),
      },
    );
  return (
    <Group gap="xs" wrap="nowrap">
      {actions.map((a) =>
        allowed && (allSites || a === 'clear') ? (
          <ConfirmButton
            key={a}
            size="xs"
            variant="light"
            color={COPY[a].color}
            loading={action.isPending && action.variables?.action === a && action.variables.name === queue.name}
            title={`${COPY[a].label} queue ${queue.name}?`}
            message={COPY[a].message(queue.name)}
            confirmLabel={`${COPY[a].label} queue`}
            onConfirm={() => run(a)}
          >
            {COPY[a].label}
          </ConfirmButton>
        ) : (
          <Tooltip key={a} label={allowed ? 'A queue is shared by every site: only users who see all sites pause or resume it' : 'Needs the operator role'}>
            {/* A disabled button gets no pointer events; the wrapper carries the tooltip. */}
            <span>
              <Button size="xs" variant="light" disabled aria-describedby="queue-permission-note">
                {COPY[a].label}
              </Button>
            </span>
          </Tooltip>
        ),
      )}
      {onSettings ? (
        <Button size="xs" variant="default" onClick={onSettings} aria-label={`Settings of queue ${queue.name}`}>
          Settings
        </Button>
      ) : null}
    </Group>
  );
}
