"""History aggregation on SQLite: the partials of raw points per bucket, for one thing or groups of things, in one
statement (see `twinhub.store.buckets` for what each column sums up and why)."""

from __future__ import annotations

import sqlite3

from twinhub.history import FleetPartials
from twinhub.model.json import dumps
from twinhub.model.types import JsonValue
from twinhub.store.buckets import LARGE, BucketRequest, BucketRow, fleet_partials, sample_of_key

__all__ = ["BIG_INTEGERS", "BigIntegers", "raw_partials"]

BIG_INTEGERS = "twinhub_big_integers"

# `ids` are the request's (thing id, group) pairs; `raw` the samples in range (deletion markers left out). The
# bucket of t is t - ((t % w) + w) % w: `%` truncates toward zero, so this floors before 1970 too. Integers
# without text are exactly their num (at most 2**53): their sum is taken in two halves of 26 bits, which no
# realistic bucket overflows (SQLite's integer sum() fails on overflow). The things with samples per group follow
# as rows without a bucket, so that everything is read on one snapshot.
_RAW_PARTIALS = f"""
WITH ids(thing_id, grp) AS (SELECT value ->> 0, value ->> 1 FROM json_each(:ids)),
raw AS (
    SELECT ids.grp, h.thing_id, h.t_us - ((h.t_us % :width) + :width) % :width AS bucket, h.t_us, h.revision,
           h.type, h.num, h.str, printf('%019d%019d', h.t_us - :start, h.revision) || h.thing_id AS key
    FROM ids JOIN history_points AS h ON h.thing_id = ids.thing_id AND h.path = :path
         AND h.t_us >= :start AND h.t_us < :end
    WHERE h.type <> 0
), buckets AS (
    SELECT grp, bucket, count(*) AS n,
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
           max(num) FILTER (WHERE type = 3) AS float_max,
           min(key) AS first_key, max(key) AS last_key
    FROM raw GROUP BY grp, bucket
)
SELECT b.*, f.type, f.num, f.str, l.type, l.num, l.str
FROM buckets AS b
JOIN history_points AS f ON f.thing_id = substr(b.first_key, 39) AND f.path = :path
     AND f.t_us = :start + CAST(substr(b.first_key, 1, 19) AS INTEGER)
     AND f.revision = CAST(substr(b.first_key, 20, 19) AS INTEGER)
JOIN history_points AS l ON l.thing_id = substr(b.last_key, 39) AND l.path = :path
     AND l.t_us = :start + CAST(substr(b.last_key, 1, 19) AS INTEGER)
     AND l.revision = CAST(substr(b.last_key, 20, 19) AS INTEGER)
UNION ALL
SELECT grp, NULL, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL
FROM ids
WHERE EXISTS (SELECT 1 FROM history_points AS h WHERE h.thing_id = ids.thing_id AND h.path = :path
              AND h.t_us >= :start AND h.t_us < :end AND h.type <> 0)
GROUP BY grp
"""


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
    connection with `BigIntegers` registered as `BIG_INTEGERS`."""
    if not request.members or request.start >= request.end:
        return [FleetPartials(0, {}) for _ in range(request.groups)]
    members: list[JsonValue] = [[thing_id, group] for thing_id, group in request.members]
    parameters = {"ids": dumps(members).decode(), "path": path, "start": request.start,
                  "end": request.end, "width": request.width}
    rows: list[BucketRow] = []
    things: list[tuple[int, int]] = []
    for row in connection.execute(_RAW_PARTIALS, parameters):
        if row[1] is None:
            things.append((row[0], row[2]))
            continue
        big_sum, big_min, big_max = (None, None, None) if row[9] is None else map(int, row[9].split())
        rows.append(BucketRow(
            row[0], row[1], row[2], row[3], row[4],
            None if row[5] is None else row[5] * 2**26 + row[6], row[7], row[8],
            big_sum, big_min, big_max, row[10], row[11], row[12], row[13],
            sample_of_key(row[14], request.start, row[16:19]), sample_of_key(row[15], request.start, row[19:22])))
    return fleet_partials(request, things, rows)
