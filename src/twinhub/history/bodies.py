"""The JSON bodies of the history API (pure): raw points, buckets of one thing, fleet series.

One path named in the URL answers `{"thingId", "path", "points"}`; a request with `paths=` answers one series per
path, in the order asked, each present even when empty: `{"thingId", "series": [{"path", "points"}, ...]}`. Raw
points are `[time, value]` (value null where the leaf was removed), oldest first, with a `cursor` when more
follow (one cursor for all series of the request: pages run through their points in time order). Aggregated
answers carry `step` and `agg`, and `[bucket_start, value]` per bucket that has data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from twinhub.history.aggregate import Aggregation, Partial, finish
from twinhub.history.fleet import FleetSeries
from twinhub.history.points import Point
from twinhub.history.series import Scalar, format_time
from twinhub.model.types import JsonObject, JsonValue

__all__ = [
    "ExportRow",
    "SeriesBuckets",
    "aggregated_body",
    "bucket_rows",
    "buckets_of",
    "fleet_body",
    "point_rows",
    "raw_body",
]


@dataclass(frozen=True, slots=True)
class SeriesBuckets:
    """The finished buckets of one path: (bucket start, value), oldest first."""

    path: str  # as the API spells it, `/features/t/properties/value`
    buckets: list[tuple[datetime, Scalar]]


@dataclass(frozen=True, slots=True)
class ExportRow:
    """A row of an export (a `RecordedPoint`): a point with a value, or a bucket (its start as the time, and
    revision 0: an aggregate has none)."""

    thing_id: str
    path: str  # as points spell it, without the leading slash
    time: datetime
    value: Scalar
    revision: int = 0


def buckets_of(path: str, partials: dict[datetime, Partial], agg: Aggregation) -> SeriesBuckets:
    """The buckets of `path` from the store's partials; raises HistoryAggregationInvalid as `finish` does."""
    return SeriesBuckets(path, [(start, finish(partials[start], agg)) for start in sorted(partials)])


def _pairs(pairs: Iterable[tuple[datetime, Scalar | None]]) -> list[JsonValue]:
    return [[format_time(time), value] for time, value in pairs]


def _body(thing_id: str, series: Sequence[tuple[str, list[JsonValue]]], several: bool) -> JsonObject:
    if several:
        return {"thingId": thing_id, "series": [{"path": path, "points": points} for path, points in series]}
    ((path, points),) = series
    return {"thingId": thing_id, "path": path, "points": points}


def raw_body(thing_id: str, paths: Sequence[str], points: Sequence[Point], cursor: str | None, *,
             several: bool) -> JsonObject:
    """The answer of a raw page: `paths` as the API spells them, `points` as the store gives them (a path
    without its leading slash), in page order."""
    by_path: dict[str, list[tuple[datetime, Scalar | None]]] = {path: [] for path in paths}
    for point in points:
        by_path["/" + point.path].append((point.time, point.value))
    body = _body(thing_id, [(path, _pairs(pairs)) for path, pairs in by_path.items()], several)
    if cursor is not None:
        body["cursor"] = cursor
    return body


def aggregated_body(thing_id: str, series: Sequence[SeriesBuckets], agg: Aggregation, step_text: str, *,
                    several: bool) -> JsonObject:
    """The answer of an aggregated query: `step` as `format_step` writes it."""
    body = _body(thing_id, [(one.path, _pairs(one.buckets)) for one in series], several)
    return {**body, "step": step_text, "agg": agg.value}


def bucket_rows(thing_id: str, series: Sequence[SeriesBuckets]) -> list[ExportRow]:
    """The export rows of aggregated series, path by path."""
    return [ExportRow(thing_id, one.path[1:], start, value) for one in series for start, value in one.buckets]


def point_rows(points: Iterable[Point]) -> list[ExportRow]:
    """The export rows of raw points: deletion markers are left out (line protocol and typed columns have no
    null; the JSON answer shows them)."""
    return [ExportRow(point.thing_id, point.path, point.time, point.value, point.revision)
            for point in points if point.value is not None]


def fleet_body(path: str, step: str, agg: Aggregation, series: Sequence[FleetSeries]) -> JsonObject:
    """The answer of a fleet aggregation: one entry per group, with the number of things in it."""
    return {"path": path, "step": step, "agg": agg.value,
            "series": [{"group": one.group, "things": one.things, "points": [list[JsonValue](bucket)
                                                                               for bucket in one.points]}
                       for one in series]}

