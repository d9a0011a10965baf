// The thing page's History tab: charts of the history of the thing's numeric leaves (attributes and feature
// properties), over a preset or custom range, optionally kept live while the range ends now.
import { Alert, Button, Group, Loader, MultiSelect, SegmentedControl, Stack, Switch, Text, Title } from "@mantine/core";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { segment } from "../../api/client";
import { useClient } from "../../app/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { TimeChart, type ChartSeries } from "../../components/TimeChart";
import { loadHistory, numericLeaves, pointCount, RAW_LIMIT, withLivePoint, type History, type LeafHistory,
  type LivePoint } from "./HistoryData";
import { streamHistory } from "./HistoryLive";
import { HistoryRange, resolveRange, type RangeChoice } from "./HistoryRange";
import { HistoryTable } from "./HistoryTable";

const MAX_LEAVES = 8; // charts on one page; the API itself takes up to 100 paths
const LIVE_RELOAD_MS = 10_000; // buckets are asked again at most this often while live points arrive

export default function HistoryPanel({ thingId }: { thingId: string }) {
  const client = useClient();
  const [leaves, setLeaves] = useState<string[] | null>(null);
  const [leavesError, setLeavesError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const [range, setRange] = useState<RangeChoice>({ preset: "1h", from: null, to: null });
  const [layout, setLayout] = useState("separate");
  const [asTable, setAsTable] = useState(false);
  const [live, setLive] = useState(false);
  const [reload, setReload] = useState(0);
  const [history, setHistory] = useState<History | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [liveError, setLiveError] = useState<unknown>(null);
  // The end of the range shown, set once its history has loaded: the live stream goes on from there.
  const [loadedTo, setLoadedTo] = useState<Date | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    client.get<{ attributes?: unknown; features?: unknown }>(`/api/2/things/${segment(thingId)}`,
      { query: { fields: "attributes,features" }, signal: abort.signal })
      // `paths=` is comma-separated: a key holding a comma cannot be asked for there.
      .then((thing) => setLeaves(numericLeaves(thing).filter((path) => !path.includes(","))))
      .catch((failure: unknown) => abort.signal.aborted || setLeavesError(failure));
    return () => abort.abort();
  }, [client, thingId]);

  const resolved = useMemo(() => resolveRange(range, new Date()),
    [range, reload]); // `reload` re-reads the clock, so a preset moves on to now

  const endsNow = "endsNow" in resolved && resolved.endsNow;
  const pathsKey = selected.join(",");

  useEffect(() => {
    if ("problem" in resolved || selected.length === 0) {
      setHistory(null);
      return;
    }
    const abort = new AbortController();
    setLoading(true);
    setError(null);
    setLoadedTo(null);
    loadHistory(client, thingId, selected, resolved.from, resolved.to, abort.signal)
      .then((result) => {
        setHistory(result);
        setLoadedTo(resolved.to);
      })
      .catch((failure: unknown) => {
        if (abort.signal.aborted) return;
        setHistory(null);
        setError(failure);
      })
      .finally(() => abort.signal.aborted || setLoading(false));
    return () => abort.abort();
  }, [client, thingId, pathsKey, resolved]);

  const shown = useRef<History | null>(null);
  shown.current = history;
  const lastReload = useRef(0);
  const onPoint = useCallback((point: LivePoint) => {
    const now = Date.now();
    const current = shown.current;
    if (!current || current.step !== undefined || pointCount(current) >= RAW_LIMIT) {
      // Buckets (or a page grown full) are asked for again, not more often than LIVE_RELOAD_MS.
      if (now - lastReload.current >= LIVE_RELOAD_MS) {
        lastReload.current = now;
        setReload((count) => count + 1);
      }
      return;
    }
    setHistory((latest) => (latest ? withLivePoint(latest, point, new Date(now)) : latest));
  }, []);

  const streaming = live && endsNow && selected.length > 0;
  useEffect(() => {
    if (!streaming) setLiveError(null);
    if (!streaming || !loadedTo) return;
    const abort = new AbortController();
    setLiveError(null);
    // From the end of what was loaded: the stored points since then first, so none is missed or shown twice.
    streamHistory(client, thingId, selected, loadedTo, onPoint, abort.signal)
      .then(() => abort.signal.aborted || setLiveError(new Error("The server ended the stream; Refresh resumes it.")))
      .catch((failure: unknown) => abort.signal.aborted || setLiveError(failure));
    return () => abort.abort();
  }, [client, thingId, pathsKey, streaming, loadedTo, onPoint]);

  if (leavesError) return <ErrorAlert error={leavesError} title="Could not read the thing" />;
  if (leaves === null) return <Group gap="xs"><Loader size="sm" /><Text c="dimmed">Loading…</Text></Group>;
  if (leaves.length === 0) {
    return <Text c="dimmed">This thing has no numeric attribute or feature property to chart.</Text>;
  }

  return (
    <Stack gap="md">
      <MultiSelect label="Properties to chart" placeholder={selected.length ? undefined : "Pick numeric leaves"}
        data={leaves} value={selected} onChange={setSelected} searchable clearable maxValues={MAX_LEAVES} limit={100}
        description={`Numeric attributes and feature properties; up to ${MAX_LEAVES}.`} />
      <HistoryRange value={range} onChange={setRange} />
      <Group gap="md" wrap="wrap">
        <SegmentedControl aria-label="Layout" value={layout} onChange={setLayout} size="xs"
          data={[{ value: "separate", label: "One chart each" }, { value: "combined", label: "One chart" }]} />
        <Switch label="Show as table" checked={asTable} onChange={(event) => setAsTable(event.currentTarget.checked)} />
        <Switch label="Live" checked={live} disabled={!endsNow}
          description={endsNow ? undefined : "Only for a range that ends now"}
          onChange={(event) => setLive(event.currentTarget.checked)} />
        <Button variant="default" size="xs" onClick={() => setReload((count) => count + 1)}
          disabled={selected.length === 0}>Refresh</Button>
      </Group>
      {"problem" in resolved && <Text c="dimmed">{resolved.problem}</Text>}
      <ErrorAlert error={error} title="Could not read the history" />
      <ErrorAlert error={liveError} title="The live stream stopped" />
      {selected.length === 0 && <Text c="dimmed">Pick one or more properties to see their history.</Text>}
      {loading && <Group gap="xs"><Loader size="sm" /><Text c="dimmed">Loading history…</Text></Group>}
      {history && selected.length > 0 && (
        <Charts history={history} layout={layout} asTable={asTable} />
      )}
    </Stack>
  );
}

