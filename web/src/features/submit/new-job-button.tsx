import { Button } from '@mantine/core';
import { useDisclosure, useHotkeys } from '@mantine/hooks';
import { Icon } from '../../components/ui/icon.js';
import { useCan } from '../auth/current-user.js';
import { SubmitJobModal } from './submit-job-modal.js';

/** "New job" for operators and admins; press N anywhere outside an input. */
export function NewJobButton() {
  const allowed = useCan('operator');
  const [opened, { open, close }] = useDisclosure(false);
  useHotkeys(allowed ? [['n', open]] : []);
  if (!allowed) return null;
  return (
    <>
      <Button leftSection={<Icon name="plus" />} onClick={open} size="sm">
        New job
      </Button>
      <SubmitJobModal opened={opened} onClose={close} />
    </>
  );
}
