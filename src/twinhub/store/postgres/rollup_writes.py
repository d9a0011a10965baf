"""History rollups written on PostgreSQL: the upsert of rollup rows as column arrays (a step of `WRITE_THINGS`, and
of the bulk import for the points it found new)."""

from __future__ import annotations

from collections.abc import Sequence

from twinhub.store.points import PointRow
from twinhub.store.postgres.errors import PooledConnection
from twinhub.store.postgres.rows import decode_text, rollup_record
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
    """Roll up `points` (read back from `history_points`: escaped) into the rollups of `widths` (microseconds)."""
    unescaped = [(thing_id, decode_text(path), micros, revision, kind, number, None if text is None
                  else decode_text(text)) for thing_id, path, micros, revision, kind, number, text in points]
    rows = [rollup_record(row) for row in rollup_rows(unescaped, widths)]
    if rows:
        await connection.execute(_UPSERT, *(list(column) for column in zip(*rows, strict=True)))
