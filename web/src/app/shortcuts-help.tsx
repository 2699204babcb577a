import { ActionIcon, Button, Kbd, Modal, Table, Tooltip } from '@mantine/core';
import { useDisclosure, useHotkeys } from '@mantine/hooks';

const SHORTCUTS: [string, string][] = [
  ['?', 'Show these shortcuts'],
  ['J', 'Go to the jobs list'],
  ['Q', 'Go to the queues'],
  ['S', 'Go to the schedules'],
  ['N', 'New job (operators and admins)'],
  ['/', 'Search jobs'],
  ['R', 'Refresh the jobs list'],
];

/**
 * The keyboard shortcuts, listed, and opened with `?` anywhere outside an input. The button
 * is an icon in the header, or a labelled button in the phone drawer (`withLabel`). Only the
 * icon registers the key: the drawer's copy would open a second dialog.
 */
export function ShortcutsHelp({ withLabel = false }: { withLabel?: boolean }) {
  const [opened, { open, close }] = useDisclosure(false);
  // `?` is Shift+/ on most layouts; the browser reports the key as "?" with Shift held.
  useHotkeys(
    withLabel
      ? []
      : [
          ['shift+?', open],
          ['?', open],
        ],
  );
  return (
    <>
      {withLabel ? (
        <Button variant="default" size="sm" onClick={open} justify="flex-start">
          Keyboard shortcuts
        </Button>
      ) : (
        <Tooltip label="Keyboard shortcuts (?)">
          <ActionIcon variant="default" size="lg" aria-label="Keyboard shortcuts" onClick={open}>
            <span aria-hidden="true">?</span>
          </ActionIcon>
        </Tooltip>
      )}
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
