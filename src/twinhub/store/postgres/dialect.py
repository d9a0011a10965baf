"""How search SQL is spelled for PostgreSQL (`twinhub.store.search.Dialect`), as `twinhub.store.postgres` lays out
its tables: `thing_index` keeps numbers in `num` (numeric) and strings in `str` (text COLLATE "C", so strings
compare and sort by code point as in SQLite and MongoDB), and indexes strings by their first 256 characters."""

from __future__ import annotations

from typing import Final

from twinhub.store.search.dialect import Dialect

__all__ = ["POSTGRES", "like_pattern"]


def like_pattern(like: str) -> str:
    """Ditto's like pattern as an SQL LIKE pattern with `\\` as its escape: `*` becomes `%`, `?` becomes
    `_`, and LIKE's own `%`, `_` and `\\` are escaped to stand for themselves; runs of `*` collapse."""
    out: list[str] = []
    for char in like:
        if char == "*":
            if not out or out[-1] != "%":
                out.append("%")
        elif char == "?":
            out.append("_")
        elif char in "%_\\":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


POSTGRES: Final = Dialect(
    name="postgres",
    placeholder="${n}",
    true="TRUE",
    false="FALSE",
    like="{value} LIKE {pattern} ESCAPE '\\'",
    # lower() under the "C" collation folds ASCII only, as Java's CASE_INSENSITIVE does without UNICODE_CASE.
    ilike="lower({value} COLLATE \"C\") LIKE lower({pattern} COLLATE \"C\") ESCAPE '\\'",
    like_pattern=like_pattern,
    first_row="LEFT JOIN LATERAL (SELECT i.type, i.num, i.str {query}) {alias} ON {on}",
    numbers="num",
    strings="str",
    # Numbers are bound as numeric: exact for integers and floats alike, and comparable with any column.
    number="{}::numeric",
    string_prefix="left({}, 256)",
    short_string="length({}) < 256",
)
