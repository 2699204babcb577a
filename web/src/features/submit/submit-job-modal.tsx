import { Loader, Modal, Select, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useWorkflows } from '../../api/catalog-queries.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { SubmitJobForm } from './submit-job-form.js';

/** Choose a workflow, then fill in the form its fields schema describes. */
export function SubmitJobModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const workflows = useWorkflows();
  const [name, setName] = useState<string | null>(null);
  const workflow = workflows.data?.find((w) => w.name === name) ?? null;
  return (
    <Modal opened={opened} onClose={onClose} title="New job" size="lg">
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
        {workflow ? <SubmitJobForm key={workflow.name} workflow={workflow} onDone={onClose} /> : null}
      </Stack>
    </Modal>
  );
}
