"""History rollups on SQLite beyond the write path: a series' rollup partials, and bucket queries answered through
the plan (`twinhub.store.planned`): raw ends by `raw_partials`, rollups between, all on one read snapshot."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from twinhub.history import FleetPartials, Partial
from twinhub.history.plan import Segment
from twinhub.model.json import dumps
from twinhub.model.types import JsonValue
from twinhub.store.buckets import BucketRequest
from twinhub.store.planned import Density, alone, merge_segments, segment_requests
from twinhub.store.points import INTEGER, to_micros
from twinhub.store.rollups import (
    COLUMNS,
    FleetDialect,
    decode_partial,
    fleet_rollup_partials,
    fleet_rollups_sql,
    width_micros,
)
from twinhub.store.sqlite.history import BIG_INTEGERS, raw_partials

__all__ = ["DENSITY", "RAW_SAMPLES", "SERIES_ROLLUPS", "RollupReads", "planned_partials"]

_T = TypeVar("_T")

# One series' rollup buckets of one width, by the key.
SERIES_ROLLUPS = (f"SELECT {', '.join(COLUMNS[3:])} FROM history_rollups WHERE thing_id = ? AND path = ? "
                  "AND width_us = ? AND bucket_us >= ? AND bucket_us < ? ORDER BY bucket_us")
_IDS = "SELECT value ->> 0, value ->> 1 FROM json_each(:ids)"
_SAFE = "9007199254740992.0"  # 2**53: integers within it are exactly their num
_FLEET_ROLLUPS = fleet_rollups_sql(_IDS, FleetDialect(
    integers=("sum(h.isum >> 26) FILTER (WHERE typeof(h.isum) = 'integer')",
              "sum(h.isum & 67108863) FILTER (WHERE typeof(h.isum) = 'integer')",
              f"{BIG_INTEGERS}(h.isum) FILTER (WHERE typeof(h.isum) = 'text')"),
    extremes=(f"min(h.min_num) FILTER (WHERE h.min_type = {INTEGER} AND abs(h.min_num) < {_SAFE})",
              f"{BIG_INTEGERS}(h.min_str) FILTER (WHERE h.min_type = {INTEGER} AND abs(h.min_num) >= {_SAFE})",
              f"max(h.max_num) FILTER (WHERE h.max_type = {INTEGER} AND abs(h.max_num) < {_SAFE})",
              f"{BIG_INTEGERS}(h.max_str) FILTER (WHERE h.max_type = {INTEGER} AND abs(h.max_num) >= {_SAFE})"),
    text="({})", thing="h.thing_id",
    path=":path", width=":width", start=":start", end=":end"))
# The things of each group with a sample in the whole range: a raw point, or a bucket of the rollup segment.
_CONTRIBUTORS = f"""
WITH ids(thing_id, grp) AS ({_IDS})
SELECT grp, count(*) FROM ids
WHERE EXISTS (SELECT 1 FROM history_points AS h WHERE h.thing_id = ids.thing_id AND h.path = :path
              AND h.t_us >= :start AND h.t_us < :end AND h.type <> 0)
   OR EXISTS (SELECT 1 FROM history_rollups AS r WHERE r.thing_id = ids.thing_id AND r.path = :path
              AND r.width_us = :width AND r.bucket_us >= :inner_start AND r.bucket_us < :inner_end)
GROUP BY grp
"""
# The rollup segment's rows and samples (each thing's key range: CROSS JOIN keeps the planner off the index by
# age), then (when sparse) its raw samples, counted up to :limit.
DENSITY = f"""
WITH ids(thing_id, grp) AS ({_IDS})
SELECT count(*), coalesce(sum(r.count), 0) FROM ids CROSS JOIN history_rollups AS r ON r.thing_id = ids.thing_id
     AND r.path = :path AND r.width_us = :width AND r.bucket_us >= :start AND r.bucket_us < :end
