import { Button, type ButtonProps, Group, Modal, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';

export interface ConfirmButtonProps extends Omit<ButtonProps, 'children'> {
  children: ReactNode;
  /** Title of the dialog, e.g. "Cancel job 12?" */
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => unknown;
}

/**
 * A button whose action runs only after the user confirms it in a dialog. The dialog opens
 * with "Keep it" focused: Enter (or Escape) leaves things as they are; confirming takes a
 * deliberate click or Tab then Enter.
 */
export function ConfirmButton({ children, title, message, confirmLabel, onConfirm, color, ...button }: ConfirmButtonProps) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button color={color} {...button} onClick={open}>
        {children}
      </Button>
      <Modal opened={opened} onClose={close} title={title} centered>
        <Text size="sm">{message}</Text>
        <Group justify="flex-end" mt="lg">
          <Button variant="default" onClick={close} data-autofocus>
            Keep it
          </Button>
          <Button
            color={color}
            onClick={() => {
              close();
              onConfirm();
            }}
          >
            {confirmLabel}
          </Button>
        </Group>
      </Modal>
    </>
  );
}
