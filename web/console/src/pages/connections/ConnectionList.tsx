// Every connection, a page at a time: the ids come in one request (the API lists ids without limit), each
// shown connection's settings and live status in their own.
import { Anchor, Badge, Button, Group, Stack, Table, Text } from "@mantine/core";
import { IconPlus, IconRefresh } from "@tabler/icons-react";
import { useCallback, useEffect, useState } from "react";
import { Link } from "wouter";

import { PageTitle } from "../../components/PageTitle";
import { AdminErrorAlert } from "../../components/AdminErrorAlert";
import { useClient } from "../../app/session";
import { CONNECTIONS, PAGE_SIZE, connectionPath, statusColor, type Connection, type ConnectionStatus } from "./api";

interface Row {
  id: string;
  connection: Connection | null;
  live: string | null;
}

export default function ConnectionList() {
  const client = useClient();
  const [ids, setIds] = useState<string[] | null>(null);
  const [page, setPage] = useState(0);
  const [rows, setRows] = useState<Row[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);

  const loadIds = useCallback(() => {
    setLoading(true);
    client
      .get<string[]>(CONNECTIONS, { query: { "ids-only": "true" } })
      .then((found) => {
        setIds([...found].sort());
        setError(null);
      })
      .catch((caught: unknown) => {
        setError(caught);
        setLoading(false);
      });
  }, [client]);

  useEffect(loadIds, [loadIds]);

  useEffect(() => {
    if (ids === null) return;
    const controller = new AbortController();
    const shown = ids.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    setLoading(true);
    Promise.all(
      shown.map(async (id): Promise<Row> => {
        const options = { signal: controller.signal };
        // A connection deleted since the ids were read, or whose runtime cannot answer, still gets its row.
        const [connection, status] = await Promise.all([
          client.get<Connection>(connectionPath(id), {
            ...options, query: { fields: "id,name,connectionType,connectionStatus,uri" },
          }).catch(() => null),
          client.get<ConnectionStatus>(`${connectionPath(id)}/status`, options).catch(() => null),
        ]);
        return { id, connection, live: status?.liveStatus ?? null };
      }),
    ).then((found) => {
      if (controller.signal.aborted) return;
      setRows(found);
      setLoading(false);
    });
    return () => controller.abort();
  }, [client, ids, page]);

  const pages = ids ? Math.max(1, Math.ceil(ids.length / PAGE_SIZE)) : 1;
  useEffect(() => {
    if (page >= pages) setPage(pages - 1);  // fewer connections than when the page was chosen
  }, [page, pages]);

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <PageTitle title="Connections" />
        <Group gap="xs">
          <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={loadIds}>Refresh</Button>
          <Button component={Link} href="/new" leftSection={<IconPlus size={16} />}>New connection</Button>
        </Group>
      </Group>
      <AdminErrorAlert error={error} what="connections" />
      {!error && ids !== null && ids.length === 0 && !loading && (
        <Text c="dimmed">No connections yet. Create one from a template with “New connection”.</Text>
      )}
      {!error && ids === null && loading && <Text c="dimmed">Loading…</Text>}
      {!error && rows.length > 0 && (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover aria-label="Connections" aria-busy={loading}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Connection</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Desired</Table.Th>
                <Table.Th>Live</Table.Th>
                <Table.Th>URI</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map(({ id, connection, live }) => (
                <Table.Tr key={id}>
                  <Table.Td>
                    <Anchor component={Link} href={`/${encodeURIComponent(id)}`}>{connection?.name ?? id}</Anchor>
                    {connection?.name && <Text size="xs" c="dimmed">{id}</Text>}
                  </Table.Td>
                  <Table.Td>{connection?.connectionType ?? "—"}</Table.Td>
                  <Table.Td>{connection?.connectionStatus ?? "—"}</Table.Td>
                  <Table.Td>
                    <Badge color={statusColor(live ?? undefined)} variant="light">{live ?? "unknown"}</Badge>
                  </Table.Td>
                  <Table.Td style={{ wordBreak: "break-all" }}>{connection?.uri ?? "—"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {ids !== null && ids.length > PAGE_SIZE && (
        <Group justify="center" gap="xs">
          <Button variant="default" disabled={page === 0} onClick={() => setPage(page - 1)}>Previous page</Button>
          <Text size="sm">Page {page + 1} of {pages}</Text>
          <Button variant="default" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>Next page</Button>
        </Group>
      )}
    </Stack>
  );
}
