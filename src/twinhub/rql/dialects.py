"""What differs between the databases search runs on, as values: `SQLITE` and `POSTGRES`.

The compiler (`twinhub.rql.sql`) writes dialect-neutral SQL and takes the few pieces that differ from
a `Dialect` passed in; nothing here imports a driver or talks to a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = ["POSTGRES", "SQLITE", "Dialect", "glob_pattern", "like_pattern"]


@dataclass(frozen=True, slots=True)
class Dialect:
    """The SQL a backend spells its own way. Templates are `str.format` strings.

    `placeholder` names parameter `n` (1-based position in `CompiledQuery.params`); numbered
    placeholders let one parameter (a subject, `now`) serve every place that needs it, and let the
    compiler write fragments in any order.

    `like` / `ilike` match `{value}` against `{pattern}`, a parameter holding `like_pattern(text)` of
    Ditto's pattern (`*` any run, `?` one character, all else literal, anchored at both ends).

    `first_row` joins, as `{alias}` with columns `type` and the value columns, the one `thing_index`
    row that `SELECT ... {query}` picks for the current thing (`{query}` is `FROM thing_index i WHERE ...
    ORDER BY ... LIMIT 1`) when the condition `{on}` holds; other things get NULLs.

    `numbers` and `strings` name the `thing_index` columns holding a row's value: numbers (and booleans
    as 0/1), and strings. SQLite keeps both in one untyped column; a typed database needs one each
    (sort keys then carry both, numbers first, a missing one as 0 and '').

    `number` wraps the placeholder of a bound number (`{}`): a cast where the database would otherwise
    infer the parameter's type from the column it meets (an integer column and a float literal).

    `string_prefix`, when set, spells the indexed prefix of a string expression (`{}`): a database whose
    B-tree indexes cannot hold long strings indexes that prefix, and every string comparison of index
    values first compares prefixes (implied by the full comparison, and answerable from the index).
    """

    name: str
    placeholder: str
    true: str
    false: str
    like: str
    ilike: str
    like_pattern: Callable[[str], str]
    first_row: str
    numbers: str = "value"
    strings: str = "value"
    number: str = "{}"
    string_prefix: str | None = None


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


# PostgreSQL, as `twinhub.store.postgres` lays out its tables: `thing_index` keeps numbers in `num`
# (numeric) and strings in `str` (text COLLATE "C", so strings compare and sort by code point as in
# SQLite and MongoDB), and indexes strings by their first 256 characters.
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
)
