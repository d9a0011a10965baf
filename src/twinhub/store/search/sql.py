"""The SQL text of one search query as it is written: its bound parameters, and how conditions join."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

from twinhub.model.errors import RqlInvalid
from twinhub.store.search.dialect import Dialect

__all__ = ["MAX_PARAMETERS", "CompiledQuery", "Parameters", "SqlValue", "all_of"]

SqlValue: TypeAlias = int | float | str | None

# Bound parameters of one query (literals, paths and their prefixes, subjects, namespaces): both engines take
# 32,766 (SQLite) or 32,767 (asyncpg), and SQLite's IN grows slow well before (0.3 s at 10,000 values).
MAX_PARAMETERS: Final = 8192


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    sql: str
    params: list[SqlValue]


class Parameters:
    """The values a query binds, numbered in the order they are first bound (so fragments may be written in any
    order, and one value serves every place that needs it)."""

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect
        self.values: list[SqlValue] = []
        self._refs: dict[tuple[type, SqlValue], str] = {}

    def bind(self, value: SqlValue) -> str:
        """The placeholder of `value`; equal values share one parameter. Raises RqlInvalid past MAX_PARAMETERS."""
        key = (type(value), value)
        if key not in self._refs:
            if len(self.values) == MAX_PARAMETERS:
                raise RqlInvalid(f"The RQL expression is too large for one search: it needs more than "
                                 f"{MAX_PARAMETERS} values (literals, field paths and their parents).")
            self.values.append(value)
            ref = self.d.placeholder.format(n=len(self.values))
            self._refs[key] = self.d.number.format(ref) if isinstance(value, int | float) else ref
        return self._refs[key]


def all_of(*conditions: str) -> str:
    """The conjunction of the non-empty `conditions`, parenthesized when there are several ('' for none)."""
    present = [condition for condition in conditions if condition]
    return "(" + " AND ".join(present) + ")" if len(present) > 1 else (present[0] if present else "")
