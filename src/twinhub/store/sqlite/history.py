"""History queries on SQLite: pages of raw points of several paths, and the partials of raw points per bucket, for
one thing or groups of things, in one statement (see `twinhub.store.buckets` for what each column sums up and
why)."""

from __future__ import annotations

import sqlite3
from typing import Any

from twinhub.history import FleetPartials
from twinhub.model.json import dumps
from twinhub.model.types import JsonValue
from twinhub.store.buckets import LARGE, BucketRequest, BucketRow, fleet_partials, sample_of_row
from twinhub.store.keys import fleet_key, fleet_key_parts

__all__ = ["BIG_INTEGERS", "FLEET_PARTIALS", "SERIES_PARTIALS", "BigIntegers", "page_sql", "raw_partials"]

BIG_INTEGERS = "twinhub_big_integers"

# A page of raw points: one key range per path (see store/points.py `page_bounds`), merged by a compound SELECT
# in page order; SQLite merges the ranges lazily (MERGE (UNION ALL)), so it reads about `limit` rows, not the
# whole ranges.
_SERIES_POINTS = ("SELECT path, t_us, revision, type, num, str FROM history_points WHERE thing_id = ? AND path = ? "
                  "AND (t_us, revision) > (?, ?) AND t_us < ?")

# The bucket of t is t - ((t % w) + w) % w: `%` truncates toward zero, so this floors before 1970 too. Deletion
# markers are no samples. Integers without text are exactly their num (at most 2**53): their sum is taken in two
# halves of 26 bits, which no realistic bucket overflows (SQLite's integer sum() fails on overflow).
_BUCKET = "h.t_us - ((h.t_us % :width) + :width) % :width"
_AGGREGATES = f"""count(*) AS n,
           count(*) FILTER (WHERE type IN (2, 3)) AS numbers,
           count(*) FILTER (WHERE type = 3) AS floats,
           sum(CAST(num AS INTEGER) >> 26) FILTER (WHERE type = 2 AND str IS NULL) AS small_high,
           sum(CAST(num AS INTEGER) & 67108863) FILTER (WHERE type = 2 AND str IS NULL) AS small_low,
           min(num) FILTER (WHERE type = 2 AND str IS NULL) AS small_min,
           max(num) FILTER (WHERE type = 2 AND str IS NULL) AS small_max,
           {BIG_INTEGERS}(str) FILTER (WHERE type = 2 AND str IS NOT NULL) AS big,
           sum(num) FILTER (WHERE type = 3 AND abs(num) < {LARGE!r}) AS float_sum,
           sum(num * {1 / LARGE!r}) FILTER (WHERE type = 3 AND abs(num) >= {LARGE!r}) AS float_sum_large,
           min(num) FILTER (WHERE type = 3) AS float_min,
           max(num) FILTER (WHERE type = 3) AS float_max"""
