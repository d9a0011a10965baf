"""History rollups read on PostgreSQL: a series' rollup partials, and bucket queries answered through the plan
(`twinhub.store.planned`): raw ends by `raw_partials`, rollups between, on one repeatable-read snapshot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from twinhub.history import FleetPartials, Partial
from twinhub.history.plan import Segment
from twinhub.model.errors import ServiceUnavailable
from twinhub.store.buckets import BucketRequest
from twinhub.store.planned import Density, alone, merge_segments, segment_requests
from twinhub.store.points import INTEGER, to_micros
from twinhub.store.postgres.errors import PooledConnection
from twinhub.store.postgres.history import raw_partials
from twinhub.store.postgres.rows import encode_text, stored_rollup, unescaped
from twinhub.store.rollups import (
    COLUMNS,
    FleetDialect,
    decode_partial,
    fleet_rollup_partials,
    fleet_rollups_sql,
    width_micros,
)

__all__ = ["RollupReads", "planned_partials"]

_T = TypeVar("_T")

# One series' rollup buckets of one width, by the key.
_SERIES_ROLLUPS = (f"SELECT {', '.join(COLUMNS[3:])} FROM history_rollups WHERE thing_id = $1 AND path = $2 "
                   "AND width_us = $3 AND bucket_us >= $4 AND bucket_us < $5 ORDER BY bucket_us")
_IDS = "SELECT * FROM unnest($1::text[], $2::int[])"
_FLEET_ROLLUPS = fleet_rollups_sql(_IDS, FleetDialect(
    integers=("0", "sum(h.isum)", "0"),
    extremes=("NULL::bigint", f"min((h.min_str)::numeric) FILTER (WHERE h.min_type = {INTEGER})",
              "NULL::bigint", f"max((h.max_str)::numeric) FILTER (WHERE h.max_type = {INTEGER})"),
    text="({})::text", thing='h.thing_id COLLATE "C"',
    path="$3", width="$4", start="$5", end="$6"))
# The things of each group with a sample in the whole range: a raw point, or a bucket of the rollup segment.
_CONTRIBUTORS = f"""
WITH ids(thing_id, grp) AS ({_IDS})
SELECT grp, count(*) FROM ids
WHERE EXISTS (SELECT FROM history_points AS h WHERE h.thing_id = ids.thing_id AND h.path = $3
              AND h.t_us >= $4 AND h.t_us < $5 AND h.type <> 0)
   OR EXISTS (SELECT FROM history_rollups AS r WHERE r.thing_id = ids.thing_id AND r.path = $3
              AND r.width_us = $6 AND r.bucket_us >= $7 AND r.bucket_us < $8)
GROUP BY grp
"""
# The rollup segment's rows and samples, then (when sparse) its raw samples, counted up to $7; per thing by its key
# range (LATERAL: not a hash of the whole width's rows by the index by age).
_DENSITY = f"""
WITH ids(thing_id, grp) AS ({_IDS})
SELECT coalesce(sum(r.rows), 0)::bigint, coalesce(sum(r.samples), 0)::bigint FROM ids CROSS JOIN LATERAL (
    SELECT count(*) AS rows, sum(count) AS samples FROM history_rollups WHERE thing_id = ids.thing_id AND path = $3
    AND width_us = $6 AND bucket_us >= $4 AND bucket_us < $5) AS r
"""
_RAW_SAMPLES = f"""
WITH ids(thing_id, grp) AS ({_IDS})
SELECT count(*) FROM (SELECT FROM ids CROSS JOIN LATERAL (
    SELECT FROM history_points WHERE thing_id = ids.thing_id AND path = $3 AND t_us >= $4 AND t_us < $5
    AND type <> 0) AS h LIMIT $6) AS raw
