import { ActionIcon, Kbd, Modal, Table, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';

const SHORTCUTS: [string, string][] = [
  ['J', 'Go to the jobs list'],
  ['Q', 'Go to the queues'],
  ['S', 'Go to the schedules'],
  ['N', 'New job (operators and admins)'],
  ['/', 'Search jobs'],
  ['R', 'Refresh the jobs list'],
];

/** The keyboard shortcuts, listed; they are ignored while typing in an input. */
export function ShortcutsHelp() {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Tooltip label="Keyboard shortcuts">
        <ActionIcon variant="default" size="lg" aria-label="Keyboard shortcuts" onClick={open}>
          <span aria-hidden="true">?</span>
        </ActionIcon>
      </Tooltip>
      <Modal opened={opened} onClose={close} title="Keyboard shortcuts">
        <Table>
          <Table.Tbody>
            {SHORTCUTS.map(([key, action]) => (
              <Table.Tr key={key}>
                <Table.Td>
                  <Kbd>{key}</Kbd>
                </Table.Td>
                <Table.Td>{action}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Modal>
    </>
  );
}
