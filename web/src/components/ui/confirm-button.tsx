import { Button, type ButtonProps, Group, type MantineColor, Modal, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';

export interface ConfirmDialogProps {
  opened: boolean;
  onClose: () => void;
  /** Title of the dialog, e.g. "Cancel job 12?" */
  title: string;
  message: ReactNode;
  confirmLabel: string;
  color?: MantineColor;
  onConfirm: () => unknown;
}

/**
 * The question before an action. It opens with "Keep it" focused: Enter (or Escape) leaves
 * things as they are; confirming takes a deliberate click or Tab then Enter.
 */
export function ConfirmDialog({ opened, onClose, title, message, confirmLabel, color, onConfirm }: ConfirmDialogProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <Text size="sm">{message}</Text>
      <Group justify="flex-end" mt="lg">
        <Button variant="default" onClick={onClose} data-autofocus>
          Keep it
        </Button>
        <Button
          color={color}
          onClick={() => {
            onClose();
            onConfirm();
          }}
        >
          {confirmLabel}
        </Button>
      </Group>
    </Modal>
  );
}

export interface ConfirmButtonProps extends Omit<ButtonProps, 'children'> {
  children: ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => unknown;
}

/** A button whose action runs only after the user confirms it in a dialog (ConfirmDialog). */
export function ConfirmButton({ children, title, message, confirmLabel, onConfirm, color, ...button }: ConfirmButtonProps) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button color={color} {...button} onClick={open}>
        {children}
      </Button>
      <ConfirmDialog opened={opened} onClose={close} title={title} message={message} confirmLabel={confirmLabel} color={color} onConfirm={onConfirm} />
    </>
  );
}