"""
RAW_SAMPLES = f"""
WITH ids(thing_id, grp) AS ({_IDS})
SELECT count(*) FROM (SELECT 1 FROM ids JOIN history_points AS h ON h.thing_id = ids.thing_id AND h.path = :path
                      AND h.t_us >= :start AND h.t_us < :end AND h.type <> 0 LIMIT :limit)
"""


def _ids(request: BucketRequest) -> str:
    members: list[JsonValue] = [[thing_id, group] for thing_id, group in request.members]
    return dumps(members).decode()


def planned_partials(connection: sqlite3.Connection, request: BucketRequest,
                     parts: Sequence[tuple[Segment, BucketRequest]], path: str, step: timedelta) -> list[FleetPartials]:
    """`Store.fleet_buckets` through the plan `segment_requests` made."""
    rollup = next((part for segment, part in parts if segment.width is not None), None)
    if rollup is None or not request.members:
        return raw_partials(connection, request, path)
    found: list[tuple[Segment, Sequence[dict[datetime, Partial]]]] = []
    connection.execute("BEGIN")  # one snapshot for every segment
    try:
        if _raw_is_cheaper(connection, rollup, path):
            return raw_partials(connection, request, path)
        for segment, part in parts:
            if segment.width is None:
                found.append((segment, [fleet.partials for fleet in raw_partials(connection, part, path)]))
            elif len(part.members) == 1:  # one thing: its own rows, no combining across things
                (thing_id, group), = part.members
                series = connection.execute(SERIES_ROLLUPS, (thing_id, path, part.width, part.start, part.end))
                found.append((segment, alone(request.groups, group, (decode_partial(thing_id, path, row)
                                                                      for row in series))))
            else:
                rows = connection.execute(_FLEET_ROLLUPS, {"ids": _ids(part), "path": path, "width": part.width,
                                                           "start": part.start, "end": part.end}).fetchall()
                found.append((segment, fleet_rollup_partials(request.groups, path, rows)))
        counts = dict(connection.execute(_CONTRIBUTORS, {
            "ids": _ids(request), "path": path, "start": request.start, "end": request.end, "width": rollup.width,
            "inner_start": rollup.start, "inner_end": rollup.end}).fetchall())
    finally:
        connection.execute("COMMIT")
    return merge_segments(request, found, [counts.get(group, 0) for group in range(request.groups)], step)


def _raw_is_cheaper(connection: sqlite3.Connection, rollup: BucketRequest, path: str) -> bool:
    """Whether the rollup segment's rows are sparse and all their samples still raw points (see `Density`)."""
    bounds = {"ids": _ids(rollup), "path": path, "start": rollup.start, "end": rollup.end}
    density = Density(*connection.execute(DENSITY, {**bounds, "width": rollup.width}).fetchone())
    if not density.sparse:
        return False
    raw, = connection.execute(RAW_SAMPLES, {**bounds, "limit": density.samples + 1}).fetchone()
    return density.complete(raw)


class RollupReads:
    """The rollup reads of `SqliteStore`, in its reader threads (`_read`), with the widths it maintains."""

    _rollups: tuple[timedelta, ...]

    async def _read(self, query: Callable[[sqlite3.Connection], _T]) -> _T:
        raise NotImplementedError

    async def rollups(self, thing_id: str, path: str, *, start: datetime, end: datetime,
                      width: timedelta) -> dict[datetime, Partial]:
        """See `Store.rollups`."""
        arguments = (thing_id, path, *width_micros([width]), to_micros(start), to_micros(end))

        def query(connection: sqlite3.Connection) -> dict[datetime, Partial]:
            return dict(decode_partial(thing_id, path, row) for row in connection.execute(SERIES_ROLLUPS, arguments))

        return await self._read(query)

    async def fleet_buckets(self, groups: Sequence[Sequence[str]], path: str, *, start: datetime, end: datetime,
                            step: timedelta) -> list[FleetPartials]:
        """See `Store.fleet_buckets`: through the rollups where the plan finds one (`twinhub.history.plan`)."""
        request, parts = segment_requests(groups, start, end, step, self._rollups)  # raises ValueError
        return await self._read(lambda connection: planned_partials(connection, request, parts, path, step))
