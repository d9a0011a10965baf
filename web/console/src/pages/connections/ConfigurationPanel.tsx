// The connection as stored (credentials in its URI included: only admins see this page), edited as JSON,
// tested as a dry run, and saved with PUT (the runtime follows the change: it reconnects as needed).
import { Alert, Button, Group, Stack } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useEffect, useState } from "react";

import { useClient } from "../../app/session";
import { AdminErrorAlert } from "../../components/AdminErrorAlert";
import { JsonEditor, checkJson } from "../../components/JsonEditor";
import type { PanelProps } from "./ConnectionPage";
import { CONNECTIONS, connectionPath, connectionProblem } from "./api";

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

export default function ConfigurationPanel({ id, connection, etag, onChanged }: PanelProps) {
  const client = useClient();
  const [text, setText] = useState(() => pretty(connection));
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tested, setTested] = useState<string | null>(null);
  const [busy, setBusy] = useState<"test" | "save" | null>(null);

  useEffect(() => setText(pretty(connection)), [connection]);

  const send = async (dryRun: boolean) => {
    const checked = checkJson(text, connectionProblem);
    setTested(null);
    setError(null);
    if (!checked.ok) {
      setProblem(checked.message);
      return;
    }
    setProblem(null);
    setBusy(dryRun ? "test" : "save");
    try {
      if (dryRun) {
        // A dry run takes any id (it tests under a temporary one), so the stored JSON tests as it is.
        const answer = await client.request<{ testResult?: string }>("POST", CONNECTIONS, {
          body: checked.value, query: { "dry-run": "true" },
        });
        setTested(answer.body?.testResult ?? "ok");
      } else {
        // If-Match: a change saved since this page read the connection answers 412 instead of being lost.
        await client.request("PUT", connectionPath(id), {
          body: checked.value, headers: etag ? { "If-Match": etag } : undefined,
        });
        notifications.show({ color: "green", message: "Connection saved" });
        onChanged();
      }
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  };

  const edited = text !== pretty(connection);
  return (
    <Stack gap="md">
      <JsonEditor label="Connection JSON" value={text} onChange={setText} error={problem} minHeight={320} />
      <AdminErrorAlert error={error} what="connections" />
      {tested && <Alert color="green" title="Test passed" role="status">{tested}</Alert>}
      <Group gap="xs">
        <Button loading={busy === "save"} disabled={busy !== null || !edited} onClick={() => void send(false)}>
          Save
        </Button>
        <Button variant="default" loading={busy === "test"} disabled={busy !== null}
          onClick={() => void send(true)}>Test connection</Button>
        <Button variant="subtle" disabled={!edited} onClick={() => setText(pretty(connection))}>Discard changes</Button>
      </Group>
    </Stack>
  );
}
