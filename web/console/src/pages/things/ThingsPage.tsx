// The things list (/console/things): Ditto's search API one page at a time, sorted by thing id and continued by
// the server's cursor; the filter, namespaces and page size live in the address; things are created from here.
import { Button, Group, Loader, Select, Stack, TagsInput, Text } from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import { useEffect, useMemo, useState } from "react";
import { useLocation } from "wouter";

import { DittoError, segment } from "../../api/client";
import { useClient } from "../../app/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageTitle } from "../../components/PageTitle";
import { CreateThingModal } from "./CreateThingModal";
import { RqlFilter, RqlProblemAlert } from "./RqlFilter";
import { rqlProblem } from "./rqlError";
import { countParameters, PAGE_SIZES, searchParameters, useSearchQuery } from "./searchQuery";
import { ThingsTable, type ThingSummary } from "./ThingsTable";

interface SearchPage {
  items: ThingSummary[];
  cursor?: string;
}

interface Paging {
  key: string;
  cursors: (string | undefined)[];
}

const PAGING_STATE = "twinhub.things.paging";

/** The paging kept in the current history entry, if any. */
function savedPaging(): Paging | null {
  const state = window.history.state as Record<string, unknown> | null;
  const saved = state?.[PAGING_STATE] as Paging | undefined;
  return saved && typeof saved.key === "string" && Array.isArray(saved.cursors) && saved.cursors.length > 0 ? saved : null;
}

export function ThingsPage() {
  const client = useClient();
  const [, navigate] = useLocation();
  const [query, setQuery] = useSearchQuery();
  const key = JSON.stringify(query);
  // The cursors that open each page seen so far (the first page has none): "Previous" walks back through them.
  // They belong to one query: another filter, namespace or page size starts again at its first page.
  // They are also kept in the history entry, so the back button returns to the page that was left (the page may or
  // may not have been unmounted meanwhile: either way the same page shows).
  const [paging, setPaging] = useState<Paging>(() => savedPaging() ?? { key, cursors: [undefined] });
  const cursors = paging.key === key ? paging.cursors : [undefined];
  const setCursors = (next: (string | undefined)[]) => {
    const saved: Paging = { key, cursors: next };
    window.history.replaceState({ ...(window.history.state as object | null), [PAGING_STATE]: saved }, "");
    setPaging(saved);
  };
  const [page, setPage] = useState<SearchPage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [count, setCount] = useState<number | null>(null);
  const [seen, setSeen] = useState<string[]>([]);
  const [creating, setCreating] = useState(false);

  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    setError(null);
    client.get<SearchPage>("/api/2/search/things", { query: searchParameters(query, cursor), signal: abort.signal })
      .then((found) => {
        setPage(found);
        setSeen((known) => mergeNamespaces(known, found.items));
      })
      .catch((failure: unknown) => {
        if (abort.signal.aborted) return;
        setPage(null);
        setError(failure);
      })
      .finally(() => abort.signal.aborted || setLoading(false));
    return () => abort.abort();
  }, [client, key, cursor]);

  // The count is one more query per search (not per page), and only a convenience: a failure just hides it.
  useEffect(() => {
    const abort = new AbortController();
    setCount(null);
    client.get<number>("/api/2/search/things/count", { query: countParameters(query), signal: abort.signal })
      .then(setCount, () => undefined);
    return () => abort.abort();
  }, [client, key]);

  const problem = useMemo(() => rqlProblem(error, query.filter), [error, query.filter]);
  const namespaceChoices = useMemo(() => [...new Set([...seen, ...query.namespaces])].sort(), [seen, query.namespaces]);
  const pageNumber = cursors.length;

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <PageTitle title="Things" />
        <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>Create thing</Button>
      </Group>
      <RqlFilter filter={query.filter} onSearch={(filter) => setQuery({ filter })} problem={problem} />
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TagsInput label="Namespaces" placeholder="All namespaces" data={namespaceChoices} value={query.namespaces}
          onChange={(namespaces) => setQuery({ namespaces })} clearable style={{ flex: "1 1 240px" }}
          acceptValueOnBlur splitChars={[",", " "]} />
        <Select label="Page size" data={PAGE_SIZES.map(String)} value={String(query.size)} allowDeselect={false}
          onChange={(size) => size && setQuery({ size: Number(size) })} w={110} />
      </Group>
      {problem && error instanceof DittoError
        ? <RqlProblemAlert error={error} problem={problem} />
        : <ErrorAlert error={error} title="Search failed" />}
      {page === null && loading && <Loader aria-label="Loading things" />}
      {page && (
        <>
          <Text size="sm" c="dimmed" data-testid="things-count" aria-live="polite">
            {count === null ? `Page ${pageNumber}` : `${count} ${count === 1 ? "thing" : "things"} · page ${pageNumber}`}
          </Text>
          {page.items.length === 0 ? (
            <Text c="dimmed">{query.filter || query.namespaces.length ? "No things match this search." : "No things yet."}</Text>
          ) : (
            <ThingsTable things={page.items} />
          )}
          <Group gap="xs">
            <Button variant="default" disabled={cursors.length === 1 || loading}
              onClick={() => setCursors(cursors.slice(0, -1))}>Previous page</Button>
            <Button variant="default" disabled={!page.cursor || loading}
              onClick={() => setCursors([...cursors, page.cursor])}>Next page</Button>
            {loading && <Loader size="sm" aria-label="Loading things" />}
          </Group>
        </>
      )}
      <CreateThingModal opened={creating} onClose={() => setCreating(false)}
        onCreated={(thingId) => navigate(`/things/${segment(thingId)}`)} />
    </Stack>
  );
}

/** `known` namespaces with those of `things` added, sorted. */
function mergeNamespaces(known: string[], things: ThingSummary[]): string[] {
  const all = new Set(known);
  for (const thing of things) all.add(thing.thingId.slice(0, thing.thingId.indexOf(":")));
  all.delete("");
  return all.size === known.length ? known : [...all].sort();
}
