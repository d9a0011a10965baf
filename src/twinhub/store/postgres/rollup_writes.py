"""History rollups written on PostgreSQL: the upsert of rollup rows as column arrays (a step of `WRITE_THINGS`), and
staged by COPY for the bulk import (the points it found new).

Rollup rows are built from the points as stored (`point_record`: path and strings escaped): a row takes its path
and its first and last strings verbatim from its points (its extremes are numbers), and escaping keeps the order
of strings, so the rows of escaped points are the escaped rows, sorted alike; nothing is unescaped and escaped
again."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from twinhub.store.points import PointRow
from twinhub.store.postgres.errors import PooledConnection
from twinhub.store.rollups import COLUMNS, on_conflict, rollup_rows

__all__ = ["EXACT", "rollup_insert", "upsert_rollups"]

EXACT = "({})::numeric"  # an integer's decimal text as an exact number
_TYPES = ("text", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "numeric", "float8", "float8",
          "smallint", "float8", "text", "smallint", "float8", "text",
          "bigint", "bigint", "smallint", "float8", "text", "bigint", "bigint", "smallint", "float8", "text")


def rollup_insert(first: int) -> str:
    """The upsert of rollup rows given as column arrays from parameter `$first` on."""
    arrays = ", ".join(f"${first + index}::{kind}[]" for index, kind in enumerate(_TYPES))
    return (f"INSERT INTO history_rollups AS r ({', '.join(COLUMNS)}) SELECT * FROM unnest({arrays}) "
            f"{on_conflict(EXACT)}")



# The bulk path's rollups: COPY into a session's staging table (emptied by each commit), then one upsert in key
# order (concurrent writers lock rows in one order). COPY's binary rows cost asyncpg a fraction of what the
# same values as 26 array parameters do (100,000 points: ~0.7 s of event loop CPU as arrays).
_STAGE = "CREATE TEMP TABLE IF NOT EXISTS history_rollups_import (LIKE history_rollups) ON COMMIT DELETE ROWS"
_UPSERT_STAGED = (f"INSERT INTO history_rollups AS r ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
                  "FROM history_rollups_import ORDER BY thing_id, path, width_us, bucket_us "
                  f"{on_conflict(EXACT)}")


async def upsert_rollups(connection: PooledConnection, points: Sequence[PointRow], widths: Sequence[int]) -> None:
    """Roll up `points` (rows as `history_points` holds them: escaped) into the rollups of `widths` (microseconds),
    in the caller's transaction. The rows are built off the event loop (~5 µs a point)."""
    rows = await asyncio.to_thread(rollup_rows, points, widths)
    if rows:
        await connection.execute(_STAGE)
        await connection.copy_records_to_table("history_rollups_import", records=rows, columns=COLUMNS)
        await connection.execute(_UPSERT_STAGED)