# ... then each bucket's first and last sample (`ends`: time, revision, thing id), read back by primary key.
_ENDS = """
SELECT e.grp, e.bucket, e.n, e.numbers, e.floats, e.small_high, e.small_low, e.small_min, e.small_max, e.big,
       e.float_sum, e.float_sum_large, e.float_min, e.float_max,
       e.first_t, e.first_revision, e.first_thing, f.type, f.num, f.str,
       e.last_t, e.last_revision, e.last_thing, l.type, l.num, l.str
FROM ends AS e
JOIN history_points AS f ON f.thing_id = e.first_thing AND f.path = :path AND f.t_us = e.first_t
     AND f.revision = e.first_revision
JOIN history_points AS l ON l.thing_id = e.last_thing AND l.path = :path AND l.t_us = e.last_t
     AND l.revision = e.last_revision
"""
# One series: its first and last times per bucket, and at each the sample of the least or greatest revision (each
# found once, where the key continues).
SERIES_PARTIALS = f"""
WITH buckets AS (
    SELECT {_BUCKET} AS bucket, {_AGGREGATES}, min(t_us) AS first_t, max(t_us) AS last_t
    FROM history_points AS h
    WHERE thing_id = :thing_id AND path = :path AND t_us >= :start AND t_us < :end AND type <> 0
    GROUP BY bucket
)
SELECT 0, b.bucket, b.n, b.numbers, b.floats, b.small_high, b.small_low, b.small_min, b.small_max, b.big,
       b.float_sum, b.float_sum_large, b.float_min, b.float_max,
       b.first_t, f.revision, :thing_id, f.type, f.num, f.str, b.last_t, l.revision, :thing_id, l.type, l.num, l.str
FROM buckets AS b
JOIN history_points AS f ON f.thing_id = :thing_id AND f.path = :path AND f.t_us = b.first_t
     AND f.revision = (SELECT min(revision) FROM history_points WHERE thing_id = :thing_id AND path = :path
                       AND t_us = b.first_t AND type <> 0)
JOIN history_points AS l ON l.thing_id = :thing_id AND l.path = :path AND l.t_us = b.last_t
     AND l.revision = (SELECT max(revision) FROM history_points WHERE thing_id = :thing_id AND path = :path
                       AND t_us = b.last_t AND type <> 0)
"""
_KEY = fleet_key("h.t_us - :start", "h.revision", "h.thing_id")
_FIRST, _LAST = (fleet_key_parts(key, integer="CAST({} AS INTEGER)") for key in ("first_key", "last_key"))
# Groups of things (`ids`: (thing id, group) pairs): first and last by a key that sorts as (time, revision, thing
# id). The things with samples per group follow as rows without a bucket, so that all is read on one snapshot.
FLEET_PARTIALS = f"""
WITH ids(thing_id, grp) AS (SELECT value ->> 0, value ->> 1 FROM json_each(:ids)),
buckets AS (
    SELECT ids.grp, {_BUCKET} AS bucket, {_AGGREGATES},
           min({_KEY}) AS first_key, max({_KEY}) AS last_key
    FROM ids JOIN history_points AS h ON h.thing_id = ids.thing_id AND h.path = :path
         AND h.t_us >= :start AND h.t_us < :end
    WHERE h.type <> 0
    GROUP BY ids.grp, bucket
), ends AS (
    SELECT b.*, :start + {_FIRST[0]} AS first_t, {_FIRST[1]} AS first_revision, {_FIRST[2]} AS first_thing,
           :start + {_LAST[0]} AS last_t, {_LAST[1]} AS last_revision, {_LAST[2]} AS last_thing
    FROM buckets AS b
)
{_ENDS}
UNION ALL
SELECT grp, NULL, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM ids
WHERE EXISTS (SELECT 1 FROM history_points AS h WHERE h.thing_id = ids.thing_id AND h.path = :path
              AND h.t_us >= :start AND h.t_us < :end AND h.type <> 0)
GROUP BY grp
"""


def page_sql(paths: int) -> str:
    """The statement of a page of `paths` paths: per path (thing id, path, lower t_us, lower revision, end), then
    the rows to fetch."""
    return " UNION ALL ".join([_SERIES_POINTS] * paths) + " ORDER BY 2, 3, 1 LIMIT ?"


class BigIntegers:
    """The aggregate `twinhub_big_integers(str)`: the exact sum, least and greatest of integers given as decimal
    text, as the text '<sum> <least> <greatest>' (NULL without rows)."""

    def __init__(self) -> None:
        self._sum = 0
        self._least: int | None = None
        self._greatest: int | None = None

    def step(self, text: str) -> None:
        value = int(text)
        self._sum += value
        self._least = value if self._least is None else min(self._least, value)
        self._greatest = value if self._greatest is None else max(self._greatest, value)

    def finalize(self) -> str | None:
        if self._least is None:
            return None
        return f"{self._sum} {self._least} {self._greatest}"


def raw_partials(connection: sqlite3.Connection, request: BucketRequest, path: str) -> list[FleetPartials]:
    """The partials of the raw points of `path` per group and bucket of `request`, in one statement, on a
    connection with `BigIntegers` registered as `BIG_INTEGERS`. One thing alone is one series: its key range
    read in order, without the fleet's sort keys."""
    if not request.members or request.start >= request.end:
        return [FleetPartials(0, {}) for _ in range(request.groups)]
    parameters: dict[str, object] = {"path": path, "start": request.start, "end": request.end,
                                     "width": request.width}
    if len(request.members) == 1:
        (thing_id, group), = request.members
        rows = [_bucket_row(row)._replace(group=group)
                for row in connection.execute(SERIES_PARTIALS, {**parameters, "thing_id": thing_id})]
        return fleet_partials(request, [(group, 1)] if rows else [], rows)
    members: list[JsonValue] = [[thing_id, group] for thing_id, group in request.members]
    rows, things = [], []
    for row in connection.execute(FLEET_PARTIALS, {**parameters, "ids": dumps(members).decode()}):
        if row[1] is None:
            things.append((row[0], row[2]))
        else:
            rows.append(_bucket_row(row))
    return fleet_partials(request, things, rows)


def _bucket_row(row: tuple[Any, ...]) -> BucketRow:
    high, low, big = row[5], row[6], row[9]
    small_sum = high * 2**26 + low if isinstance(high, int) and isinstance(low, int) else None
    big_sum, big_min, big_max = map(int, big.split()) if isinstance(big, str) else (None, None, None)
    return BucketRow(row[0], row[1], row[2], row[3], row[4], small_sum, row[7], row[8],
                     big_sum, big_min, big_max, row[10], row[11], row[12], row[13],
                     sample_of_row(row[14:20]), sample_of_row(row[20:26]))
