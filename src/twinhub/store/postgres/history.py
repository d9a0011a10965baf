"""History on PostgreSQL beyond the write path: pages of raw points of several paths, the partials of raw points
per bucket for one thing or groups of things in one statement (see `twinhub.store.buckets` for what each column
sums up and why), and the bulk import."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from twinhub.history import FleetPartials
from twinhub.store.buckets import LARGE, BucketRequest, BucketRow, fleet_partials, sample_of_row
from twinhub.store.keys import fleet_key, fleet_key_parts
from twinhub.store.points import PointRow
from twinhub.store.postgres.errors import PooledConnection
from twinhub.store.postgres.rollup_writes import upsert_rollups
from twinhub.store.postgres.rows import encode_text, unescaped

__all__ = ["FLEET_PARTIALS", "SERIES_PARTIALS", "import_points", "page_sql", "raw_partials"]

# A page of raw points: one key range per path (see store/points.py `page_bounds`), each ordered and limited
# on its own, so that the planner merges them (Merge Append) and reads about `limit` rows, not whole ranges.
_SERIES_POINTS = ("(SELECT path, t_us, revision, type, num, str FROM history_points WHERE thing_id = $1 "
                  "AND path = ${} AND (t_us, revision) > (${}, ${}) AND t_us < $2 ORDER BY t_us, revision LIMIT $3)")

# The bucket of t is t - ((t % w) + w) % w: `%` truncates toward zero, so this floors before 1970 too. Deletion
# markers are no samples. Integer and numeric sums are exact (sum(bigint) is numeric).
_AGGREGATES = f"""count(*) AS n,
           count(*) FILTER (WHERE type IN (2, 3)) AS numbers,
           count(*) FILTER (WHERE type = 3) AS floats,
           sum(num::bigint) FILTER (WHERE type = 2 AND str IS NULL) AS small_sum,
           min(num) FILTER (WHERE type = 2 AND str IS NULL) AS small_min,
           max(num) FILTER (WHERE type = 2 AND str IS NULL) AS small_max,
           sum(str::numeric) FILTER (WHERE type = 2 AND str IS NOT NULL) AS big_sum,
           min(str::numeric) FILTER (WHERE type = 2 AND str IS NOT NULL) AS big_min,
           max(str::numeric) FILTER (WHERE type = 2 AND str IS NOT NULL) AS big_max,
           sum(num) FILTER (WHERE type = 3 AND abs(num) < {LARGE!r}) AS float_sum,
           sum(num * {1 / LARGE!r}) FILTER (WHERE type = 3 AND abs(num) >= {LARGE!r}) AS float_sum_large,
           min(num) FILTER (WHERE type = 3) AS float_min,
           max(num) FILTER (WHERE type = 3) AS float_max"""
# ... then each bucket's first and last sample (`ends`: time, revision, thing id), read back by primary key
# (LIMIT 1 keeps the planner from joining them as a hash of the whole table).
_ENDS = """
SELECT e.grp, e.bucket, e.n, e.numbers, e.floats, e.small_sum, e.small_min, e.small_max, e.big_sum, e.big_min,
       e.big_max, e.float_sum, e.float_sum_large, e.float_min, e.float_max,
       e.first_t, e.first_revision, e.first_thing, f.type, f.num, f.str,
       e.last_t, e.last_revision, e.last_thing, l.type, l.num, l.str
FROM ends AS e
CROSS JOIN LATERAL (SELECT type, num, str FROM history_points WHERE thing_id = e.first_thing AND path = $2
                    AND t_us = e.first_t AND revision = e.first_revision LIMIT 1) AS f
CROSS JOIN LATERAL (SELECT type, num, str FROM history_points WHERE thing_id = e.last_thing AND path = $2
                    AND t_us = e.last_t AND revision = e.last_revision LIMIT 1) AS l
"""
# One series ($1 its thing id; $2 the path, [$3, $4) the range, $5 the bucket width): its first and last times
# per bucket, and at each the sample of the least or greatest revision, the next rows of the key.
SERIES_PARTIALS = f"""
WITH buckets AS (
    SELECT t_us - ((t_us % $5) + $5) % $5 AS bucket, {_AGGREGATES}, min(t_us) AS first_t, max(t_us) AS last_t
    FROM history_points
    WHERE thing_id = $1 AND path = $2 AND t_us >= $3 AND t_us < $4 AND type <> 0
    GROUP BY bucket
)
SELECT 0, b.bucket, b.n, b.numbers, b.floats, b.small_sum, b.small_min, b.small_max, b.big_sum, b.big_min,
       b.big_max, b.float_sum, b.float_sum_large, b.float_min, b.float_max,
       b.first_t, f.revision, $1, f.type, f.num, f.str, b.last_t, l.revision, $1, l.type, l.num, l.str
FROM buckets AS b
CROSS JOIN LATERAL (SELECT revision, type, num, str FROM history_points WHERE thing_id = $1 AND path = $2
                    AND t_us = b.first_t AND type <> 0 ORDER BY revision LIMIT 1) AS f
