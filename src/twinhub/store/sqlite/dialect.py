"""How search SQL is spelled for SQLite (`twinhub.store.search.Dialect`), as `twinhub.store.sqlite` lays out its
tables: `thing_index` is a rowid table keeping numbers and strings in one untyped `value` column."""

from __future__ import annotations

from typing import Final

from twinhub.store.search.dialect import Dialect

__all__ = ["SQLITE", "glob_pattern"]


def glob_pattern(like: str) -> str:
    """Ditto's like pattern as a SQLite GLOB: `*` and `?` mean the same there; `[` opens a character
    class in GLOB, so it becomes the class `[[]`; runs of `*` collapse, as in Ditto's LikeHelper."""
    out: list[str] = []
    for char in like:
        if char == "[":
            out.append("[[]")
        elif not (char == "*" and out and out[-1] == "*"):
            out.append(char)
    return "".join(out)


SQLITE: Final = Dialect(
    name="sqlite",
    placeholder="?{n}",
    true="1",
    false="0",
    like="{value} GLOB {pattern}",
    # SQLite's lower() folds ASCII only, as Java's CASE_INSENSITIVE does without UNICODE_CASE.
    ilike="lower({value}) GLOB lower({pattern})",
    like_pattern=glob_pattern,
    # thing_index is a rowid table: pick the row's rowid in a correlated subquery, then join by rowid.
    first_row="LEFT JOIN thing_index {alias} ON {alias}.rowid = (SELECT i.rowid {query}) AND {on}",
)
