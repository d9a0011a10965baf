// The connection as stored (credentials in its URI included: only admins see this page), edited as JSON,
// tested as a dry run, and saved with PUT (the runtime follows the change: it reconnects as needed).
import { Alert, Button, Group, Stack } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useEffect, useState } from "react";

import { useClient } from "../../app/session";
import { AdminErrorAlert } from "../../components/AdminErrorAlert";
import { JsonEditor } from "../../components/JsonEditor";
import type { PanelProps } from "./ConnectionPage";
import { connectionPath } from "./api";
import { useConnectionSender } from "./useConnectionSender";

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

export default function ConfigurationPanel({ id, connection, etag, onChanged }: PanelProps) {
  const client = useClient();
  const [text, setText] = useState(() => pretty(connection));
  const sender = useConnectionSender(async (value) => {
    // If-Match: a change saved since this page read the connection answers 412 instead of being lost.
    await client.request("PUT", connectionPath(id), { body: value, headers: etag ? { "If-Match": etag } : undefined });
    notifications.show({ color: "green", message: "Connection saved" });
    onChanged();
  });

  useEffect(() => setText(pretty(connection)), [connection]);

  const edited = text !== pretty(connection);
  return (
    <Stack gap="md">
      <JsonEditor label="Connection JSON" value={text} onChange={setText} error={sender.problem} minHeight={320} />
      <AdminErrorAlert error={sender.error} what="connections" />
      {sender.tested && <Alert color="green" title="Test passed" role="status">{sender.tested}</Alert>}
      <Group gap="xs">
        <Button loading={sender.busy === "save"} disabled={sender.busy !== null || !edited}
          onClick={() => void sender.send(text, false)}>Save</Button>
        <Button variant="default" loading={sender.busy === "test"} disabled={sender.busy !== null}
          onClick={() => void sender.send(text, true)}>Test connection</Button>
        <Button variant="subtle" disabled={!edited} onClick={() => setText(pretty(connection))}>Discard changes</Button>
      </Group>
    </Stack>
  );
}
