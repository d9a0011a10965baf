// What the runtime reports of the connection: its live status overall and of each client, source and target.
import { Badge, Group, Stack, Table, Text } from "@mantine/core";
import { useEffect, useState } from "react";

import { ErrorAlert } from "../../components/ErrorAlert";
import type { PanelProps } from "./ConnectionPage";
import { REFRESH_MS, statusColor, useReport, type ConnectionStatus, type ResourceStatus } from "./api";
import { RefreshControls } from "./RefreshControls";

export default function StatusPanel({ id, changed }: PanelProps) {
  const [auto, setAuto] = useState(true);
  const report = useReport<ConnectionStatus>(id, "status", auto ? REFRESH_MS : null);
  const { data, reload } = report;
  useEffect(() => {
    if (changed) reload();
  }, [changed, reload]);

  return (
    <Stack gap="md">
      <RefreshControls {...report} auto={auto} onAuto={setAuto} />
      <ErrorAlert error={report.error} />
      {data && (
        <>
          <Group gap="sm">
            <Text fw={500}>Live status</Text>
            <Badge color={statusColor(data.liveStatus)} data-testid="live-status">{data.liveStatus}</Badge>
            {data.connectedSince && <Text size="sm" c="dimmed">connected since {data.connectedSince}</Text>}
          </Group>
          <Resources title="Clients" entries={data.clientStatus} />
          <Resources title="Sources" entries={data.sourceStatus} />
          <Resources title="Targets" entries={data.targetStatus} />
        </>
      )}
      {!data && report.loading && <Text c="dimmed">Loading…</Text>}
    </Stack>
  );
}

function Resources({ title, entries }: { title: string; entries: ResourceStatus[] }) {
  return (
    <Stack gap={4}>
      <Text fw={500}>{title}</Text>
      {entries.length === 0 ? (
        <Text size="sm" c="dimmed">None.</Text>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label={title}>
            <Table.Thead>
              <Table.Tr>
                {title !== "Clients" && <Table.Th>Address</Table.Th>}
                <Table.Th>Status</Table.Th>
                <Table.Th>Details</Table.Th>
                <Table.Th>Since</Table.Th>
                <Table.Th>Client</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.map((entry, index) => (
                <Table.Tr key={`${entry.client}-${entry.address ?? ""}-${index}`}>
                  {title !== "Clients" && <Table.Td style={{ wordBreak: "break-all" }}>{entry.address}</Table.Td>}
                  <Table.Td><Badge color={statusColor(entry.status)} variant="light">{entry.status}</Badge></Table.Td>
                  <Table.Td>{entry.statusDetails}</Table.Td>
                  <Table.Td>{entry.inStateSince}</Table.Td>
                  <Table.Td style={{ wordBreak: "break-all" }}>{entry.client}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
