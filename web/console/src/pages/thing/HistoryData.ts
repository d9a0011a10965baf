// What the History tab asks twinhub's history API and how the answers become chart data. A range with few enough
// points is shown as its raw points (one page of at most RAW_LIMIT); a busier one as buckets, the step chosen so that
// a chart never has more than MAX_BUCKETS of them, each the mean with a min-max band around it.
import { segment, type ApiClient } from "../../api/client";

export const RAW_LIMIT = 1000;
export const MAX_BUCKETS = 1000;

// Steps the API takes (`<n><s|m|h|d>`, 1 s to 1 d), smallest first.
const STEPS: [number, string][] = [
  [1, "1s"], [5, "5s"], [10, "10s"], [30, "30s"], [60, "1m"], [120, "2m"], [300, "5m"], [600, "10m"],
  [900, "15m"], [1800, "30m"], [3600, "1h"], [10800, "3h"], [21600, "6h"], [43200, "12h"], [86400, "1d"],
];

/** One leaf's history: times in seconds since the epoch, ascending; null where the leaf was removed. */
export interface LeafHistory {
  path: string;
  times: number[];
  values: (number | null)[];
  min?: (number | null)[];
  max?: (number | null)[];
}

export interface History {
  /** The range shown, in seconds since the epoch. */
  range: [number, number];
  /** The step of the buckets; undefined for raw points. */
  step?: string;
  leaves: LeafHistory[];
}

type Pair = [string, unknown];
interface SeriesBody { series: { path: string; points: Pair[] }[]; cursor?: string | null }

/** The smallest step that cuts `[from, to)` into at most MAX_BUCKETS buckets (the largest, 1 d, past that). */
export function chooseStep(from: Date, to: Date): string {
  const seconds = (to.getTime() - from.getTime()) / 1000;
  return STEPS.find(([step]) => seconds / step <= MAX_BUCKETS)?.[1] ?? "1d";
}

/** The history of `paths` in `[from, to)`: the raw points when they fit one page, else buckets. */
export async function loadHistory(client: ApiClient, thingId: string, paths: string[], from: Date, to: Date,
  signal: AbortSignal): Promise<History> {
  const url = `/api/2/history/things/${segment(thingId)}`;
  const range = { paths: paths.join(","), from: from.toISOString(), to: to.toISOString() };
  const raw = await client.get<SeriesBody>(url, { query: { ...range, limit: String(RAW_LIMIT) }, signal });
  const shown: [number, number] = [from.getTime() / 1000, to.getTime() / 1000];
  if (!raw.cursor) return { range: shown, leaves: raw.series.map(({ path, points }) => leaf(path, points)) };
  const step = chooseStep(from, to);
  const ask = (agg: string) => client.get<SeriesBody>(url, { query: { ...range, step, agg }, signal });
  const [mean, min, max] = await Promise.all([ask("mean"), ask("min"), ask("max")]);
  return {
    range: shown,
    step,
    leaves: mean.series.map(({ path, points }, index) => {
      const result = leaf(path, points);
      return { ...result, min: valuesAt(result.times, min.series[index]?.points ?? []),
        max: valuesAt(result.times, max.series[index]?.points ?? []) };
    }),
  };
}

function leaf(path: string, points: Pair[]): LeafHistory {
  return {
    path,
    times: points.map(([time]) => Date.parse(time) / 1000),
    values: points.map(([, value]) => numeric(value)),
  };
}

function valuesAt(times: number[], points: Pair[]): (number | null)[] {
  const byTime = new Map(points.map(([time, value]) => [Date.parse(time) / 1000, numeric(value)]));
  return times.map((time) => byTime.get(time) ?? null);
}

function numeric(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

/** A point of the live stream (`data:` of the history SSE). */
export interface LivePoint {
  path: string;
  time: string;
  value: unknown;
}

/** `history` with `point` added to its leaf (raw points only), moved on to end at `now` (as long as before). */
export function withLivePoint(history: History, point: LivePoint, now: Date): History {
  const end = Math.max(now.getTime() / 1000, history.range[1]);
  const start = end - (history.range[1] - history.range[0]);
  return {
    ...history,
    range: [start, end],
    leaves: history.leaves.map((entry) => {
      if (entry.path !== point.path) return entry;
      const keep = entry.times.findIndex((time) => time >= start);
      const first = keep === -1 ? entry.times.length : keep;
      return { ...entry, times: [...entry.times.slice(first), Date.parse(point.time) / 1000],
        values: [...entry.values.slice(first), numeric(point.value)] };
    }),
  };
}

/** The number of points in `history`. */
export function pointCount(history: History): number {
  return history.leaves.reduce((total, entry) => total + entry.times.length, 0);
}

/** The JSON pointers of the numeric leaves of a thing's attributes and its features' (desired) properties. */
export function numericLeaves(thing: { attributes?: unknown; features?: unknown }): string[] {
  const found: string[] = [];
  walk(thing.attributes, "/attributes", found);
  if (isObject(thing.features)) {
    for (const [feature, body] of Object.entries(thing.features)) {
      if (!isObject(body)) continue;
      const base = `/features/${escapeKey(feature)}`;
      walk(body.properties, `${base}/properties`, found);
      walk(body.desiredProperties, `${base}/desiredProperties`, found);
    }
  }
  return found;
}

function walk(value: unknown, pointer: string, found: string[]): void {
  if (typeof value === "number") found.push(pointer);
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) walk(child, `${pointer}/${escapeKey(key)}`, found);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function escapeKey(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}
