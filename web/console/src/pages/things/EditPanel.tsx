// The thing page's Edit tab: the whole thing as JSON, read with its ETag and saved with `If-Match` of that ETag,
// so a change made meanwhile by anyone else is not overwritten (Ditto answers 412; the operator reloads). Also
// deleting the thing, after a confirmation.
import { Alert, Button, Group, Loader, Stack, Text } from "@mantine/core";
import { IconDeviceFloppy, IconRefresh, IconTrash } from "@tabler/icons-react";
import { useCallback, useEffect, useState } from "react";
import { useLocation } from "wouter";

import { DittoError, segment } from "../../api/client";
import { useClient } from "../../app/session";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorAlert } from "../../components/ErrorAlert";
import { JsonEditor } from "../../components/JsonEditor";
import { checkThing } from "./thingJson";

interface Loaded {
  text: string;
  etag: string | null;
}

export default function EditPanel({ thingId }: { thingId: string }) {
  const client = useClient();
  const [, navigate] = useLocation();
  const path = `/api/2/things/${segment(thingId)}`;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [text, setText] = useState("");
  const [loadError, setLoadError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  // The text as saved last, so "Saved." stays until the next edit (the editor reports its own reloads as edits).
  const [savedText, setSavedText] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  const load = useCallback(async (): Promise<string | null> => {
    setLoadError(null);
    setSaveError(null);
    try {
      const response = await client.request<unknown>("GET", path);
      const next = { text: JSON.stringify(response.body, null, 2), etag: response.headers.get("ETag") };
      setLoaded(next);
      setText(next.text);
      return next.text;
    } catch (failure) {
      setLoadError(failure);
      return null;
    }
  }, [client, path]);

  useEffect(() => {
    void load();
  }, [load]);

  const check = checkThing(text, thingId);
  const dirty = loaded !== null && text !== loaded.text;
  const conflict = saveError instanceof DittoError && saveError.status === 412;

  const save = async () => {
    if (!check.ok || !loaded) return;
    setBusy(true);
    setSaveError(null);
    setSavedText(null);
    try {
      const headers: Record<string, string> = loaded.etag ? { "If-Match": loaded.etag } : {};
      await client.request("PUT", path, { body: check.value, headers });
      setSavedText(await load());
    } catch (failure) {
      setSaveError(failure);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setSaveError(null);
    try {
      await client.request("DELETE", path);
      navigate("/things");
    } catch (failure) {
      setSaveError(failure);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <ErrorAlert error={loadError} title="Could not read the thing" />;
  if (!loaded) return <Loader aria-label="Loading thing" />;

  return (
    <Stack gap="sm">
      <JsonEditor label="Thing JSON" value={text} onChange={setText}
        error={check.ok ? null : check.message} />
      {conflict ? (
        <Alert color="orange" title="Changed meanwhile" role="alert">
          <Stack gap="xs">
            <Text size="sm">
              The thing was changed since it was read here ({(saveError as DittoError).error}, 412):{" "}
              {(saveError as DittoError).message} Reload to see the current thing (your edit is discarded).
            </Text>
            <Group>
              <Button size="xs" variant="default" leftSection={<IconRefresh size={14} />} onClick={() => void load()}>
                Reload
              </Button>
            </Group>
          </Stack>
        </Alert>
      ) : (
        <ErrorAlert error={saveError} title="The server refused the change" />
      )}
      {savedText !== null && savedText === text && <Text size="sm" c="teal" role="status">Saved.</Text>}
      <Group justify="space-between" wrap="wrap">
        <Group gap="xs">
          <Button leftSection={<IconDeviceFloppy size={16} />} onClick={() => void save()} loading={busy}
            disabled={!check.ok || !dirty}>Save</Button>
          <Button variant="default" onClick={() => setText(loaded.text)} disabled={!dirty || busy}>Revert</Button>
          <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={() => void load()} disabled={busy}>
            Reload
          </Button>
        </Group>
        <Button color="red" variant="light" leftSection={<IconTrash size={16} />} onClick={() => setConfirming(true)}>
          Delete thing
        </Button>
      </Group>
      <ConfirmDialog opened={confirming} onClose={() => setConfirming(false)} title="Delete this thing?"
        message={<>The thing <strong>{thingId}</strong> is deleted with all its attributes and features. This cannot
          be undone.</>}
        confirmLabel="Delete thing" onConfirm={() => void remove()} busy={busy} />
    </Stack>
  );
}
