// Creating a thing: an optional id (without one the server chooses, POST /api/2/things) and its JSON, both
// checked before anything is sent. With an id the request is a PUT with `If-None-Match: *`, so an existing thing
// is never overwritten from here (Ditto answers 412 instead).
import { Button, Group, Modal, Stack, TextInput } from "@mantine/core";
import { useState } from "react";

import { segment, type ApiClient } from "../../api/client";
import { useClient } from "../../app/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { JsonEditor } from "../../components/JsonEditor";
import { checkThing, thingIdProblem } from "./thingJson";

const TEMPLATE = `{
  "attributes": {},
  "features": {}
}`;

interface Props {
  opened: boolean;
  onClose: () => void;
  onCreated: (thingId: string) => void;
}

export function CreateThingModal({ opened, onClose, onCreated }: Props) {
  const client = useClient();
  const [id, setId] = useState("");
  const [text, setText] = useState(TEMPLATE);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const trimmedId = id.trim();
  const idProblem = trimmedId ? thingIdProblem(trimmedId) : null;
  const check = checkThing(text, trimmedId || undefined);

  const create = async () => {
    if (idProblem || !check.ok) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(await send(client, trimmedId, check.value as Record<string, unknown>));
      setId("");
      setText(TEMPLATE);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title="Create thing" size="lg">
      <form onSubmit={(event) => { event.preventDefault(); void create(); }}>
        <Stack gap="sm">
          <TextInput label="Thing ID" description="<namespace>:<name>; leave empty to let the server choose one"
            placeholder="org.acme:lamp-1" value={id} onChange={(event) => setId(event.currentTarget.value)}
            error={idProblem} spellCheck={false} autoCapitalize="off" data-autofocus />
          <JsonEditor label="Thing JSON" value={text} onChange={setText} error={check.ok ? null : check.message}
            minHeight={160} />
          <ErrorAlert error={error} title="The server refused the thing" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={busy} disabled={Boolean(idProblem) || !check.ok}>Create</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Creates the thing and answers its id (the server's choice when none was given). */
async function send(client: ApiClient, id: string, thing: Record<string, unknown>): Promise<string> {
  const bodyId = typeof thing.thingId === "string" ? thing.thingId : "";
  const thingId = id || bodyId;
  if (thingId) {
    await client.request("PUT", `/api/2/things/${segment(thingId)}`, { body: thing, headers: { "If-None-Match": "*" } });
    return thingId;
  }
  const response = await client.request<{ thingId: string }>("POST", "/api/2/things", { body: thing });
  return response.body.thingId;
}
