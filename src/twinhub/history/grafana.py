"""Grafana's JSON data source (the simpod-json-datasource plugin) over history: its `/query` body in, its
time-series answer out, with no I/O.

A target names one series as `<thingId><path>`, the thing id up to the first `/` (Ditto ids hold none):
`ns:sensor-1/features/temperature/properties/value`. Its `payload` may choose the aggregation
(`{"agg": "max"}`, default mean). The bucket step is Grafana's `intervalMs` in whole seconds, widened to 1s..1d
and to at most `MAX_BUCKETS` buckets over the range for all targets together: Grafana asks for what it can
draw, never for an error (except a range so long that even daily buckets are too many: 400).
The answer is `[{"target", "datapoints": [[value, epoch_ms], ...]}]`, one entry per target in request order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from twinhub.history.aggregate import Aggregation
from twinhub.history.query import MAX_PATHS, parse_agg, parse_paths
from twinhub.history.series import Scalar, micros
from twinhub.history.timespec import MAX_BUCKETS, MAX_STEP, MIN_STEP, TimeRange, bucket_count, parse_range
from twinhub.model.errors import JsonFieldMissing, RequestInvalid
from twinhub.model.types import JsonObject, JsonValue

__all__ = ["GrafanaQuery", "GrafanaTarget", "parse_grafana_query", "render_grafana_series", "split_target"]


@dataclass(frozen=True, slots=True)
class GrafanaTarget:
    """One series a panel asks for."""

    ref_id: str
    target: str  # as Grafana sent it; the answer names the series with it
    thing_id: str
    path: str
    agg: Aggregation


@dataclass(frozen=True, slots=True)
class GrafanaQuery:
    range: TimeRange
    step: timedelta
    targets: tuple[GrafanaTarget, ...]


def split_target(target: str) -> tuple[str, str]:
    """The thing id and normalised path of a target; raises RequestInvalid or the pointer errors."""
    thing_id, slash, path = target.partition("/")
    if not thing_id or not slash:
        raise RequestInvalid(f"The target <{target[:200]}> names no thing and path.",
                             "Write a target as <thingId>/<path>, as ns:sensor/features/t/properties/value.")
    if "," in path:
        raise RequestInvalid(f"The target <{target[:200]}> holds a comma.", "A target names one path.")
    (normalised,) = parse_paths("/" + path)
    return thing_id, normalised


def _object(value: JsonValue | None, name: str) -> JsonObject:
    if not isinstance(value, dict):
        raise JsonFieldMissing(f"The query has no object <{name}>.")
    return value


def _step(interval_ms: JsonValue | None, time_range: TimeRange, targets: int) -> timedelta:
    wanted = timedelta(seconds=interval_ms // 1000) if isinstance(interval_ms, int) and interval_ms > 0 else MIN_STEP
    span = time_range.end - time_range.start
    # the least whole-second step that keeps all targets together within MAX_BUCKETS buckets (-1 each:
    # alignment may add one)
    per_target = max(MAX_BUCKETS // max(targets, 1) - 1, 1)
    least = timedelta(seconds=-(-span.total_seconds() // per_target))
    return min(max(wanted, least, MIN_STEP), MAX_STEP)


def parse_grafana_query(body: JsonValue, now: datetime) -> GrafanaQuery:
    """The query of a `/query` body; raises JsonFieldMissing, RequestInvalid or the History*Invalid errors."""
    query = _object(body, "")
    raw_range = _object(query.get("range"), "range")
    start, end = raw_range.get("from"), raw_range.get("to")
    if not isinstance(start, str) or not isinstance(end, str):
        raise JsonFieldMissing("The query's range has no <from> and <to> times.")
    time_range = parse_range(start, end, now)
    raw_targets = query.get("targets")
    if not isinstance(raw_targets, list):
        raise JsonFieldMissing("The query has no list <targets>.")
    if len(raw_targets) > MAX_PATHS:
        raise RequestInvalid(f"The query has {len(raw_targets)} targets; at most {MAX_PATHS}.")
    targets = []
    for raw in raw_targets:
        item = _object(raw, "targets[]")
        target, ref_id, payload = item.get("target"), item.get("refId", ""), item.get("payload")
        if not isinstance(target, str) or not isinstance(ref_id, str):
            raise JsonFieldMissing("Each target has a string <target>.")
        agg_name = payload.get("agg", "mean") if isinstance(payload, dict) else "mean"
        if not isinstance(agg_name, str):
            raise RequestInvalid("A target's payload names its aggregation as a string.")
        thing_id, path = split_target(target)
        targets.append(GrafanaTarget(ref_id, target, thing_id, path, parse_agg(agg_name)))
    step = _step(query.get("intervalMs"), time_range, len(targets))
    # a range too long even for daily buckets is refused here, as for the history API (the stores would not)
    bucket_count(time_range, step, limit=MAX_BUCKETS // max(len(targets), 1))
    return GrafanaQuery(time_range, step, tuple(targets))


def render_grafana_series(target: GrafanaTarget, buckets: Iterable[tuple[datetime, Scalar]]) -> JsonObject:
    """One target's answer from its buckets (start, value), oldest first: datapoints `[value, epoch_ms]`."""
    datapoints: list[JsonValue] = [[value, micros(start) // 1000] for start, value in buckets]
    return {"target": target.target, "refId": target.ref_id, "datapoints": datapoints}
