// The devices that log in to the MQTT device endpoint (admins only, as the API): a page of them at a time,
// adding one (its generated password shown once), a new password for one, removing one (confirmed).
import { Button, Group, Stack, Table, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconPlus, IconRefresh } from "@tabler/icons-react";
import { useCallback, useEffect, useState, type FormEvent } from "react";

import { segment } from "../../api/client";
import { useClient } from "../../app/session";
import { PageTitle } from "../../components/PageTitle";
import { AdminErrorAlert } from "../../components/AdminErrorAlert";
import { ConfirmButton } from "../../components/ConfirmButton";
import { PasswordModal, type Issued } from "./PasswordModal";

const DEVICES = "/api/2/devices";
const PAGE_SIZE = 20;

interface Device {
  deviceId: string;
  subject: string;
}

interface DevicePage {
  devices: Device[];
  nextFrom?: string;
}

export function DevicesPage() {
  const client = useClient();
  // Where each page shown so far starts ("" for the first), so Previous goes back without a cursor of its own.
  const [starts, setStarts] = useState<string[]>([""]);
  const [page, setPage] = useState<DevicePage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [newId, setNewId] = useState("");
  const [adding, setAdding] = useState(false);
  const [issued, setIssued] = useState<Issued | null>(null);
  const from = starts[starts.length - 1];

  const load = useCallback(() => {
    setLoading(true);
    client
      .get<DevicePage>(DEVICES, { query: { limit: String(PAGE_SIZE), from: from || undefined } })
      .then((found) => {
        setPage(found);
        setError(null);
      })
      .catch(setError)
      .finally(() => setLoading(false));
  }, [client, from]);

  useEffect(load, [load]);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const deviceId = newId.trim();
    if (!deviceId) return;
    setAdding(true);
    try {
      const answer = await client.request<Issued>("PUT", `${DEVICES}/${segment(deviceId)}`, { body: {} });
      setIssued(answer.body);
      setNewId("");
      setError(null);
      load();
    } catch (caught) {
      setError(caught);
    } finally {
      setAdding(false);
    }
  };

  const regenerate = async (deviceId: string) => {
    try {
      const answer = await client.request<Issued>("POST", `${DEVICES}/${segment(deviceId)}/password`, { body: {} });
      setIssued(answer.body);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  };

  const remove = async (deviceId: string) => {
    try {
      await client.request("DELETE", `${DEVICES}/${segment(deviceId)}`);
      notifications.show({ color: "green", message: `Device ${deviceId} removed` });
      setError(null);
      load();
    } catch (caught) {
      setError(caught);
    }
  };

  const devices = page?.devices ?? [];
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <PageTitle title="Devices" />
        <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={load}>Refresh</Button>
      </Group>
      <Text size="sm" c="dimmed">
        Devices log in to the MQTT device endpoint with their thing id and a password issued here.
      </Text>
      <form onSubmit={(event) => void add(event)}>
        <Group align="flex-end" gap="xs" wrap="wrap">
          <TextInput label="Device ID" description="The thing id, e.g. org.example:sensor-1" value={newId}
            onChange={(event) => setNewId(event.currentTarget.value)} style={{ flex: "1 1 240px" }} required />
          <Button type="submit" loading={adding} leftSection={<IconPlus size={16} />}>Add device</Button>
        </Group>
      </form>
      <AdminErrorAlert error={error} what="devices" />
      {page && devices.length === 0 && starts.length === 1 && <Text c="dimmed">No devices yet.</Text>}
      {!page && loading && !error && <Text c="dimmed">Loading…</Text>}
      {devices.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table striped aria-label="Devices" aria-busy={loading}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Device ID</Table.Th>
                <Table.Th>Subject</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {devices.map(({ deviceId, subject }) => (
                <Table.Tr key={deviceId}>
                  <Table.Td style={{ wordBreak: "break-all" }}>{deviceId}</Table.Td>
                  <Table.Td style={{ wordBreak: "break-all" }}>{subject}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <ConfirmButton label="Regenerate password" size="xs" color="yellow" title="Issue a new password?"
                        confirmLabel="Issue new password" onConfirm={() => regenerate(deviceId)}
                        message={<>The current password of <strong>{deviceId}</strong> stops working at once; the
                          device must log in with the new one.</>} />
                      <ConfirmButton label="Remove" size="xs" title="Remove this device?" confirmLabel="Remove device"
                        onConfirm={() => remove(deviceId)}
                        message={<>The device <strong>{deviceId}</strong> can no longer log in. Its twin stays.</>} />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {(starts.length > 1 || page?.nextFrom) && (
        <Group justify="center" gap="xs">
          <Button variant="default" disabled={starts.length === 1}
            onClick={() => setStarts(starts.slice(0, -1))}>Previous page</Button>
          <Text size="sm">Page {starts.length}</Text>
          <Button variant="default" disabled={!page?.nextFrom}
            onClick={() => page?.nextFrom && setStarts([...starts, page.nextFrom])}>Next page</Button>
        </Group>
      )}
      <PasswordModal issued={issued} onClose={() => setIssued(null)} />
    </Stack>
  );
}
