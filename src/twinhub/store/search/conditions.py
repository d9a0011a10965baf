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
from twinhub.store.search.sql import Argument, all_of
from twinhub.store.search.visibility import Visibility

__all__ = ["Conditions"]

_OPERATORS: Final = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
# What a comparison implies for the prefixes of two strings (`Dialect.string_prefix`).
_PREFIX_OPERATORS: Final = {"=": "=", ">": ">=", ">=": ">=", "<": "<=", "<=": "<="}


class Conditions:
    """SQL for filters (placeholders resolved) as `visibility`'s caller sees the things, binding into its
    parameters. A literal is bound as the filter's `Argument("literals", n)`, n counting the literals as written
    (`in` values each), so that a plan of the SQL serves every filter of its shape."""

    def __init__(self, visibility: Visibility) -> None:
        self.visibility = visibility
        self.d = visibility.d
        self.bind = visibility.params.bind

    def where(self, filter: Node | None, namespaces: Sequence[str] | None) -> list[str]:
        """The conditions (AND-ed) on a thing `t` found: not deleted, in `namespaces`, matching, visible."""
        conditions = ["t.deleted = 0"]
        if namespaces is not None:
            spaces = ", ".join(self.bind(space, Argument("namespaces", n))
                               for n, space in enumerate(dict.fromkeys(namespaces)))
            conditions.append(f"t.namespace IN ({spaces})" if spaces else self.d.false)
        return [*conditions, *([self.node(filter)] if filter is not None else []), self.visibility.visible()]

    def node(self, node: Node, first: int = 0) -> str:
        """The condition of `node`, whose first literal is the filter's literal number `first`."""
        match node:
            case And(children=children):
                firsts = _firsts(children, first)
                ranges, rest = _range_pairs(children)
                parts = [self.range(lower, firsts[low], upper, firsts[high]) for (low, lower), (high, upper) in ranges]
                parts += [self.node(children[n], firsts[n]) for n in rest]
                return "(" + " AND ".join(parts) + ")"
            case Or(children=children):
                firsts = _firsts(children, first)
                return "(" + " OR ".join(self.node(child, at) for child, at in zip(children, firsts, strict=True)) + ")"
            case Not(child=child):
                return f"NOT ({self.node(child, first)})"
            case Comparison(op=op, field=field, value=value):
                return self.compare(op, resolve_field(field), value, first)
            case In(field=field, values=values):
                return self.any_of(resolve_field(field), values, first)
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

    def range(self, lower: Comparison, lower_at: int, upper: Comparison, upper_at: int) -> str:
        """`and(ge(f,a),lt(f,b))` on one field, driven by ONE index range scan instead of two half-tables.

        Exactly the two separate conditions: a thing matches when one row is in the range, or when the field
        is multi-valued (an array at the path or above it) and one row passes each bound."""
        field = resolve_field(lower.field)
        low, high = self.match(lower.op, lower.value, lower_at), self.match(upper.op, upper.value, upper_at)
        if low is None or high is None:
            return self.d.false
        at = self.bind(target(field).path)
        arrays = ", ".join(self.bind(format_pointer(field.pointer[:n])) for n in range(1, len(field.pointer) + 1))
        either = "EXISTS (SELECT 1 FROM thing_index i WHERE i.thing_id = a.thing_id AND i.path = {at} AND {match})"
        matching = (f"SELECT i.thing_id FROM thing_index i WHERE i.path = {at} AND {low} AND {high} "
                    f"UNION SELECT a.thing_id FROM thing_index a WHERE a.path IN ({arrays}) AND a.type = {ARRAY} "
                    f"AND {either.format(at=at, match=low)} AND {either.format(at=at, match=high)}")
        return f"(t.thing_id IN ({matching}) AND {self.visibility.readable_path(target(field).path)})"

    def match(self, op: str, value: object, at: int) -> str | None:
        """The index rows `op` accepts for the literal (the filter's literal number `at`), or None when no row
        can match."""
        kind = json_type(value)
        if op in ("like", "ilike"):
            if kind != STRING:
                return None
            like = self.d.like if op == "like" else self.d.ilike
            pattern = self.bind(self.d.like_pattern(str(value)), Argument("literals", at, self.d.like_pattern))
            return f"i.type = {STRING} AND " + like.format(value=f"i.{self.d.strings}", pattern=pattern)
        if kind == NULL:  # nothing is greater or less than null; ge/le include equality
            return f"i.type = {NULL}" if op in ("eq", "ge", "le") else None
        return f"i.type = {kind} AND {self.value(kind, _OPERATORS[op], self.literals((value,), at, (0,)))}"

    def literals(self, values: Sequence[object], first: int, places: Sequence[int]) -> list[str]:
        """The distinct placeholders of the `values` at `places` as the index stores them, `values` being the
        filter's literals from number `first` on."""
        return list(dict.fromkeys(self.bind(stored(values[n]), Argument("literals", first + n, stored))
                                  for n in places))

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
        short = self.d.short_string
        if op in ("=", "IN") and short is not None:
            # With the literals bound, the planner folds the shortness away (or the comparison of full strings,
            # when one is long) and so estimates the matches of the prefix alone, which the index has statistics
            # for; a plan of the shape still serves literals of every length.
            condition = f"({' AND '.join(short.format(ref) for ref in refs)} OR {condition})"
        return f"{prefix.format(column)} {loose} AND {condition}"

    # -- operators ------------------------------------------------------------------------------------

    def compare(self, op: str, field: FieldPath, value: object, at: int) -> str:
        """`op(field,value)`, the value being the filter's literal number `at`."""
        column = COLUMNS.get(field.kind)
        if column is not None:
            return self.compare_column(op, column, value, at)
        on = target(field)
        if op == "ne":
            return f"({self.rows(on, probe=True)} AND NOT {self.rows(on, self.match('eq', value, at) or '')})"
        match = self.match(op, value, at)
        return self.d.false if match is None else self.rows(on, match)

    def any_of(self, field: FieldPath, values: Sequence[object], first: int) -> str:
        """`in(field,values...)`, the values being the filter's literals from number `first` on."""
        column = COLUMNS.get(field.kind)
        if column is not None:
            refs = ", ".join(dict.fromkeys(self.bind(column.literal(value), Argument("literals", first + n,
                                                                                      column.literal))
                                           for n, value in enumerate(values) if json_type(value) == column.type))
            return self._present(column, f"{column.expr} IN ({refs})") if refs else self.d.false
        groups: dict[int, list[int]] = {}
        for n, value in enumerate(values):
            groups.setdefault(json_type(value), []).append(n)
        matches = [f"i.type = {NULL}" if kind == NULL else
                   f"(i.type = {kind} AND {self.value(kind, 'IN', self.literals(values, first, group))})"
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
            below = self.readable_below(self.bind(target.path + "/"), self.bind(target.path + "0"),
                                        metadata=target.path.startswith("/_metadata"))
        if filled:
            visible = f"i.empty = 0 AND ((i.type <> {OBJECT} AND {itself}) OR (i.type = {OBJECT} AND {below}))"
        else:
            visible = f"({itself} OR (i.type = {OBJECT} AND {below}))"
        return f"EXISTS (SELECT 1 FROM thing_index i WHERE i.thing_id = t.thing_id AND {on_path} AND {visible})"

    def readable_below(self, low: str, high: str, *, metadata: bool = False) -> str:
        """The thing has a readable row whose path is in [low, high): below a path P when they are P + '/' and
        P + '0' ('0' follows '/'; paths compare by code point on both backends); `metadata`: below `/_metadata`."""
        return (f"EXISTS (SELECT 1 FROM thing_index c WHERE c.thing_id = t.thing_id AND c.path >= ({low}) AND "
                f"c.path < ({high}) AND {self.visibility.readable_row('c.path', 't', metadata=metadata)})")

    # -- columns --------------------------------------------------------------------------------------

    def compare_column(self, op: str, column: Column, value: object, at: int) -> str:
        kind = json_type(value)
        literal = Argument("literals", at, column.literal)
        if op == "ne":  # set (and readable), and of another type or value
            unequal = f"{column.expr} <> {self.bind(column.literal(value), literal)}" if kind == column.type else ""
            return self._present(column, unequal) or self.d.true
        if kind != column.type:
            return self.d.false
        if op in ("like", "ilike"):
            like = self.d.like if op == "like" else self.d.ilike
            pattern = self.bind(self.d.like_pattern(str(value)), Argument("literals", at, self.d.like_pattern))
            return self._present(column, like.format(value=column.expr, pattern=pattern))
        return self._present(column, f"{column.expr} {_OPERATORS[op]} {self.bind(column.literal(value), literal)}")

    def _present(self, column: Column, condition: str) -> str:
        """`condition` on a column that is set (so never SQL NULL: NOT stays exact) and readable."""
        return all_of(f"{column.expr} IS NOT NULL" if column.nullable else "", condition,
                      self.visibility.readable_path(column.guard) if column.guard else "")


def _range_pairs(children: Sequence[Node]) -> tuple[list[tuple[tuple[int, Comparison], tuple[int, Comparison]]],
                                                     list[int]]:
    """Pairs of a lower and an upper bound on the same plain JSON field with literals of one type, and the
    other children of an `and`, with their places in `children`."""
    pairs: list[tuple[tuple[int, Comparison], tuple[int, Comparison]]] = []
    rest = list(range(len(children)))
    bounds = {n: c for n, c in enumerate(children) if isinstance(c, Comparison) and c.op in ("gt", "ge", "lt", "le")
              and json_type(c.value) in (NUMBER, STRING) and _plain_json(c.field)}
    for lower, low in ((n, c) for n, c in bounds.items() if c.op in ("gt", "ge")):
        upper = next((n for n, c in bounds.items() if c.op in ("lt", "le") and c.field == low.field and n in rest
                      and json_type(c.value) == json_type(low.value)), None)
        if upper is not None and lower in rest:
            pairs.append(((lower, low), (upper, bounds[upper])))
            rest.remove(lower)
            rest.remove(upper)
    return pairs, rest


def _firsts(children: Sequence[Node], first: int) -> list[int]:
    """The number of each child's first literal, the first child's being `first`."""
    firsts = []
    for child in children:
        firsts.append(first)
        first += literal_count(child)
    return firsts


def literal_count(node: Node) -> int:
    """How many literals `node` has (each value of an `in` counts)."""
    match node:
        case Comparison():
            return 1
        case In(values=values):
            return len(values)
        case And(children=children) | Or(children=children):
            return sum(literal_count(child) for child in children)
        case Not(child=child):
            return literal_count(child)
    return 0


def _plain_json(text: str) -> bool:
    field = resolve_field(text)
    return field.kind == "json" and not target(field).wildcard
