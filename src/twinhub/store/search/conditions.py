"""An RQL filter as a SQL condition on `things t` and its index rows, with Ditto's search semantics.

Semantics (MongoDB's, not the in-memory evaluator's): a literal compares only with index rows of its JSON type;
`eq(f,null)` needs a stored null; `ne(f,v)` needs f and no element equal to v; `not(q)` is NOT q, so it matches
things lacking f. Rows the caller may not READ do not exist for the query; `exists` and `empty` see an object as
the caller's READ view shows it (present when something in it is readable, empty when nothing below it is), as
the in-memory evaluation of a condition on that view does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from twinhub.model.pointer import format_pointer
from twinhub.rql.ast import And, Comparison, Empty, Exists, In, Node, Not, Or
from twinhub.rql.fields import FieldPath, resolve_field
from twinhub.store.index import ARRAY, NULL, NUMBER, OBJECT, STRING
from twinhub.store.search.fields import COLUMNS, Column, Target, json_type, stored, target
from twinhub.store.search.sql import SqlValue, all_of
from twinhub.store.search.visibility import Visibility

__all__ = ["Conditions"]

_OPERATORS: Final = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
# What a comparison implies for the prefixes of two strings (`Dialect.string_prefix`).
_PREFIX_OPERATORS: Final = {"=": "=", ">": ">=", ">=": ">=", "<": "<=", "<=": "<="}


class Conditions:
    """SQL for filters (placeholders resolved) as `visibility`'s caller sees the things, binding into its
    parameters."""

    def __init__(self, visibility: Visibility) -> None:
        self.visibility = visibility
        self.d = visibility.d
        self.bind = visibility.params.bind

    def where(self, filter: Node | None, namespaces: Sequence[str] | None) -> list[str]:
        """The conditions (AND-ed) on a thing `t` found: not deleted, in `namespaces`, matching, visible."""
        conditions = ["t.deleted = 0"]
        if namespaces is not None:
            spaces = ", ".join(self.bind(space) for space in dict.fromkeys(namespaces))
            conditions.append(f"t.namespace IN ({spaces})" if spaces else self.d.false)
        return [*conditions, *([self.node(filter)] if filter is not None else []), self.visibility.visible()]

    def node(self, node: Node) -> str:
        match node:
            case And(children=children):
                ranges, rest = _range_pairs(children)
                parts = [self.range(*pair) for pair in ranges] + [self.node(child) for child in rest]
                return "(" + " AND ".join(parts) + ")"
            case Or(children=children):
                return "(" + " OR ".join(self.node(child) for child in children) + ")"
            case Not(child=child):
                return f"NOT ({self.node(child)})"
            case Comparison(op=op, field=field, value=value):
                return self.compare(op, resolve_field(field), value)
            case In(field=field, values=values):
                return self.any_of(resolve_field(field), values)
            case Exists(field=field):
                return self.exists(resolve_field(field, for_exists=True))
            case Empty(field=field):
                return self.empty(resolve_field(field))
        raise TypeError(f"not an RQL node: {node!r}")

    # -- index rows ---------------------------------------------------------------------------------

    def rows(self, target: Target, match: str = "", *, probe: bool = False) -> str:
        """The thing has a readable index row at `target` satisfying `match` (on alias i). A value match (usually
        selective) is an uncorrelated subquery on `thing_index_by_value` / `_by_wildcard` that can drive the
        query; a `probe` (exists, ne, empty: true for most things) looks at the thing's own rows instead."""
        readable_row = self.visibility.readable_row
        at = self.bind(target.path)
        on_path = f"i.wpath = {at} AND i.wpath <> i.path" if target.wildcard else f"i.path = {at}"
        if probe:
            check = readable_row("i.path", "t") if target.wildcard else ""
            mine = all_of("i.thing_id = t.thing_id", on_path, match, check)
            found = f"EXISTS (SELECT 1 FROM thing_index i WHERE {mine})"
        elif target.wildcard:
            return (f"t.thing_id IN (SELECT i.thing_id FROM thing_index i JOIN things r ON r.thing_id = i.thing_id "
                    f"WHERE {all_of(on_path, match, readable_row('i.path', 'r'))})")
        else:
            found = f"t.thing_id IN (SELECT i.thing_id FROM thing_index i WHERE {all_of(on_path, match)})"
        return found if target.wildcard else f"({found} AND {self.visibility.readable_path(target.path)})"

    def range(self, lower: Comparison, upper: Comparison) -> str:
        """`and(ge(f,a),lt(f,b))` on one field, driven by ONE index range scan instead of two half-tables.

        Exactly the two separate conditions: a thing matches when one row is in the range, or when the field
        is multi-valued (an array at the path or above it) and one row passes each bound."""
        field = resolve_field(lower.field)
        low, high = self.match(lower.op, lower.value), self.match(upper.op, upper.value)
        if low is None or high is None:
            return self.d.false
        at = self.bind(target(field).path)
        arrays = ", ".join(self.bind(format_pointer(field.pointer[:n])) for n in range(1, len(field.pointer) + 1))
        either = "EXISTS (SELECT 1 FROM thing_index i WHERE i.thing_id = a.thing_id AND i.path = {at} AND {match})"
        matching = (f"SELECT i.thing_id FROM thing_index i WHERE i.path = {at} AND {low} AND {high} "
                    f"UNION SELECT a.thing_id FROM thing_index a WHERE a.path IN ({arrays}) AND a.type = {ARRAY} "
                    f"AND {either.format(at=at, match=low)} AND {either.format(at=at, match=high)}")
        return f"(t.thing_id IN ({matching}) AND {self.visibility.readable_path(target(field).path)})"

    def match(self, op: str, value: object) -> str | None:
        """The index rows `op` accepts for the literal, or None when no row can match."""
        kind = json_type(value)
        if op in ("like", "ilike"):
            if kind != STRING:
                return None
            like = self.d.like if op == "like" else self.d.ilike
            return f"i.type = {STRING} AND " + like.format(value=f"i.{self.d.strings}",
                                                           pattern=self.bind(self.d.like_pattern(str(value))))
        if kind == NULL:  # nothing is greater or less than null; ge/le include equality
            return f"i.type = {NULL}" if op in ("eq", "ge", "le") else None
        return f"i.type = {kind} AND {self.value(kind, _OPERATORS[op], [self.bind(stored(value))])}"

    def value(self, kind: int, op: str, refs: Sequence[str]) -> str:
        """Index rows of JSON type `kind` whose value is `op` (a comparison, or IN) the bound `refs`."""
        column = f"i.{self.d.strings if kind == STRING else self.d.numbers}"
        operand = refs[0] if op != "IN" else f"({', '.join(refs)})"
        condition = f"{column} {op} {operand}"
        prefix = self.d.string_prefix
        if kind != STRING or prefix is None:
            return condition
        prefixes = [prefix.format(ref) for ref in refs]
        loose = f"IN ({', '.join(prefixes)})" if op == "IN" else f"{_PREFIX_OPERATORS[op]} {prefixes[0]}"
        return f"{prefix.format(column)} {loose} AND {condition}"

    # -- operators ------------------------------------------------------------------------------------

    def compare(self, op: str, field: FieldPath, value: object) -> str:
        column = COLUMNS.get(field.kind)
        if column is not None:
            return self.compare_column(op, column, value)
        at = target(field)
        if op == "ne":
            return f"({self.rows(at, probe=True)} AND NOT {self.rows(at, self.match('eq', value) or '')})"
        match = self.match(op, value)
        return self.d.false if match is None else self.rows(at, match)

    def any_of(self, field: FieldPath, values: Sequence[object]) -> str:
        column = COLUMNS.get(field.kind)
        if column is not None:
            accepted = [column.literal(value) for value in values if json_type(value) == column.type]
            refs = ", ".join(dict.fromkeys(self.bind(value) for value in accepted))
            return self._present(column, f"{column.expr} IN ({refs})") if refs else self.d.false
        groups: dict[int, list[SqlValue]] = {}
        for value in values:
            groups.setdefault(json_type(value), []).append(stored(value))
        matches = [f"i.type = {NULL}" if kind == NULL else
                   f"(i.type = {kind} AND {self.value(kind, 'IN', list(dict.fromkeys(self.bind(v) for v in group)))})"
                   for kind, group in groups.items()]
        return self.rows(target(field), matches[0] if len(matches) == 1 else f"({' OR '.join(matches)})")

    def exists(self, field: FieldPath) -> str:
        column = COLUMNS.get(field.kind)
        return (self._present(column, "") or self.d.true) if column else self.shown(target(field))

    def empty(self, field: FieldPath) -> str:
        """Absent, null, [], {} and "" are empty, as in the caller's view: unreadable rows count as absent, and an
        object with nothing readable below it as {}."""
        column = COLUMNS.get(field.kind)
        if column is None:
            return f"NOT ({self.shown(target(field), filled=True)})"
        filled = self._present(column, f"{column.expr} <> ''" if column.type == STRING else "")
        return f"NOT ({filled})" if filled else self.d.false

    def shown(self, target: Target, *, filled: bool = False) -> str:
        """The thing has a value at `target` in the caller's READ view (`filled`: a non-empty one). The view keeps
        a readable value, and an object with something readable below it, cut down to that: so an object is
        shown when it or something below it is readable, and filled only when something below it is."""
        at = self.bind(target.path)
        if target.wildcard:
            on_path, itself = f"i.wpath = {at} AND i.wpath <> i.path", self.visibility.readable_row("i.path", "t")
            below = self.readable_below("i.path || '/'", "i.path || '0'")
        else:
            on_path, itself = f"i.path = {at}", self.visibility.readable_path(target.path)
            below = self.readable_below(self.bind(target.path + "/"), self.bind(target.path + "0"))
        if filled:
            visible = f"i.empty = 0 AND ((i.type <> {OBJECT} AND {itself}) OR (i.type = {OBJECT} AND {below}))"
        else:
            visible = f"({itself} OR (i.type = {OBJECT} AND {below}))"
        return f"EXISTS (SELECT 1 FROM thing_index i WHERE i.thing_id = t.thing_id AND {on_path} AND {visible})"

    def readable_below(self, low: str, high: str) -> str:
        """The thing has a readable row whose path is in [low, high): below a path P when they are P + '/' and
        P + '0' ('0' follows '/'; paths compare by code point on both backends)."""
        return (f"EXISTS (SELECT 1 FROM thing_index c WHERE c.thing_id = t.thing_id AND c.path >= ({low}) AND "
                f"c.path < ({high}) AND {self.visibility.readable_row('c.path', 't')})")

    # -- columns --------------------------------------------------------------------------------------

    def compare_column(self, op: str, column: Column, value: object) -> str:
        kind = json_type(value)
        if op == "ne":  # set (and readable), and of another type or value
            unequal = f"{column.expr} <> {self.bind(column.literal(value))}" if kind == column.type else ""
            return self._present(column, unequal) or self.d.true
        if kind != column.type:
            return self.d.false
        if op in ("like", "ilike"):
            like = self.d.like if op == "like" else self.d.ilike
            pattern = self.bind(self.d.like_pattern(str(value)))
            return self._present(column, like.format(value=column.expr, pattern=pattern))
        return self._present(column, f"{column.expr} {_OPERATORS[op]} {self.bind(column.literal(value))}")

    def _present(self, column: Column, condition: str) -> str:
        """`condition` on a column that is set (so never SQL NULL: NOT stays exact) and readable."""
        return all_of(f"{column.expr} IS NOT NULL" if column.nullable else "", condition,
                      self.visibility.readable_path(column.guard) if column.guard else "")


def _range_pairs(children: Sequence[Node]) -> tuple[list[tuple[Comparison, Comparison]], list[Node]]:
    """Pairs of a lower and an upper bound on the same plain JSON field with literals of one type, and the
    other children of an `and`."""
    pairs: list[tuple[Comparison, Comparison]] = []
    rest = list(children)
    bounds = [c for c in children if isinstance(c, Comparison) and c.op in ("gt", "ge", "lt", "le")
              and json_type(c.value) in (NUMBER, STRING) and _plain_json(c.field)]
    for lower in (c for c in bounds if c.op in ("gt", "ge")):
        upper = next((c for c in bounds if c.op in ("lt", "le") and c.field == lower.field and c in rest
                      and json_type(c.value) == json_type(lower.value)), None)
        if upper is not None and lower in rest:
            pairs.append((lower, upper))
            rest.remove(lower)
            rest.remove(upper)
    return pairs, rest


def _plain_json(text: str) -> bool:
    field = resolve_field(text)
    return field.kind == "json" and not target(field).wildcard
