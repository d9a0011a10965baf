// The connection's log: failures always, successes while logging is enabled (for a day, as Ditto), newest first.
import { Badge, Button, Group, Stack, Table, Text } from "@mantine/core";
import { useState } from "react";

import { useClient } from "../../app/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import type { PanelProps } from "./ConnectionPage";
import { REFRESH_MS, sendCommand, useReport, type ConnectionLogs } from "./api";
import { RefreshControls } from "./RefreshControls";

export default function LogsPanel({ id }: PanelProps) {
  const client = useClient();
  const [auto, setAuto] = useState(false);
  const report = useReport<ConnectionLogs>(id, "logs", auto ? REFRESH_MS : null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const command = async (name: "enableLogs" | "resetLogs") => {
    setBusy(name);
    try {
      await sendCommand(client, id, name);
      setError(null);
      report.reload();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  };

  const data = report.data;
  const entries = data ? [...data.connectionLogs].sort((a, b) => b.timestamp.localeCompare(a.timestamp)) : [];
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <RefreshControls {...report} auto={auto} onAuto={setAuto} />
        <Group gap="xs">
          <Button variant="default" size="xs" loading={busy === "enableLogs"}
            onClick={() => void command("enableLogs")}>Enable logs</Button>
          <Button variant="default" size="xs" loading={busy === "resetLogs"}
            onClick={() => void command("resetLogs")}>Reset logs</Button>
        </Group>
      </Group>
      <ErrorAlert error={report.error ?? error} />
      {data && (
        <Text size="sm" c="dimmed" data-testid="logs-enabled">
          {data.enabledSince
            ? `Successes are logged from ${data.enabledSince} until ${data.enabledUntil ?? "—"}.`
            : "Only failures are logged; enable logs to see successes too."}
        </Text>
      )}
      {data && entries.length === 0 && <Text c="dimmed">No log entries.</Text>}
      {entries.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table striped aria-label="Connection logs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Level</Table.Th>
                <Table.Th>Category</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Address / entity</Table.Th>
                <Table.Th>Message</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.map((entry, index) => (
                <Table.Tr key={`${entry.timestamp}-${index}`}>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>{entry.timestamp}</Table.Td>
                  <Table.Td>
                    <Badge color={entry.level === "success" ? "green" : "red"} variant="light">{entry.level}</Badge>
                  </Table.Td>
                  <Table.Td>{entry.category}</Table.Td>
                  <Table.Td>{entry.type}</Table.Td>
                  <Table.Td style={{ wordBreak: "break-all" }}>{entry.address ?? entry.entityId ?? ""}</Table.Td>
                  <Table.Td style={{ wordBreak: "break-word" }}>{entry.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {!data && report.loading && <Text c="dimmed">Loading…</Text>}
    </Stack>
  );
}