"""
# asyncpg prepares each statement once per connection; after five runs PostgreSQL may switch it to a generic plan,
# chosen without the parameters: 1,000 things at 1 h then went from 0.1 s to 3 s (the whole width's rollup rows
# hashed through the index by age). Planning each run costs well under a millisecond.
_CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"
_FIRST_STR, _LAST_STR = 22, 27  # in a row of _FLEET_ROLLUPS


def _ids(request: BucketRequest) -> tuple[list[str], list[int]]:
    return [thing_id for thing_id, _ in request.members], [group for _, group in request.members]


async def planned_partials(connection: PooledConnection, request: BucketRequest, parts: Sequence[tuple[Segment,
                           BucketRequest]], path: str, step: timedelta) -> list[FleetPartials]:
    """`Store.fleet_buckets` through the plan `segment_requests` made, on one snapshot, each statement planned for
    its parameters (`_CUSTOM_PLANS`)."""
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        await connection.execute(_CUSTOM_PLANS)
        return await _planned(connection, request, parts, path, step)


async def _planned(connection: PooledConnection, request: BucketRequest, parts: Sequence[tuple[Segment,
                   BucketRequest]], path: str, step: timedelta) -> list[FleetPartials]:
    rollup = next((part for segment, part in parts if segment.width is not None), None)
    if rollup is None or not request.members or await _raw_is_cheaper(connection, rollup, path):
        return await raw_partials(connection, request, path)
    found: list[tuple[Segment, Sequence[dict[datetime, Partial]]]] = []
    for segment, part in parts:
        if segment.width is None:
            found.append((segment, [fleet.partials for fleet in await raw_partials(connection, part, path)]))
        elif len(part.members) == 1:  # one thing: its own rows, no combining across things
            (thing_id, group), = part.members
            series = await connection.fetch(_SERIES_ROLLUPS, thing_id, encode_text(path), part.width, part.start,
                                            part.end)
            found.append((segment, alone(request.groups, group, (decode_partial(thing_id, path,
                                                                                stored_rollup(tuple(row)))
                                                                 for row in series))))
        else:
            rows = await connection.fetch(_FLEET_ROLLUPS, *_ids(part), encode_text(path), part.width,
                                          part.start, part.end)
            read = [unescaped(tuple(row), _FIRST_STR, _LAST_STR) for row in rows]
            found.append((segment, fleet_rollup_partials(request.groups, path, read)))
    counted = await connection.fetch(_CONTRIBUTORS, *_ids(request), encode_text(path), request.start,
                                     request.end, rollup.width, rollup.start, rollup.end)
    counts: dict[int, int] = {row[0]: row[1] for row in counted}
    return merge_segments(request, found, [counts.get(group, 0) for group in range(request.groups)], step)


async def _raw_is_cheaper(connection: PooledConnection, rollup: BucketRequest, path: str) -> bool:
    """Whether the rollup segment's rows are sparse and all their samples still raw points (see `Density`)."""
    bounds = (*_ids(rollup), encode_text(path), rollup.start, rollup.end)
    rows, samples = await connection.fetchrow(_DENSITY, *bounds, rollup.width) or (0, 0)
    density = Density(rows, samples)
    if not density.sparse:
        return False
    return density.complete(await connection.fetchval(_RAW_SAMPLES, *bounds, density.samples + 1))


class RollupReads:
    """The rollup reads of `PostgresStore`, on its readers' pool (`_read`), with the widths it maintains."""

    _rollups: tuple[timedelta, ...]

    async def _read(self, statement: Callable[[PooledConnection], Awaitable[_T]]) -> _T:
        raise NotImplementedError

    async def rollups(self, thing_id: str, path: str, *, start: datetime, end: datetime,
                      width: timedelta) -> dict[datetime, Partial]:
        """See `Store.rollups`."""
        arguments = (thing_id, encode_text(path), *width_micros([width]), to_micros(start), to_micros(end))
        rows = await self._read(lambda connection: connection.fetch(_SERIES_ROLLUPS, *arguments))
        try:
            return dict(decode_partial(thing_id, path, stored_rollup(tuple(row))) for row in rows)
        except ValueError as exc:  # an undecodable row
            raise ServiceUnavailable("The thing store could not be read.") from exc

    async def fleet_buckets(self, groups: Sequence[Sequence[str]], path: str, *, start: datetime, end: datetime,
                            step: timedelta) -> list[FleetPartials]:
        """See `Store.fleet_buckets`: through the rollups where the plan finds one (`twinhub.history.plan`)."""
        request, parts = segment_requests(groups, start, end, step, self._rollups)  # raises ValueError
        try:
            return await self._read(lambda connection: planned_partials(connection, request, parts, path, step))
        except ValueError as exc:  # an undecodable row
            raise ServiceUnavailable("The thing store could not be read.") from exc

