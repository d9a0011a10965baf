// A button for a destructive or irreversible action: it asks first, in a dialog that names what will happen.
import { Button, type ButtonProps } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useState, type ReactNode } from "react";

import { ConfirmDialog } from "./ConfirmDialog";

interface Props extends Omit<ButtonProps, "onClick" | "children"> {
  /** The button's text (and its accessible name). */
  label: string;
  /** The dialog's title and the text of its confirming button. */
  title: string;
  confirmLabel: string;
  message: ReactNode;
  onConfirm: () => Promise<unknown> | void;
}

export function ConfirmButton({ label, title, confirmLabel, message, onConfirm, ...button }: Props) {
  const [opened, { open, close }] = useDisclosure(false);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      close();
    }
  };
  return (
    <>
      <Button color="red" variant="light" {...button} onClick={open}>{label}</Button>
      <ConfirmDialog opened={opened} onClose={close} title={title} message={message} confirmLabel={confirmLabel}
        onConfirm={() => void confirm()} busy={busy} />
    </>
  );
}
