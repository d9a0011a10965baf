"""What differs between the databases search runs on, as a value: each backend has its own (`SQLITE` in
`twinhub.store.sqlite.dialect`, `POSTGRES` in `twinhub.store.postgres.dialect`).

The compiler (`twinhub.store.search`) writes dialect-neutral SQL and takes the few pieces that differ from
a `Dialect` passed in; nothing here imports a driver or talks to a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Dialect"]


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
    short_string: str | None = None
