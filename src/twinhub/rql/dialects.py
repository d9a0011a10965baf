"""What differs between the databases search runs on, as values: `SQLITE` now, PostgreSQL later.

The compiler (`twinhub.rql.sql`) writes dialect-neutral SQL and takes the few pieces that differ from
a `Dialect` passed in; nothing here imports a driver or talks to a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = ["SQLITE", "Dialect", "glob_pattern"]


@dataclass(frozen=True, slots=True)
class Dialect:
    """The SQL a backend spells its own way. Templates are `str.format` strings.

    `placeholder` names parameter `n` (1-based position in `CompiledQuery.params`); numbered
    placeholders let one parameter (a subject, `now`) serve every place that needs it, and let the
    compiler write fragments in any order.

    `like` / `ilike` match `{value}` against `{pattern}`, a parameter holding `like_pattern(text)` of
    Ditto's pattern (`*` any run, `?` one character, all else literal, anchored at both ends).

    `first_row` joins, as `{alias}` with columns `type` and `value`, the one `thing_index` row that
    `SELECT ... {query}` picks for the current thing (`{query}` is `FROM thing_index i WHERE ...
    ORDER BY ... LIMIT 1`) when the condition `{on}` holds; other things get NULLs.
    """

    name: str
    placeholder: str
    true: str
    false: str
    like: str
    ilike: str
    like_pattern: Callable[[str], str]
    first_row: str


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
