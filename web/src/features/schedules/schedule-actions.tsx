import { Button, Group, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useNavigate } from 'react-router';
import { useDeleteSchedule, useRunSchedule, useSetScheduleEnabled } from '../../api/schedule-queries.js';
import type { Schedule } from '../../api/types.js';
import { ConfirmButton } from '../../components/ui/confirm-button.js';
import { notifySubmitted } from '../submit/submitted-job-notice.js';
import { ScheduleModal } from './schedule-modal.js';

/**
 * Run now, edit, enable or disable, delete. A schedule declared in code is edited and deleted
 * only there: those two are shown disabled with the reason. Viewers see no actions.
 */
export function ScheduleActions({ schedule, allowed, afterDelete }: { schedule: Schedule; allowed: boolean; afterDelete?: string }) {
  const run = useRunSchedule();
  const toggle = useSetScheduleEnabled();
  const remove = useDeleteSchedule();
  const navigate = useNavigate();
  const [editing, { open, close }] = useDisclosure(false);
  if (!allowed) return null;
  const failed = (title: string) => (error: Error) => notifications.show({ color: 'red', title, message: error.message });

  const runNow = () =>
    run.mutate(
      { id: schedule.id },
      {
        onSuccess: (result) => {
          if (result.job) notifySubmitted(result.job.id, `Schedule ${schedule.name}: job ${result.job.id} submitted`);
          else notifications.show({ title: `Schedule ${schedule.name}`, message: `Not run (${result.outcome})${result.reason ? `: ${result.reason}` : ''}` });
        },
        onError: failed('Run now failed'),
      },
    );
  const codeOwned = (label: string, button: React.ReactNode) =>
    schedule.codeOwned ? (
      <Tooltip label="Declared in code: change it there" key={label}>
        <span>
          <Button size="xs" variant="light" disabled>
            {label}
          </Button>
        </span>
      </Tooltip>
    ) : (
      button
    );

  return (
    <Group gap="xs" wrap="nowrap" role="group" aria-label={`Actions for schedule ${schedule.name}`}>
      <Button size="xs" variant="light" onClick={runNow} loading={run.isPending}>
        Run now
      </Button>
      {codeOwned(
        'Edit',
        <Button size="xs" variant="light" color="gray" onClick={open}>
          Edit
        </Button>,
      )}
      <Button
        size="xs"
        variant="light"
        color={schedule.enabled ? 'yellow' : 'green'}
        loading={toggle.isPending}
        onClick={() =>
          toggle.mutate({ id: schedule.id, enabled: !schedule.enabled }, { onError: failed(schedule.enabled ? 'Disable failed' : 'Enable failed') })
        }
      >
        {schedule.enabled ? 'Disable' : 'Enable'}
      </Button>
      {codeOwned(
        'Delete',
        <ConfirmButton
          size="xs"
          variant="light"
          color="red"
          loading={remove.isPending}
          title={`Delete schedule ${schedule.name}?`}
          message="The schedule stops and is removed. The jobs it ran stay."
          confirmLabel="Delete schedule"
          onConfirm={() =>
            remove.mutate(schedule.id, {
              onSuccess: () => {
                notifications.show({ title: 'Schedule deleted', message: schedule.name });
                if (afterDelete) navigate(afterDelete);
              },
              onError: failed('Delete failed'),
            })
          }
        >
          Delete
        </ConfirmButton>,
      )}
      {editing ? <ScheduleModal opened onClose={close} schedule={schedule} /> : null}
    </Group>
  );
}
