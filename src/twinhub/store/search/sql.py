"""The SQL text of one search query as it is written: its bound parameters, and how conditions join."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

from twinhub.model.errors import RqlInvalid
from twinhub.store.search.dialect import Dialect

__all__ = ["MAX_PARAMETERS", "Argument", "CompiledQuery", "Parameters", "SqlValue", "all_of"]

SqlValue: TypeAlias = int | float | str | None

# Bound parameters of one query (literals, paths and their prefixes, subjects, namespaces): both engines take
# 32,766 (SQLite) or 32,767 (asyncpg), and SQLite's IN grows slow well before (0.3 s at 10,000 values).
MAX_PARAMETERS: Final = 8192


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    sql: str
    params: list[SqlValue]


@dataclass(frozen=True, slots=True)
class Argument:
    """Where a bound value comes from when it is the request's, not the query's shape's (a field path is the
    shape's): item `index` of the search's `source` values, stored as `form` makes it. A cached plan
    (`twinhub.store.search.plans`) binds each request's own values through it."""

    source: Literal["literals", "subjects", "now", "namespaces", "limit", "offset", "after"]
    index: int = 0
    form: Callable[[Any], SqlValue] | None = None  # of the value as the request has it


class Parameters:
    """The values a query binds, numbered in the order they are first bound (so fragments may be written in any
    order, and one value serves every place that needs it), and for each which request values it came from."""

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect
        self.values: list[SqlValue] = []
        # Per parameter: the request values it holds (several when they were equal), and whether the query's
        # shape needs that very value too (a path equal to a literal).
        self.arguments: list[dict[Argument, None]] = []  # (an ordered set)
        self.constant: list[bool] = []
        self._numbers: dict[tuple[type, SqlValue], int] = {}
        self._refs: list[str] = []

    def bind(self, value: SqlValue, argument: Argument | None = None) -> str:
        """The placeholder of `value`, which is the request's `argument` or else a constant of the query's shape;
        equal values share one parameter. Raises RqlInvalid past MAX_PARAMETERS."""
        key = (type(value), value)
        n = self._numbers.get(key)
        if n is None:
            if len(self.values) == MAX_PARAMETERS:
                raise RqlInvalid(f"The RQL expression is too large for one search: it needs more than "
                                 f"{MAX_PARAMETERS} values (literals, field paths and their parents).")
            n = self._numbers[key] = len(self.values)
            self.values.append(value)
            ref = self.d.placeholder.format(n=n + 1)
            self._refs.append(self.d.number.format(ref) if isinstance(value, int | float) else ref)
            self.arguments.append({})
            self.constant.append(False)
        if argument is None:
            self.constant[n] = True
        else:
            self.arguments[n][argument] = None
        return self._refs[n]


def all_of(*conditions: str) -> str:
    """The conjunction of the non-empty `conditions`, parenthesized when there are several ('' for none)."""
    present = [condition for condition in conditions if condition]
    return "(" + " AND ".join(present) + ")" if len(present) > 1 else (present[0] if present else "")