CROSS JOIN LATERAL (SELECT revision, type, num, str FROM history_points WHERE thing_id = $1 AND path = $2
                    AND t_us = b.last_t AND type <> 0 ORDER BY revision DESC LIMIT 1) AS l
"""
_KEY = fleet_key("h.t_us - $3", "h.revision", 'h.thing_id COLLATE "C"', text="({})::text")
_FIRST, _LAST = (fleet_key_parts(key, integer="{}::bigint") for key in ("first_key", "last_key"))
# Groups of things ($1, $6: thing ids and their groups): first and last by a key that sorts as (time, revision,
# thing id). The things with samples per group follow as rows without a bucket, so all is read on one snapshot.
FLEET_PARTIALS = f"""
WITH ids AS (SELECT * FROM unnest($1::text[], $6::int[]) AS ids(thing_id, grp)),
buckets AS (
    SELECT ids.grp, h.t_us - ((h.t_us % $5) + $5) % $5 AS bucket, {_AGGREGATES},
           min({_KEY}) AS first_key, max({_KEY}) AS last_key
    FROM ids JOIN history_points AS h ON h.thing_id = ids.thing_id AND h.path = $2 AND h.t_us >= $3 AND h.t_us < $4
    WHERE h.type <> 0
    GROUP BY 1, 2
), ends AS (
    SELECT b.*, $3 + {_FIRST[0]} AS first_t, {_FIRST[1]} AS first_revision, {_FIRST[2]} AS first_thing,
           $3 + {_LAST[0]} AS last_t, {_LAST[1]} AS last_revision, {_LAST[2]} AS last_thing
    FROM buckets AS b
)
{_ENDS}
UNION ALL
SELECT grp, NULL, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM ids
WHERE EXISTS (SELECT FROM history_points AS h WHERE h.thing_id = ids.thing_id AND h.path = $2
              AND h.t_us >= $3 AND h.t_us < $4 AND h.type <> 0)
GROUP BY grp
"""

# The bulk path: COPY into a session's staging table (emptied by each commit), then one INSERT that skips the
# points already stored.
_STAGE = "CREATE TEMP TABLE IF NOT EXISTS history_import (LIKE history_points) ON COMMIT DELETE ROWS"
_IMPORT = "INSERT INTO history_points SELECT * FROM history_import ON CONFLICT DO NOTHING RETURNING *"


def page_sql(paths: int) -> str:
    """The statement of a page of `paths` paths: the thing id, the end, the rows to fetch, then per path (path,
    lower t_us, lower revision)."""
    arms = " UNION ALL ".join(_SERIES_POINTS.format(4 + 3 * index, 5 + 3 * index, 6 + 3 * index)
                              for index in range(paths))
    return f"SELECT * FROM ({arms}) AS page ORDER BY 2, 3, 1 LIMIT $3"


async def import_points(connection: PooledConnection, rows: Sequence[PointRow], rollups: Sequence[int] = ()) -> int:
    """Write `rows` (escaped as `point_record` does) in one transaction, with the rollups (of `rollups`, widths in
    microseconds) of those that were new; how many were new."""
    async with connection.transaction():
        await connection.execute(_STAGE)
        await connection.copy_records_to_table("history_import", records=rows)
        written = await connection.fetch(_IMPORT)
        await upsert_rollups(connection, [tuple(row) for row in written], rollups)
    return len(written)


async def raw_partials(connection: PooledConnection, request: BucketRequest, path: str) -> list[FleetPartials]:
    """The partials of the raw points of `path` per group and bucket of `request`, in one statement. One thing
    alone is one series: its key range read in order, without the fleet's sort keys."""
    if not request.members or request.start >= request.end:
        return [FleetPartials(0, {}) for _ in range(request.groups)]
    bounds = (encode_text(path), request.start, request.end, request.width)
    if len(request.members) == 1:
        (thing_id, group), = request.members
        rows = [_bucket_row(tuple(record))._replace(group=group)
                for record in await connection.fetch(SERIES_PARTIALS, thing_id, *bounds)]
        return fleet_partials(request, [(group, 1)] if rows else [], rows)
    ids, groups = zip(*request.members, strict=True)
    rows, things = [], []
    for record in await connection.fetch(FLEET_PARTIALS, list(ids), *bounds, list(groups)):
        if record[1] is None:
            things.append((record[0], record[2]))
        else:
            rows.append(_bucket_row(tuple(record)))
    return fleet_partials(request, things, rows)


def _bucket_row(row: tuple[Any, ...]) -> BucketRow:
    return BucketRow(row[0], row[1], row[2], row[3], row[4], _integer(row[5]), row[6], row[7], _integer(row[8]),
                     _integer(row[9]), _integer(row[10]), row[11], row[12], row[13], row[14],
                     sample_of_row(unescaped(row[15:21], 5)), sample_of_row(unescaped(row[21:27], 5)))


def _integer(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


