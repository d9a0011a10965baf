// One policy: its entries (subjects with their type, resources with grant and revoke), edited as a form or as
// JSON (one draft, either view), saved whole with If-Match on the revision it was read at, so a change made
// meanwhile by someone else is refused (412) instead of overwritten. Ditto's refusals (e.g. a lockout,
// `policies:policy.modificationinvalid`) are shown as it says them.
import { Alert, Badge, Button, Group, Stack, Tabs, Text } from "@mantine/core";
import { useCallback, useEffect, useState } from "react";

import { useClient } from "../../app/session";
import { PageTitle } from "../../components/PageTitle";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorAlert } from "../../components/ErrorAlert";
import { checkJson, JsonEditor } from "../../components/JsonEditor";
import { EntriesForm } from "./EntriesForm";
import { droppedEntries, policyPath, policyProblem, type Policy } from "./model";

interface Loaded {
  policy: Policy;
  etag: string | null;
}

export function PolicyPage({ policyId }: { policyId: string }) {
  const client = useClient();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [draft, setDraft] = useState<Policy | null>(null);
  const [view, setView] = useState<string>("form");
  const [text, setText] = useState("");
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [confirming, setConfirming] = useState<string[] | null>(null);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      const response = await client.request<Policy>("GET", policyPath(policyId));
      setLoaded({ policy: response.body, etag: response.headers.get("ETag") });
      setDraft(response.body);
      setText(JSON.stringify(response.body, null, 2));
    } catch (error) {
      setLoadError(error);
    }
  }, [client, policyId]);

  useEffect(() => {
    setLoaded(null);
    void load();
  }, [load]);

  const checked = checkJson(text, policyProblem);
  // The draft the save would send: the JSON view's text when that is shown, else the form's draft.
  const current = (): Policy | null => (view === "json" ? (checked.ok ? (checked.value as Policy) : null) : draft);

  const switchView = (next: string | null) => {
    if (!next || next === view) return;
    if (next === "json" && draft) setText(JSON.stringify(draft, null, 2));
    if (next === "form") {
      if (!checked.ok) return; // stay on the JSON until it is a policy the form can show
      setDraft(checked.value as Policy);
    }
    setView(next);
  };

  const save = async (confirmed = false) => {
    const policy = current();
    if (!policy || !loaded) return;
    const dropped = droppedEntries(loaded.policy, policy);
    if (dropped.length > 0 && !confirmed) {
      setConfirming(dropped);
      return;
    }
    setConfirming(null);
    setSaving(true);
    setSaveError(null);
    setSaved(false);
    try {
      const { policyId: _id, ...body } = policy; // the id is the path's
      await client.request("PUT", policyPath(policyId), {
        body, headers: loaded.etag ? { "If-Match": loaded.etag } : {},
      });
      setSaved(true);
      await load();
    } catch (error) {
      setSaveError(error);
    } finally {
      setSaving(false);
    }
  };

  const dirty = loaded !== null && JSON.stringify(current()) !== JSON.stringify(loaded.policy);
  return (
    <Stack gap="md">
      <PageTitle title={policyId} parent={{ href: "/", label: "Policies" }} />
      <ErrorAlert error={loadError} title="Could not load the policy" />
      {!loaded && !loadError && <Text c="dimmed">Loading…</Text>}
      {loaded && draft && (
        <>
          <Group gap="xs">
            {loaded.etag && <Badge variant="light">revision {loaded.etag.replace(/\D/g, "")}</Badge>}
            {dirty && <Badge color="yellow" variant="light">unsaved changes</Badge>}
          </Group>
          <Tabs value={view} onChange={switchView}>
            <Tabs.List>
              <Tabs.Tab value="form">Entries</Tabs.Tab>
              <Tabs.Tab value="json" disabled={view === "json" && !checked.ok}>JSON</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="form" pt="md">
              {view === "form" && <EntriesForm policy={draft} onChange={setDraft} />}
            </Tabs.Panel>
            <Tabs.Panel value="json" pt="md">
              {view === "json" && (
                <JsonEditor label="Policy (JSON)" value={text} onChange={setText}
                  error={checked.ok ? null : checked.message} />
              )}
            </Tabs.Panel>
          </Tabs>
          <ErrorAlert error={saveError} title="Not saved" />
          {saved && !dirty && <Alert color="teal" role="status">Saved.</Alert>}
          <Group>
            <Button onClick={() => void save()} loading={saving} disabled={!dirty || current() === null}>
              Save policy
            </Button>
            <Button variant="default" disabled={!dirty || saving} onClick={() => {
              setDraft(loaded.policy);
              setText(JSON.stringify(loaded.policy, null, 2));
              setSaveError(null);
            }}>
              Discard changes
            </Button>
          </Group>
        </>
      )}
      <ConfirmDialog opened={confirming !== null} onClose={() => setConfirming(null)} title="Remove entries?"
        message={<>Saving removes {confirming?.length === 1 ? "the entry" : "the entries"}{" "}
          <strong>{confirming?.join(", ")}</strong> and everything they grant.</>}
        confirmLabel="Remove and save" onConfirm={() => void save(true)} busy={saving} />
    </Stack>
  );
}
