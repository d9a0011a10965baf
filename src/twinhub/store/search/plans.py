"""Compiled searches kept by their shape, so that a search like an earlier one is only bound, not compiled again.

A search's *shape* is what its SQL depends on: the filter with each literal's type in place of its value, the
sort, how many distinct subjects and namespaces it has, and whether it pages after a position (of which sort
value types) or skips an offset. Its values are bound as parameters (`Argument`): the literals (placeholders
resolved), the caller's subjects, now, the namespaces, the page size, offset and position. So one plan serves
every search of its shape, whoever runs it, and it holds no value of any request that could reach another.

The SQL binds equal values once (`Parameters`): a plan made where two values were equal (or a literal equalled
a field path) fits a later search only where its values are equal too; otherwise that search is compiled anew.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Final

from twinhub.model.events import format_timestamp
from twinhub.model.lru import Lru
from twinhub.rql.ast import And, Comparison, Empty, Exists, In, Node, Not, Or, Placeholder, Value
from twinhub.rql.placeholders import resolve_placeholder
from twinhub.rql.spec import SearchSpec
from twinhub.store.search.compile import count_sql, search_sql
from twinhub.store.search.dialect import Dialect
from twinhub.store.search.sql import Argument, CompiledQuery, Parameters, SqlValue

__all__ = ["MAX_PLANS", "MAX_PLAN_BYTES", "Plans"]

MAX_PLANS: Final = 256
# What the plans of one store may hold in all, estimated as their SQL text and parameters: a plan's SQL is a
# few kilobytes for a few terms (up to ~100 kB for the largest filters RQL takes).
MAX_PLAN_BYTES: Final = 4 * 1024 * 1024
_BYTES_PER_VALUE: Final = 64  # a parameter's or literal's share of a plan (its value, source and key entry)


@dataclass(frozen=True, slots=True)
class Values:
    """The values of one search that its plan binds, by `Argument.source` (each a tuple, read at `index`)."""

    literals: tuple[Value, ...]
    subjects: tuple[str, ...]
    now: tuple[str]
    namespaces: tuple[str, ...]
    limit: tuple[int]
    offset: tuple[int | None]
    after: tuple[SqlValue, ...]

    def of(self, argument: Argument) -> SqlValue:
        value = getattr(self, argument.source)[argument.index]
        return value if argument.form is None else argument.form(value)


@dataclass(frozen=True, slots=True)
class Plan:
    """A search's SQL, the parameters of the search it was compiled for, and which of them are that search's
    values: (number, the values it holds, whether the shape needs that very value too)."""

    sql: str
    values: tuple[SqlValue, ...]
    arguments: tuple[tuple[int, tuple[Argument, ...], bool], ...]

    @classmethod
    def of(cls, sql: str, params: Parameters) -> Plan:
        arguments = tuple((n, tuple(found), params.constant[n]) for n, found in enumerate(params.arguments) if found)
        return cls(sql, tuple(params.values), arguments)

    def bind(self, values: Values) -> list[SqlValue] | None:
        """The parameters for `values`; None when they do not fit (values the plan binds once differ)."""
        params = list(self.values)
        for n, arguments, constant in self.arguments:
            value = values.of(arguments[0])
            if constant and not _same(value, params[n]):
                return None
            for other in arguments[1:]:
                if not _same(values.of(other), value):
                    return None
            params[n] = value
        return params


class Plans:
    """The plans of one store's searches and counts, in its `dialect`: at most `max_plans` of at most
    `max_bytes` (estimated) in all, the least recently used leaving first. Not thread-safe: used on the loop."""

    def __init__(self, dialect: Dialect, *, max_plans: int = MAX_PLANS, max_bytes: int = MAX_PLAN_BYTES) -> None:
        self._dialect = dialect
        self._plans: Lru[Hashable, Plan] = Lru(max_entries=max_plans, max_bytes=max_bytes)

    def __len__(self) -> int:
        return len(self._plans)

    @property
    def bytes(self) -> int:
        """The estimated bytes of the plans held."""
        return self._plans.bytes

    def search(self, spec: SearchSpec) -> CompiledQuery:
        """What `compile_search(spec, dialect)` gives (the same rows), from a plan of the shape if there is one."""
        after = None if spec.after is None else tuple(type(value) for value in spec.after.values)
        return self._query(("search", spec.sort, bool(spec.offset), after), spec, search_sql)

    def count(self, spec: SearchSpec) -> CompiledQuery:
        """What `compile_count(spec, dialect)` gives, from a plan of the shape if there is one."""
        return self._query(("count",), spec, count_sql)

    def _query(self, kind: tuple[object, ...], spec: SearchSpec,
               compile: Callable[[SearchSpec, Parameters], str]) -> CompiledQuery:
        literals: list[Value] = []
        filter = None if spec.filter is None else _shape(spec.filter, spec, literals)
        subjects = tuple(dict.fromkeys(spec.subjects))
        namespaces = None if spec.namespaces is None else tuple(dict.fromkeys(spec.namespaces))
        key = (*kind, filter, len(subjects), None if namespaces is None else len(namespaces))
        plan = self._plans.get(key)
        if plan is not None:
            position = () if spec.after is None else (*spec.after.values, spec.after.thing_id)
            params = plan.bind(Values(tuple(literals), subjects, (format_timestamp(spec.now),), namespaces or (),
                                      (spec.size + 1,), (spec.offset,), position))
            if params is not None:
                return CompiledQuery(plan.sql, params)
        bound = Parameters(self._dialect)
        sql = compile(spec, bound)
        plan = Plan.of(sql, bound)
        # Replaces a plan of the same shape whose values did not fit. Its size: the SQL, and a share per parameter
        # and per literal (the key holds a type for each).
        self._plans.put(key, plan, len(sql) + _BYTES_PER_VALUE * (len(plan.values) + len(literals)))
        return CompiledQuery(sql, bound.values)


def _shape(node: Node, spec: SearchSpec, literals: list[Value]) -> Hashable:
    """`node` with the type of each literal (placeholders resolved at `spec.now`) in place of its value, which
    goes to `literals`, in the order written (the compiler's numbering of `Argument("literals", n)`)."""
    match node:
        case Comparison(op=op, field=field, value=value):
            literals.append(_resolved(value, spec))
            return op, field, type(literals[-1])
        case In(field=field, values=values):
            literals.extend(_resolved(value, spec) for value in values)
            return "in", field, tuple(type(value) for value in literals[len(literals) - len(values):])
        case And(children=children) | Or(children=children):
            return type(node).__name__, tuple(_shape(child, spec, literals) for child in children)
        case Not(child=child):
            return "not", _shape(child, spec, literals)
        case Exists(field=field) | Empty(field=field):
            return type(node).__name__, field
    raise TypeError(f"not an RQL node: {node!r}")


def _resolved(value: Value, spec: SearchSpec) -> Value:
    return resolve_placeholder(value, spec.now) if isinstance(value, Placeholder) else value


def _same(value: SqlValue, other: SqlValue) -> bool:
    """Equal as `Parameters` tells values apart (1 and 1.0 are two values)."""
    return type(value) is type(other) and value == other
