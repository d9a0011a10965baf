// The thing page's Revisions tab: its revisions newest first, ten at a time, each with its time and what it
// changed against the revision before (both read with twinhub's historical reads, `at-historical-revision`).
// A revision the journal no longer keeps (retention) or that the caller may not read is said to be so.
import { ActionIcon, Alert, Badge, Group, Loader, Paper, Stack, Table, Text, Title, Tooltip } from "@mantine/core";
import { IconRefresh } from "@tabler/icons-react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { DittoError, segment, type ApiClient } from "../../api/client";
import { useClient } from "../../app/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import type { JsonObject } from "./liveThing";
import { revisionChanges, type ChangeKind } from "./revisionDiff";
import { JsonText, PageControls, Timestamp } from "./values";

const PER_PAGE = 10;
const MAX_ROWS = 50; // changes shown per revision (a creation can hold many)
const FIELDS = "thingId,policyId,definition,attributes,features,_revision,_modified";

type Read = { doc: JsonObject } | { error: unknown };

export default function RevisionsPanel({ thingId }: { thingId: string }) {
  const client = useClient();
  const [latest, setLatest] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [page, setPage] = useState(1);
  const [reads, setReads] = useState<Map<number, Read>>(new Map());
  const asked = useRef(new Map<number, Promise<void>>());

  const refresh = useCallback(() => {
    setError(null);
    client.get<JsonObject>(`/api/2/things/${segment(thingId)}`, { query: { fields: "_revision" } })
      .then((body) => setLatest(typeof body._revision === "number" ? body._revision : 0))
      .catch(setError);
  }, [client, thingId]);
  useEffect(refresh, [refresh]);

  const pages = latest === null ? 1 : Math.max(1, Math.ceil(latest / PER_PAGE));
  const shown = useMemo(() => {
    if (latest === null) return [];
    const newest = latest - (Math.min(page, pages) - 1) * PER_PAGE;
    return Array.from({ length: Math.min(PER_PAGE, newest) }, (_, index) => newest - index);
  }, [latest, page, pages]);

  // Each shown revision and the one before it, each read once.
  useEffect(() => {
    const wanted = new Set(shown.flatMap((revision) => (revision > 1 ? [revision, revision - 1] : [revision])));
    for (const revision of wanted) {
      if (asked.current.has(revision)) continue;
      asked.current.set(revision, readRevision(client, thingId, revision).then((read) =>
        setReads((known) => new Map(known).set(revision, read))));
    }
  }, [client, shown, thingId]);

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Text c="dimmed" size="sm">
          {latest === null ? "Reading the latest revision…" : `${latest} revision${latest === 1 ? "" : "s"}, newest first`}
        </Text>
        <Tooltip label="Show the latest revisions">
          <ActionIcon variant="default" aria-label="Show the latest revisions" onClick={() => {
            asked.current = new Map(); // a thing deleted and created again has a new history
            setReads(new Map());
            setPage(1);
            refresh();
          }}>
            <IconRefresh size={16} aria-hidden />
          </ActionIcon>
        </Tooltip>
      </Group>
      {error !== null && <ErrorAlert error={error} title="Could not read the thing" />}
      {shown.map((revision) => (
        <RevisionView key={revision} revision={revision} read={reads.get(revision)}
          previous={revision > 1 ? reads.get(revision - 1) : null} />
      ))}
      {pages > 1 && <PageControls page={Math.min(page, pages)} pages={pages} onChange={setPage} label="Revision pages" />}
    </Stack>
  );
}

async function readRevision(client: ApiClient, thingId: string, revision: number): Promise<Read> {
  try {
    const doc = await client.get<JsonObject>(`/api/2/things/${segment(thingId)}`, {
      query: { fields: FIELDS }, headers: { "at-historical-revision": String(revision) },
    });
    return { doc };
  } catch (error) {
    return { error };
  }
}

/** `previous` is null for the first revision (nothing before it), undefined while it is being read. */
function RevisionView({ revision, read, previous }: { revision: number; read?: Read; previous: Read | null | undefined }) {
  return (
    <Paper withBorder p="md" component="article" aria-label={`Revision ${revision}`}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h4">Revision {revision}</Title>
          {read && "doc" in read && <Timestamp value={read.doc._modified} />}
        </Group>
        {read === undefined || previous === undefined ? (
          <Group gap="xs"><Loader size="xs" aria-label={`Loading revision ${revision}`} /><Text c="dimmed" size="sm">Loading…</Text></Group>
        ) : "error" in read ? (
          <Unavailable revision={revision} error={read.error} />
        ) : previous !== null && "error" in previous ? (
          <Stack gap="xs">
            <Unavailable revision={revision - 1} error={previous.error} />
            <Text size="sm" c="dimmed">Without it, what revision {revision} changed cannot be shown.</Text>
          </Stack>
        ) : (
          <Changes revision={revision} before={previous?.doc ?? null} after={read.doc} />
        )}
      </Stack>
    </Paper>
  );
}

function Unavailable({ revision, error }: { revision: number; error: unknown }) {
  if (error instanceof DittoError && error.error === "things:thing.history.notfound") {
    return (
      <Alert color="gray" title={`Revision ${revision} is not available`}>
        The journal no longer keeps it (retention), or you may not read it.
      </Alert>
    );
  }
  return <ErrorAlert error={error} title={`Could not read revision ${revision}`} />;
}

const KINDS: Record<ChangeKind, { label: string; color: string }> = {
  added: { label: "Added", color: "teal" },
  removed: { label: "Removed", color: "red" },
  changed: { label: "Changed", color: "blue" },
};

function Changes({ revision, before, after }: { revision: number; before: JsonObject | null; after: JsonObject }) {
  const changes = useMemo(() => revisionChanges(before, after), [before, after]);
  if (changes.length === 0) {
    return <Text size="sm" c="dimmed">{before ? "Nothing you may read changed." : "Created empty."}</Text>;
  }
  return (
    <>
      {!before && <Text size="sm">Created.</Text>}
      <Table.ScrollContainer minWidth={560}>
        <Table aria-label={`Changes in revision ${revision}`} withTableBorder layout="fixed">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Path</Table.Th>
              <Table.Th w={100}>Change</Table.Th>
              <Table.Th>Before</Table.Th>
              <Table.Th>After</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {changes.slice(0, MAX_ROWS).map((change) => (
              <Table.Tr key={change.path}>
                <Table.Td style={{ wordBreak: "break-all" }}>{change.path}</Table.Td>
                <Table.Td><Badge variant="light" color={KINDS[change.kind].color}>{KINDS[change.kind].label}</Badge></Table.Td>
                <Table.Td><JsonText value={change.before} pretty /></Table.Td>
                <Table.Td><JsonText value={change.after} pretty /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {changes.length > MAX_ROWS && (
        <Text size="sm" c="dimmed">and {changes.length - MAX_ROWS} more changes not shown.</Text>
      )}
    </>
  );
}
