"""History rollups written on PostgreSQL: the upsert of rollup rows as column arrays (a step of `WRITE_THINGS`, and
of the bulk import for the points it found new).

Rollup rows are built from the points as stored (`point_record`: path and strings escaped): a row takes its path
and its first and last strings verbatim from its points (its extremes are numbers), and escaping keeps the order
of strings, so the rows of escaped points are the escaped rows, sorted alike; nothing is unescaped and escaped
again."""

from __future__ import annotations

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


_UPSERT = rollup_insert(1)


async def upsert_rollups(connection: PooledConnection, points: Sequence[PointRow], widths: Sequence[int]) -> None:
    """Roll up `points` (rows as `history_points` holds them: escaped) into the rollups of `widths` (microseconds)."""
    rows = rollup_rows(points, widths)
    if rows:
        await connection.execute(_UPSERT, *(list(column) for column in zip(*rows, strict=True)))
