// One connection: its name and state on top with open, close and delete; below, a tab per view (status,
// configuration, metrics, logs), each at its own address (/connections/<id>/<tab>) and loaded when shown.
import { Badge, Button, Group, Stack, Tabs, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { useLocation } from "wouter";

import { useClient } from "../../app/session";
import { PageTitle } from "../../components/PageTitle";
import { AdminErrorAlert } from "../../components/AdminErrorAlert";
import { ConfirmButton } from "../../components/ConfirmButton";
import { connectionPath, sendCommand, type Connection } from "./api";

export interface PanelProps {
  id: string;
  connection: Connection;
  /** The connection's ETag as read, so a save does not overwrite a change made since. */
  etag: string | null;
  /** Changes whenever the connection was changed from this page, so a panel reads it again. */
  changed: number;
  onChanged: () => void;
}

const TABS = [
  { value: "status", label: "Status", panel: lazy(() => import("./StatusPanel")) },
  { value: "configuration", label: "Configuration", panel: lazy(() => import("./ConfigurationPanel")) },
  { value: "metrics", label: "Metrics", panel: lazy(() => import("./MetricsPanel")) },
  { value: "logs", label: "Logs", panel: lazy(() => import("./LogsPanel")) },
] as const;

export default function ConnectionPage({ id, tab }: { id: string; tab?: string }) {
  const client = useClient();
  const [, navigate] = useLocation();
  const [connection, setConnection] = useState<Connection | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [changed, setChanged] = useState(0);
  const [busy, setBusy] = useState<string | null>(null);
  const current = TABS.find((entry) => entry.value === tab) ?? TABS[0];

  useEffect(() => {
    const controller = new AbortController();
    client
      .request<Connection>("GET", connectionPath(id), { signal: controller.signal })
      .then((found) => {
        setConnection(found.body);
        setEtag(found.headers.get("ETag"));
        setError(null);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(caught);
      });
    return () => controller.abort();
  }, [client, id, changed]);

  const onChanged = useCallback(() => setChanged((count) => count + 1), []);

  const command = async (name: "open" | "close") => {
    setBusy(name);
    try {
      await sendCommand(client, id, name);
      notifications.show({ color: "green", message: name === "open" ? "Connection opened" : "Connection closed" });
      setError(null);
      onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    try {
      await client.request("DELETE", connectionPath(id));
      notifications.show({ color: "green", message: `Connection ${connection?.name ?? id} deleted` });
      navigate("/");
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap" align="flex-end">
        <PageTitle title={connection?.name ?? id} parent={{ href: "/", label: "Connections" }}>
          {connection && (
            <Group gap="xs" mt={4}>
              <Badge variant="outline">{connection.connectionType}</Badge>
              <Text size="sm" c="dimmed" data-testid="desired-status">desired: {connection.connectionStatus}</Text>
              {connection.name && <Text size="xs" c="dimmed" style={{ wordBreak: "break-all" }}>{id}</Text>}
            </Group>
          )}
        </PageTitle>
        {connection && (
          <Group gap="xs">
            <Button variant="light" loading={busy === "open"} disabled={busy !== null}
              onClick={() => void command("open")}>Open</Button>
            <Button variant="default" loading={busy === "close"} disabled={busy !== null}
              onClick={() => void command("close")}>Close</Button>
            <ConfirmButton label="Delete" title="Delete this connection?" confirmLabel="Delete connection"
              message={<>The connection <strong>{connection.name ?? id}</strong> is closed and removed for good.</>}
              onConfirm={remove} />
          </Group>
        )}
      </Group>
      <AdminErrorAlert error={error} what="connections" />
      {connection && (
        <Tabs value={current.value} keepMounted={false}
          onChange={(value) => navigate(`/${encodeURIComponent(id)}/${value ?? "status"}`)}>
          <Tabs.List style={{ overflowX: "auto", flexWrap: "nowrap" }}>
            {TABS.map((entry) => <Tabs.Tab key={entry.value} value={entry.value}>{entry.label}</Tabs.Tab>)}
          </Tabs.List>
          {TABS.map(({ value, panel: Panel }) => (
            <Tabs.Panel key={value} value={value} pt="md">
              {value === current.value && (
                <Suspense fallback={<Text c="dimmed">Loading…</Text>}>
                  <Panel id={id} connection={connection} etag={etag} changed={changed} onChanged={onChanged} />
                </Suspense>
              )}
            </Tabs.Panel>
          ))}
        </Tabs>
      )}
      {!connection && !error && <Text c="dimmed">Loading…</Text>}
    </Stack>
  );
}