function Charts({ history, layout, asTable }: { history: History; layout: string; asTable: boolean }) {
  if (pointCount(history) === 0) {
    return (
      <Alert title="No history in this range" color="gray">
        None of the chosen properties has a point in this range: nothing was written then, or history is not
        recorded for them (see the server's history_include and history_exclude).
      </Alert>
    );
  }
  const note = history.step
    ? `Buckets of ${history.step}: the mean, with a band from min to max.`
    : "Every recorded point.";
  if (layout === "combined") {
    const { times, series } = combine(history.leaves);
    return (
      <Stack gap="sm">
        <Text size="sm" c="dimmed">{note}</Text>
        <TimeChart times={times} series={series} range={history.range}
          ariaLabel={`History chart of ${history.leaves.length} properties`} />
        {asTable && history.leaves.map((leaf) => <LeafTable key={leaf.path} leaf={leaf} step={history.step} />)}
      </Stack>
    );
  }
  return (
    <Stack gap="lg">
      <Text size="sm" c="dimmed">{note}</Text>
      {history.leaves.map((leaf) => (
        <Stack key={leaf.path} gap="xs">
          <Title order={2} size="h4" style={{ wordBreak: "break-all" }}>{leaf.path}</Title>
          {leaf.times.length === 0 ? (
            <Text c="dimmed">No points of {leaf.path} in this range.</Text>
          ) : (
            <>
              <TimeChart times={leaf.times} series={[chartSeries(leaf, leaf.times.map((_, index) => index))]}
                range={history.range} ariaLabel={`History chart of ${leaf.path}`} />
              {asTable && <HistoryTable leaf={leaf} step={history.step} />}
            </>
          )}
        </Stack>
      ))}
    </Stack>
  );
}

function LeafTable({ leaf, step }: { leaf: LeafHistory; step?: string }) {
  return (
    <Stack gap="xs">
      <Title order={2} size="h5" style={{ wordBreak: "break-all" }}>{leaf.path}</Title>
      {leaf.times.length ? <HistoryTable leaf={leaf} step={step} /> : <Text c="dimmed">No points in this range.</Text>}
    </Stack>
  );
}

/** The leaves on one time axis: every leaf's times, each leaf undefined where it has no point. */
function combine(leaves: LeafHistory[]): { times: number[]; series: ChartSeries[] } {
  const times = [...new Set(leaves.flatMap((leaf) => leaf.times))].sort((a, b) => a - b);
  const position = new Map(times.map((time, index) => [time, index]));
  return {
    times,
    series: leaves.map((leaf) => chartSeries(leaf, leaf.times.map((time) => position.get(time)!), times.length)),
  };
}

/** `leaf` as a chart series whose i-th value sits at `at[i]` of an axis `length` long. */
function chartSeries(leaf: LeafHistory, at: number[], length = at.length): ChartSeries {
  const place = (values: (number | null)[]) => {
    const placed: (number | null | undefined)[] = new Array<undefined>(length).fill(undefined);
    values.forEach((value, index) => {
      const slot = at[index];
      if (slot !== undefined) placed[slot] = value;
    });
    return placed;
  };
  return {
    label: leaf.path,
    values: place(leaf.values),
    band: leaf.min && leaf.max ? { min: place(leaf.min), max: place(leaf.max) } : undefined,
  };
}
