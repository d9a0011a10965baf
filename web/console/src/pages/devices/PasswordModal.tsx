// A device's new password, shown once: the server keeps only its hash, so it cannot be shown again.
import { ActionIcon, Alert, Button, Code, CopyButton, Group, Modal, Stack, Text, Tooltip } from "@mantine/core";
import { IconCheck, IconCopy } from "@tabler/icons-react";

export interface Issued {
  deviceId: string;
  subject: string;
  password: string;
}

export function PasswordModal({ issued, onClose }: { issued: Issued | null; onClose: () => void }) {
  return (
    <Modal opened={issued !== null} onClose={onClose} title="The device's password" centered
      closeOnClickOutside={false}>
      {issued && (
        <Stack gap="sm">
          <Alert color="yellow" title="Shown only this once">
            Copy the password now and give it to the device. It is not stored in a readable form: once this dialog
            is closed, only a new password can be issued.
          </Alert>
          <Text size="sm">
            The device <strong style={{ wordBreak: "break-all" }}>{issued.deviceId}</strong> logs in over MQTT with
            its thing id as the username and acts as <Code>{issued.subject}</Code>.
          </Text>
          <Group gap="xs" wrap="nowrap">
            <Code block style={{ flex: 1, wordBreak: "break-all", whiteSpace: "pre-wrap" }} data-testid="device-password">
              {issued.password}
            </Code>
            <CopyButton value={issued.password} timeout={2000}>
              {({ copied, copy }) => (
                <Tooltip label={copied ? "Copied" : "Copy password"}>
                  <ActionIcon variant="default" size="lg" onClick={copy} aria-label="Copy password"
                    color={copied ? "teal" : undefined}>
                    {copied ? <IconCheck size={18} /> : <IconCopy size={18} />}
                  </ActionIcon>
                </Tooltip>
              )}
            </CopyButton>
          </Group>
          <Group justify="flex-end">
            <Button onClick={onClose}>I have saved it</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
