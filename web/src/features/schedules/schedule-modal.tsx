import { Loader, Modal, Select, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useWorkflows } from '../../api/catalog-queries.js';
import type { Schedule } from '../../api/types.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { ScheduleForm } from './schedule-form.js';

/** Add a schedule (choose a workflow, then its form) or edit one (its workflow preselected). */
export function ScheduleModal({ opened, onClose, schedule }: { opened: boolean; onClose: () => void; schedule: Schedule | null }) {
  const workflows = useWorkflows();
  const [name, setName] = useState<string | null>(schedule?.workflow ?? null);
  const workflow = workflows.data?.find((w) => w.name === name) ?? null;
  return (
    <Modal opened={opened} onClose={onClose} title={schedule ? `Edit schedule ${schedule.name}` : 'New schedule'} size="lg">
      <Stack gap="sm">
        {workflows.isPending ? <Loader size="sm" aria-label="Loading workflows" /> : null}
        <ErrorAlert error={workflows.error} title="Could not load workflows" />
        <Select
          label="Workflow"
          placeholder="Choose a workflow"
          data={(workflows.data ?? []).map((w) => ({ value: w.name, label: w.label }))}
          value={name}
          onChange={setName}
          searchable
          data-autofocus
        />
        {workflow?.description ? (
          <Text size="sm" c="dimmed">
            {workflow.description}
          </Text>
        ) : null}
        {/* Keyed by workflow: a different workflow starts from its own defaults. */}
        {workflow ? (
          <ScheduleForm
            key={workflow.name}
            workflow={workflow}
            schedule={schedule}
            onDone={(saved) => {
              notifications.show({ title: schedule ? 'Schedule saved' : 'Schedule added', message: `${saved.name}: ${saved.description}` });
              onClose();
            }}
          />
        ) : null}
      </Stack>
    </Modal>
  );
}
