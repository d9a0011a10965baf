"""Sorting and pages: the ORDER BY of a search, keyset paging after a `Position`, and a page of rows as `Hits`.

Every search row is `THING_COLUMNS` and then the values of its sort keys, which a `Position` carries: the order is
total (ties by thing id), so the rows after a position are exactly those that follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from twinhub.model.errors import CursorInvalid
from twinhub.model.events import Thing
from twinhub.rql.ast import SortOption
from twinhub.rql.fields import FieldPath, resolve_sort_field
from twinhub.rql.spec import Position, SearchSpec
from twinhub.store.index import ARRAY
from twinhub.store.search.fields import COLUMNS, stored, target
from twinhub.store.search.sql import Argument, all_of
from twinhub.store.search.visibility import Visibility

__all__ = ["THING_COLUMNS", "Hits", "Row", "Sorting", "hits"]

Row: TypeAlias = Sequence[object]

# What every search row starts with; the sort key values (`s0`, `s1`, ...) a position holds follow.
THING_COLUMNS: Final = ("thing_id", "revision", "created", "modified", "deleted", "doc")


@dataclass(frozen=True, slots=True)
class Hits:
    """A page of the things a search found, in its order, and where the next page starts (None on the last)."""

    things: tuple[Thing, ...]
    next: Position | None = None


def hits(rows: Sequence[Row], spec: SearchSpec, thing: Callable[[Row], Thing]) -> Hits:
    """The page in the `rows` of `compile_search(spec, ...)`, which fetches one more than the page holds to tell
    whether more follow; `thing` decodes a shown row's `THING_COLUMNS`."""
    shown = rows[: spec.size]
    if len(rows) <= spec.size:
        return Hits(tuple(thing(row) for row in shown))
    last = shown[-1]
    values = tuple(stored(value) for value in last[len(THING_COLUMNS):])
    return Hits(tuple(thing(row) for row in shown), Position(values, str(last[0])))


class Sorting:
    """The sort keys of `sort` (default `+thingId`; ties by thing id) as `visibility`'s caller sees the things,
    binding into its parameters: what to select and order by, the joins they need, and keyset conditions."""

    def __init__(self, visibility: Visibility, sort: SortOption | None) -> None:
        self.visibility = visibility
        self.keys: list[tuple[str, str]] = []  # (expression, direction)
        self.joins: list[str] = []
        fields = sort.fields if sort is not None else (("+", "thingId"),)
        for n, (direction, field) in enumerate(fields):
            exprs, join = self._key(resolve_sort_field(field), direction, f"k{n}")
            self.keys += [(expr, direction) for expr in exprs]
            self.joins += [join] if join else []
        thing_id = any(resolve_sort_field(field).kind == "thingId" for _, field in fields)
        self._tie = [] if thing_id else [("t.thing_id", "+")]

    def selected(self) -> list[str]:
        """The sort key columns of a row, after `THING_COLUMNS`."""
        return [f"{expr} AS s{n}" for n, (expr, _) in enumerate(self.keys)]

    def order_by(self) -> str:
        names = [f"s{n}" for n in range(len(self.keys))] + ["t.thing_id"] * len(self._tie)
        order = [*self.keys, *self._tie]
        return ", ".join(f"{name} {'ASC' if d == '+' else 'DESC'}" for name, (_, d) in zip(names, order, strict=True))

    def after(self, position: Position) -> str:
        """Rows strictly after `position` (keyset pagination); raises CursorInvalid when it does not fit the keys."""
        if len(position.values) != len(self.keys) or None in position.values:
            raise CursorInvalid("The cursor does not fit the sort of this search.")
        order, values = [*self.keys, *self._tie], [*position.values, position.thing_id]
        bind = self.visibility.params.bind
        terms = []
        for n, (expr, direction) in enumerate(order):
            equal = [f"{e} = {bind(v, Argument('after', m))}" for m, ((e, _), v) in enumerate(zip(order[:n], values,
                                                                                                 strict=False))]
            after = bind(values[n], Argument("after", n))
            terms.append(all_of(*equal, f"{expr} {'>' if direction == '+' else '<'} {after}"))
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"

    def _key(self, field: FieldPath, direction: str, alias: str) -> tuple[list[str], str]:
        """The key expressions (never NULL) of a sort field and the join they need, if any. Columns sort by
        value ('' when unset or unreadable); JSON fields by (type, value) of one readable row: arrays by their
        least element ascending, greatest descending (by the array row when empty); missing is type -1. With
        typed value columns (`Dialect.numbers`, `.strings`) the value is two keys, number then string."""
        d, visibility = self.visibility.d, self.visibility
        column = COLUMNS.get(field.kind)
        if column is not None:
            expr = f"CASE WHEN {visibility.readable_path(column.guard)} THEN {column.expr} END" if column.guard \
                else column.expr
            return [f"coalesce({expr}, '')" if column.nullable else expr], ""
        at_target = target(field)
        at = visibility.params.bind(at_target.path)
        rows = f"i.wpath = {at} AND i.wpath <> i.path AND {visibility.readable_row('i.path', 't')}" \
            if at_target.wildcard else f"i.path = {at}"
        order = "ASC" if direction == "+" else "DESC"
        values = [(d.numbers, "0")] + ([(d.strings, "''")] if d.strings != d.numbers else [])
        query = (f"FROM thing_index i WHERE i.thing_id = t.thing_id AND {rows} ORDER BY i.type = {ARRAY}, "
                 f"i.type {order}, {', '.join(f'i.{column} {order}' for column, _ in values)} LIMIT 1")
        on = d.true if at_target.wildcard else visibility.readable_path(at_target.path)
        keys = [f"coalesce({alias}.type, -1)", *(f"coalesce({alias}.{col}, {missing})" for col, missing in values)]
        return keys, d.first_row.format(alias=alias, query=query, on=on)
