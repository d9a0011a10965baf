// The one confirmation dialog before a destructive or irreversible action: it names what will happen, Cancel has
// the focus (Enter or Escape does nothing harmful), and the confirming button says what it does.
import { Button, Group, Modal, Stack, Text } from "@mantine/core";
import type { ReactNode } from "react";

export interface ConfirmDialogProps {
  opened: boolean;
  onClose: () => void;
  /** The dialog's title (its accessible name), a question: "Delete this connection?". */
  title: string;
  message: ReactNode;
  /** The confirming button's text: the action itself ("Delete connection"), not "OK". */
  confirmLabel: string;
  onConfirm: () => void;
  busy?: boolean;
}

export function ConfirmDialog({ opened, onClose, title, message, confirmLabel, onConfirm, busy = false }: ConfirmDialogProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <Stack gap="md">
        <Text size="sm" style={{ overflowWrap: "anywhere" }}>{message}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} data-autofocus>Cancel</Button>
          <Button color="red" loading={busy} onClick={onConfirm}>{confirmLabel}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
