// The connection's message counts per direction and kind (consumed, mapped, published, ...), successes and
// failures over the last minute, hour and day, summed over every worker's clients.
import { Alert, Button, Group, Stack, Table, Text } from "@mantine/core";
import { useState } from "react";

import { useClient } from "../../app/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import type { PanelProps } from "./ConnectionPage";
import { REFRESH_MS, sendCommand, useReport, type ConnectionMetrics, type Counts } from "./api";
import { RefreshControls } from "./RefreshControls";

export default function MetricsPanel({ id }: PanelProps) {
  const client = useClient();
  const [auto, setAuto] = useState(false);
  const report = useReport<ConnectionMetrics>(id, "metrics", auto ? REFRESH_MS : null);
  const [error, setError] = useState<unknown>(null);

  const reset = async () => {
    try {
      await sendCommand(client, id, "resetMetrics");
      setError(null);
      report.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  const data = report.data;
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <RefreshControls {...report} auto={auto} onAuto={setAuto} />
        <Button variant="default" size="xs" onClick={() => void reset()}>Reset metrics</Button>
      </Group>
      <ErrorAlert error={report.error ?? error} />
      {data?.containsFailures && <Alert color="yellow" title="Failures">Some messages failed: see the logs.</Alert>}
      {data && <Direction title="Inbound" counts={data.connectionMetrics.inbound} />}
      {data && <Direction title="Outbound" counts={data.connectionMetrics.outbound} />}
      {!data && report.loading && <Text c="dimmed">Loading…</Text>}
    </Stack>
  );
}

function Direction({ title, counts }: { title: string; counts: Counts }) {
  return (
    <Stack gap={4}>
      <Text fw={500}>{title}</Text>
      <Table.ScrollContainer minWidth={640}>
        <Table striped aria-label={`${title} metrics`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Kind</Table.Th>
              <Table.Th>OK 1 min</Table.Th>
              <Table.Th>OK 1 h</Table.Th>
              <Table.Th>OK 24 h</Table.Th>
              <Table.Th>Failed 1 min</Table.Th>
              <Table.Th>Failed 1 h</Table.Th>
              <Table.Th>Failed 24 h</Table.Th>
              <Table.Th>Last message</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {Object.entries(counts).map(([kind, { success, failure }]) => (
              <Table.Tr key={kind}>
                <Table.Th scope="row">{kind}</Table.Th>
                <Table.Td>{success.PT1M}</Table.Td>
                <Table.Td>{success.PT1H}</Table.Td>
                <Table.Td>{success.PT24H}</Table.Td>
                <Table.Td c={failure.PT1M ? "red" : undefined}>{failure.PT1M}</Table.Td>
                <Table.Td c={failure.PT1H ? "red" : undefined}>{failure.PT1H}</Table.Td>
                <Table.Td c={failure.PT24H ? "red" : undefined}>{failure.PT24H}</Table.Td>
                <Table.Td>{latest(success.lastMessageAt, failure.lastMessageAt) ?? "—"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

function latest(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}
