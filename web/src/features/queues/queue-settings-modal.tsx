import { Alert, Button, Checkbox, Group, Modal, NumberInput, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type FormEvent, useState } from 'react';
import { isApiError } from '../../api/api-error.js';
import { useUpdateQueue } from '../../api/queue-queries.js';
import type { Queue } from '../../api/types.js';

/** A queue's concurrency (empty for no limit) and whether a failed job pauses it. */
export function QueueSettingsModal({ queue, onClose }: { queue: Queue | null; onClose: () => void }) {
  return (
    <Modal opened={queue !== null} onClose={onClose} title={queue ? `Settings of queue ${queue.name}` : ''}>
      {queue ? <SettingsForm key={queue.name} queue={queue} onDone={onClose} /> : null}
    </Modal>
  );
}

function SettingsForm({ queue, onDone }: { queue: Queue; onDone: () => void }) {
  const [concurrency, setConcurrency] = useState<number | string>(queue.concurrency ?? '');
  const [pauseOnFailure, setPauseOnFailure] = useState(queue.pauseOnFailure);
  const update = useUpdateQueue();
  const problem = isApiError(update.error) ? update.error.fields.find((f) => f.path.endsWith('concurrency'))?.message : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate(
      { name: queue.name, settings: { concurrency: typeof concurrency === 'number' ? concurrency : null, pauseOnFailure } },
      {
        onSuccess: () => {
          notifications.show({ title: `Queue ${queue.name}`, message: 'Settings saved.' });
          onDone();
        },
      },
    );
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <NumberInput
          label="Concurrency"
          description="Most jobs of this queue running at once; 1 runs them strictly one after another; empty for no limit"
          min={1}
          max={100_000}
          allowDecimal={false}
          allowNegative={false}
          clampBehavior="none"
          value={concurrency}
          onChange={setConcurrency}
          error={problem}
          data-autofocus
        />
        <Checkbox
          label="Pause on failure"
          description="A failed job pauses the queue, so the next ones wait until someone looks"
          checked={pauseOnFailure}
          onChange={(e) => setPauseOnFailure(e.currentTarget.checked)}
        />
        {update.isError && !problem ? (
          <Alert color="red" role="alert" title="The settings were not saved">
            {update.error.message}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" loading={update.isPending}>
            Save
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
