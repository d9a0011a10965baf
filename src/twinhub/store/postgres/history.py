"""History on PostgreSQL beyond the write path: the partials of raw points per bucket, for one thing or groups of
things, in one statement (see `twinhub.store.buckets` for what each column sums up and why), and the bulk import."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from twinhub.history import FleetPartials
from twinhub.store.buckets import LARGE, BucketRequest, BucketRow, fleet_partials, sample_of_key
from twinhub.store.points import PointRow
from twinhub.store.postgres.errors import PooledConnection
from twinhub.store.postgres.rollup_writes import upsert_rollups
from twinhub.store.postgres.rows import encode_text, stored_point

__all__ = ["import_points", "raw_partials"]

# $1, $2: the request's thing ids and their groups; $3 the path; [$4, $5) the range; $6 the bucket width. The
# bucket of t is t - ((t % w) + w) % w: `%` truncates toward zero, so this floors before 1970 too. Integer and
# numeric sums are exact (sum(bigint) is numeric). The things with samples per group follow as rows without a
# bucket, so that everything is read on one snapshot. The rows of first and last are read by their key (LIMIT 1
# keeps the planner from joining them as a hash of the whole table).
_RAW_PARTIALS = f"""
WITH ids AS (SELECT * FROM unnest($1::text[], $2::int[]) AS ids(thing_id, grp)),
raw AS (
    SELECT ids.grp, h.t_us - ((h.t_us % $6) + $6) % $6 AS bucket, h.type, h.num, h.str,
           lpad((h.t_us - $4)::text, 19, '0') || lpad(h.revision::text, 19, '0') || h.thing_id AS key
    FROM ids JOIN history_points AS h ON h.thing_id = ids.thing_id AND h.path = $3 AND h.t_us >= $4 AND h.t_us < $5
    WHERE h.type <> 0
), buckets AS (
    SELECT grp, bucket, count(*) AS n,
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
           max(num) FILTER (WHERE type = 3) AS float_max,
           min(key COLLATE "C") AS first_key, max(key COLLATE "C") AS last_key
    FROM raw GROUP BY grp, bucket
)
SELECT b.*, f.type, f.num, f.str, l.type, l.num, l.str
FROM buckets AS b
CROSS JOIN LATERAL (SELECT type, num, str FROM history_points WHERE thing_id = substr(b.first_key, 39) AND path = $3
                    AND t_us = $4 + substr(b.first_key, 1, 19)::bigint
                    AND revision = substr(b.first_key, 20, 19)::bigint LIMIT 1) AS f
CROSS JOIN LATERAL (SELECT type, num, str FROM history_points WHERE thing_id = substr(b.last_key, 39) AND path = $3
                    AND t_us = $4 + substr(b.last_key, 1, 19)::bigint
                    AND revision = substr(b.last_key, 20, 19)::bigint LIMIT 1) AS l
UNION ALL
SELECT grp, NULL, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL
FROM ids
WHERE EXISTS (SELECT FROM history_points AS h WHERE h.thing_id = ids.thing_id AND h.path = $3
              AND h.t_us >= $4 AND h.t_us < $5 AND h.type <> 0)
GROUP BY grp
"""

# The bulk path: COPY into a session's staging table (emptied by each commit), then one INSERT that skips the
# points already stored.
_STAGE = "CREATE TEMP TABLE IF NOT EXISTS history_import (LIKE history_points) ON COMMIT DELETE ROWS"
_IMPORT = "INSERT INTO history_points SELECT * FROM history_import ON CONFLICT DO NOTHING RETURNING *"


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
    """The partials of the raw points of `path` per group and bucket of `request`, in one statement."""
    if not request.members or request.start >= request.end:
        return [FleetPartials(0, {}) for _ in range(request.groups)]
    ids, groups = zip(*request.members, strict=True)
    records = await connection.fetch(_RAW_PARTIALS, list(ids), list(groups), encode_text(path), request.start,
                                     request.end, request.width)
    rows: list[BucketRow] = []
    things: list[tuple[int, int]] = []
    for record in records:
        row = tuple(record)
        if row[1] is None:
            things.append((row[0], row[2]))
            continue
        rows.append(BucketRow(
            row[0], row[1], row[2], row[3], row[4], _integer(row[5]), row[6], row[7], _integer(row[8]),
            _integer(row[9]), _integer(row[10]), row[11], row[12], row[13], row[14],
            sample_of_key(row[15], request.start, _value(row[17:20])),
            sample_of_key(row[16], request.start, _value(row[20:23]))))
    return fleet_partials(request, things, rows)


def _integer(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def _value(columns: Sequence[object]) -> tuple[object, ...]:
    """(type, num, str) of a read row, its string unescaped."""
    return stored_point((0, 0, *columns))[2:]
