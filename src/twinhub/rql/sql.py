"""RQL to one SQL query over the search index (`twinhub/store/index.py`) with Ditto's search semantics
and the caller's READ visibility inside it. Pure: `now` and the `Dialect` are arguments.

Semantics (MongoDB's, not the in-memory evaluator's): a literal compares only with index rows of its
JSON type; `eq(f,null)` needs a stored null; `ne(f,v)` needs f and no element equal to v; `not(q)` is
NOT q, so it matches things lacking f. Rows the caller may not READ do not exist for the query; `exists` and
`empty` see an object as the caller's READ view shows it (present when something in it is readable, empty when
nothing below it is), as the in-memory evaluation of a condition on that view does.

Visibility: a thing is found when one of the caller's unexpired grants has no unexpired revoke of the
caller at its path (partial READ somewhere, in Ditto's trie). A row at path P is readable when the
deepest grant on P's chain (P and its ancestors, '' the root) is deeper than the deepest revoke on it;
fast path: a root grant and no revoke at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, TypeAlias, TypeGuard

from twinhub.model.errors import TwinhubError
from twinhub.model.json import loads
from twinhub.model.pointer import format_pointer
from twinhub.rql.ast import And, Comparison, Empty, Exists, In, Node, Not, Or, SortOption
from twinhub.rql.dialects import Dialect
from twinhub.rql.errors import RqlInvalid
from twinhub.rql.fields import FieldPath, resolve_field, resolve_sort_field

__all__ = [
    "DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "MAX_PARAMETERS", "THING_COLUMNS", "CompiledQuery", "Cursor",
    "CursorInvalid", "Page", "compile_count", "compile_search", "decode_cursor", "encode_cursor", "query_fingerprint",
    "split_page",
]

SqlValue: TypeAlias = int | float | str | None
Row: TypeAlias = Sequence[object]

# JSON types of index rows, as `twinhub.store.index` writes them (rql/ imports nothing of store/).
NULL, NUMBER, STRING, OBJECT, ARRAY, BOOLEAN = 0, 1, 2, 3, 4, 5

DEFAULT_PAGE_SIZE: Final = 25
MAX_PAGE_SIZE: Final = 200
# Bound parameters of one query (literals, paths and their prefixes, subjects, namespaces): both engines take
# 32,766 (SQLite) or 32,767 (asyncpg), and SQLite's IN grows slow well before (0.3 s at 10,000 values).
MAX_PARAMETERS: Final = 8192
# What every search row starts with; the sort key values (`s0`, `s1`, ...) a cursor needs follow.
THING_COLUMNS: Final = ("thing_id", "revision", "created", "modified", "deleted", "doc")

_OPERATORS: Final = {"eq": "=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
# What a comparison implies for the prefixes of two strings (`Dialect.string_prefix`).
_PREFIX_OPERATORS: Final = {"=": "=", ">": ">=", ">=": ">=", "<": "<=", "<=": "<="}


class CursorInvalid(TwinhubError):
    """A cursor that is not one of ours, or was made for another filter, sort or namespaces."""

    def __init__(self, description: str) -> None:
        super().__init__("thing-search:search.option.invalid", 400, "The cursor option is invalid.", description)


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    sql: str
    params: list[SqlValue]


@dataclass(frozen=True, slots=True)
class Page:
    """`size` rows after `cursor` (keyset), or with `offset` set, after skipping that many (the deprecated
    `limit(offset,count)`, without cursors). `fingerprint` is the request's `query_fingerprint`: a cursor
    carrying another one is refused. The service validates `size`."""

    size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    offset: int | None = None
    fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class Cursor:
    """What a cursor holds: the last row's sort key values and thing id, and the query's fingerprint."""

    values: tuple[SqlValue, ...]
    thing_id: str
    fingerprint: str


def query_fingerprint(filter: Node | None, sort: SortOption | None, namespaces: Sequence[str] | None) -> str:
    """A digest of what a cursor is bound to. Pass the filter as parsed, before placeholders such as
    `time:now` are resolved, so that repeating the request gives the same fingerprint."""
    spaces = None if namespaces is None else sorted(set(namespaces))
    digest = hashlib.sha256(repr((filter, sort, spaces)).encode()).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def encode_cursor(values: Sequence[SqlValue], thing_id: str, fingerprint: str) -> str:
    """The opaque cursor after a row: unpadded base64url JSON of its sort values, id and fingerprint."""
    text = json.dumps({"k": list(values), "id": thing_id, "f": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """The cursor's content; raises CursorInvalid for anything `encode_cursor` did not make."""
    try:
        # The client's text: parsed within the nesting limit (the stdlib parser would recurse out of stack).
        content = loads(base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True))
    except (binascii.Error, ValueError) as exc:
        raise CursorInvalid("The cursor is not one this service issued.") from exc
    if not isinstance(content, dict):
        raise CursorInvalid("The cursor is not one this service issued.")
    values, thing_id, fingerprint = content.get("k"), content.get("id"), content.get("f")
    if not (isinstance(thing_id, str) and isinstance(fingerprint, str) and isinstance(values, list)
            and all(_is_sql_value(v) for v in values)):
        raise CursorInvalid("The cursor is not one this service issued.")
    return Cursor(tuple(v for v in values if _is_sql_value(v)), thing_id, fingerprint)


def split_page(rows: Sequence[Row], page: Page) -> tuple[list[Row], str | None]:
    """The rows to show (the query fetches `page.size + 1`) and the next page's cursor: None on the last
    page and on offset pages (there `len(rows) > page.size` says whether more follow)."""
    shown = list(rows[: page.size])
    if len(rows) <= page.size or page.offset is not None or not shown:
        return shown, None
    values = tuple(_stored(value) for value in shown[-1][len(THING_COLUMNS):])
    return shown, encode_cursor(values, str(shown[-1][0]), page.fingerprint)


def compile_search(filter: Node | None, *, subjects: Sequence[str], namespaces: Sequence[str] | None,
                   sort: SortOption | None, page: Page, now: str, dialect: Dialect) -> CompiledQuery:
    """Things `subjects` may see that match `filter`: `THING_COLUMNS` and the sort key values, ordered by
    `sort` (default `+thingId`, ties by thing id), at most `page.size + 1` rows. Raises CursorInvalid for a
    cursor that is not ours or belongs to another query, RqlInvalid / RqlOptionInvalid for unknown fields."""
    q = _Compiler(dialect, subjects, now)
    where = q.where(filter, namespaces)
    fields = sort.fields if sort is not None else (("+", "thingId"),)
    keys: list[tuple[str, str]] = []  # (expression, direction)
    joins: list[str] = []
    for n, (direction, field) in enumerate(fields):
        exprs, join = q.sort_key(resolve_sort_field(field), direction, f"k{n}")
        keys += [(expr, direction) for expr in exprs]
        joins += [join] if join else []
    tie = [] if any(resolve_sort_field(field).kind == "thingId" for _, field in fields) else [("t.thing_id", "+")]
    if page.cursor is not None:
        cursor = decode_cursor(page.cursor)
        if cursor.fingerprint != page.fingerprint:
            raise CursorInvalid("Repeat the filter, sort and namespaces of the search that gave the cursor.")
        if len(cursor.values) != len(keys) or None in cursor.values:
            raise CursorInvalid("The cursor does not fit the sort of this search.")
        where.append(q.after([*keys, *tie], [*cursor.values, cursor.thing_id]))
    names = [f"s{n}" for n in range(len(keys))] + ["t.thing_id"] * len(tie)
    select = [f"t.{column}" for column in THING_COLUMNS] + [f"{e} AS s{n}" for n, (e, _) in enumerate(keys)]
    order = ", ".join(f"{a} {'ASC' if d == '+' else 'DESC'}" for a, (_, d) in zip(names, [*keys, *tie], strict=True))
    sql = " ".join([f"SELECT {', '.join(select)} FROM things t", *joins, "WHERE " + " AND ".join(where),
                    f"ORDER BY {order} LIMIT {q.bind(page.size + 1)}"])
    return CompiledQuery(sql + (f" OFFSET {q.bind(page.offset)}" if page.offset else ""), q.params)


def compile_count(filter: Node | None, *, subjects: Sequence[str], namespaces: Sequence[str] | None, now: str,
                  dialect: Dialect) -> CompiledQuery:
    """How many things `subjects` may see match `filter` (one row, one column)."""
    q = _Compiler(dialect, subjects, now)
    return CompiledQuery("SELECT count(*) FROM things t WHERE " + " AND ".join(q.where(filter, namespaces)), q.params)


def _is_sql_value(value: object) -> TypeGuard[SqlValue]:
    return value is None or (isinstance(value, int | float | str) and not isinstance(value, bool))


def _stored(value: object) -> SqlValue:
    """A literal as the index stores it (booleans as 0/1); placeholders must be resolved before."""
    if isinstance(value, bool) or _is_sql_value(value):
        return int(value) if isinstance(value, bool) else value
    raise TypeError(f"not a resolved RQL value: {value!r}")


def _json_type(value: object) -> int:
    _stored(value)
    return BOOLEAN if isinstance(value, bool) else NULL if value is None else STRING if isinstance(value, str) \
        else NUMBER


def _timestamp(text: str) -> str:
    """An ISO timestamp in the stored form (UTC, microseconds, `Z`), so that it compares as text."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return text if moment.tzinfo is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _all(*conditions: str) -> str:
    present = [condition for condition in conditions if condition]
    return "(" + " AND ".join(present) + ")" if len(present) > 1 else (present[0] if present else "")


@dataclass(frozen=True, slots=True)
class _Column:
    """A field kept in a `things` column: its JSON type, and the path READ must reach, if any."""

    expr: str
    type: int
    nullable: bool = False
    guard: str | None = None
    timestamp: bool = False


# thingId, namespace, _revision, _created, _modified need no READ (Ditto's allow-list); policyId does.
_COLUMNS: Final = {
    "thingId": _Column("t.thing_id", STRING),
    "namespace": _Column("t.namespace", STRING, nullable=True),
    "policyId": _Column("t.policy_id", STRING, nullable=True, guard="/policyId"),
    "revision": _Column("t.revision", NUMBER),
    "created": _Column("t.created", STRING, nullable=True, timestamp=True),
    "modified": _Column("t.modified", STRING, nullable=True, timestamp=True),
}


@dataclass(frozen=True, slots=True)
class _Target:
    """The index rows of a field: at `path`, or with `wildcard`, at `wpath` (the feature id as `*`)."""

    path: str
    wildcard: bool


def _range_pairs(children: Sequence[Node]) -> tuple[list[tuple[Comparison, Comparison]], list[Node]]:
    """Pairs of a lower and an upper bound on the same plain JSON field with literals of one type, and the
    other children of an `and`."""
    pairs: list[tuple[Comparison, Comparison]] = []
    rest = list(children)
    bounds = [c for c in children if isinstance(c, Comparison) and c.op in ("gt", "ge", "lt", "le")
              and _json_type(c.value) in (NUMBER, STRING) and _plain_json(c.field)]
    for lower in (c for c in bounds if c.op in ("gt", "ge")):
        upper = next((c for c in bounds if c.op in ("lt", "le") and c.field == lower.field and c in rest
                      and _json_type(c.value) == _json_type(lower.value)), None)
        if upper is not None and lower in rest:
            pairs.append((lower, upper))
            rest.remove(lower)
            rest.remove(upper)
    return pairs, rest


def _plain_json(text: str) -> bool:
    field = resolve_field(text)
    return field.kind == "json" and not _target(field).wildcard


def _target(field: FieldPath) -> _Target:
    if field.kind == "definition":
        return _Target("/definition", False)
    pointer = field.pointer
    return _Target(format_pointer(pointer), len(pointer) > 1 and pointer[0] == "features" and pointer[1] == "*")


class _Compiler:
    """One query being written: its parameters, and SQL for visibility, conditions and sort keys."""

    def __init__(self, dialect: Dialect, subjects: Sequence[str], now: str) -> None:
        self.d = dialect
        self.params: list[SqlValue] = []
        self._refs: dict[tuple[type, SqlValue], str] = {}
        self._subjects = tuple(dict.fromkeys(subjects))
        self._now = now

    def bind(self, value: SqlValue) -> str:
        """The placeholder of `value`; equal values share one parameter."""
        key = (type(value), value)
        if key not in self._refs:
            if len(self.params) == MAX_PARAMETERS:
                raise RqlInvalid(f"The RQL expression is too large for one search: it needs more than "
                                 f"{MAX_PARAMETERS} values (literals, field paths and their parents).")
            self.params.append(value)
            ref = self.d.placeholder.format(n=len(self.params))
            self._refs[key] = self.d.number.format(ref) if isinstance(value, int | float) else ref
        return self._refs[key]

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

    def _counts(self, alias: str) -> str:
        """The policy_index row is the caller's and has not expired."""
        if not self._subjects:
            return self.d.false
        subjects, now = ", ".join(self.bind(subject) for subject in self._subjects), self.bind(self._now)
        return f"{alias}.subject IN ({subjects}) AND ({alias}.expiry IS NULL OR {alias}.expiry > {now})"

    def visible(self) -> str:
        return (f"EXISTS (SELECT 1 FROM policy_index g WHERE g.policy_id = t.policy_id AND g.effect = 1 AND "
                f"{self._counts('g')} AND NOT EXISTS (SELECT 1 FROM policy_index v WHERE v.policy_id = g.policy_id "
                f"AND v.path = g.path AND v.effect = -1 AND {self._counts('v')}))")

    def _readable(self, things: str, on_chain: str) -> str:
        full = (f"(EXISTS (SELECT 1 FROM policy_index g WHERE g.policy_id = {things}.policy_id AND g.effect = 1 "
                f"AND g.depth = 0 AND {self._counts('g')}) AND NOT EXISTS (SELECT 1 FROM policy_index v "
                f"WHERE v.policy_id = {things}.policy_id AND v.effect = -1 AND {self._counts('v')}))")
        deepest = (f"coalesce((SELECT d.effect FROM policy_index d WHERE d.policy_id = {things}.policy_id AND "
                   f"{self._counts('d')} AND {on_chain} ORDER BY d.depth DESC, d.effect ASC LIMIT 1), 0) = 1")
        return f"({full} OR {deepest})"

    def readable_path(self, path: str, things: str = "t") -> str:
        """The caller may READ `path` (a constant) of the thing `things`."""
        keys = path.split("/")[1:]
        chain = ["", *("/" + "/".join(keys[:n]) for n in range(1, len(keys) + 1))]
        return self._readable(things, f"d.path IN ({', '.join(self.bind(p) for p in chain)})")

    def readable_row(self, path: str, things: str) -> str:
        """The caller may READ the path that the SQL expression `path` holds."""
        return self._readable(things, f"(d.path = {path} OR substr({path}, 1, length(d.path) + 1) = d.path || '/')")

    def where(self, filter: Node | None, namespaces: Sequence[str] | None) -> list[str]:
        conditions = ["t.deleted = 0"]
        if namespaces is not None:
            spaces = ", ".join(self.bind(space) for space in dict.fromkeys(namespaces))
            conditions.append(f"t.namespace IN ({spaces})" if spaces else self.d.false)
        return [*conditions, *([self.node(filter)] if filter is not None else []), self.visible()]

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

    def rows(self, target: _Target, match: str = "", *, probe: bool = False) -> str:
        """The thing has a readable index row at `target` satisfying `match` (on alias i). A value match (usually
        selective) is an uncorrelated subquery on `thing_index_by_value` / `_by_wildcard` that can drive the
        query; a `probe` (exists, ne, empty: true for most things) looks at the thing's own rows instead."""
        at = self.bind(target.path)
        on_path = f"i.wpath = {at} AND i.wpath <> i.path" if target.wildcard else f"i.path = {at}"
        if probe:
            check = self.readable_row("i.path", "t") if target.wildcard else ""
            mine = _all("i.thing_id = t.thing_id", on_path, match, check)
            found = f"EXISTS (SELECT 1 FROM thing_index i WHERE {mine})"
        elif target.wildcard:
            return (f"t.thing_id IN (SELECT i.thing_id FROM thing_index i JOIN things r ON r.thing_id = i.thing_id "
                    f"WHERE {_all(on_path, match, self.readable_row('i.path', 'r'))})")
        else:
            found = f"t.thing_id IN (SELECT i.thing_id FROM thing_index i WHERE {_all(on_path, match)})"
        return found if target.wildcard else f"({found} AND {self.readable_path(target.path)})"

    def range(self, lower: Comparison, upper: Comparison) -> str:
        """`and(ge(f,a),lt(f,b))` on one field, driven by ONE index range scan instead of two half-tables.

        Exactly the two separate conditions: a thing matches when one row is in the range, or when the field
        is multi-valued (an array at the path or above it) and one row passes each bound."""
        field = resolve_field(lower.field)
        low, high = self.match(lower.op, lower.value), self.match(upper.op, upper.value)
        if low is None or high is None:
            return self.d.false
        at = self.bind(_target(field).path)
        arrays = ", ".join(self.bind(format_pointer(field.pointer[:n])) for n in range(1, len(field.pointer) + 1))
        either = "EXISTS (SELECT 1 FROM thing_index i WHERE i.thing_id = a.thing_id AND i.path = {at} AND {match})"
        matching = (f"SELECT i.thing_id FROM thing_index i WHERE i.path = {at} AND {low} AND {high} "
                    f"UNION SELECT a.thing_id FROM thing_index a WHERE a.path IN ({arrays}) AND a.type = {ARRAY} "
                    f"AND {either.format(at=at, match=low)} AND {either.format(at=at, match=high)}")
        return f"(t.thing_id IN ({matching}) AND {self.readable_path(_target(field).path)})"

    def match(self, op: str, value: object) -> str | None:
        """The index rows `op` accepts for the literal, or None when no row can match."""
        kind = _json_type(value)
        if op in ("like", "ilike"):
            if kind != STRING:
                return None
            like = self.d.like if op == "like" else self.d.ilike
            return f"i.type = {STRING} AND " + like.format(value=f"i.{self.d.strings}",
                                                           pattern=self.bind(self.d.like_pattern(str(value))))
        if kind == NULL:  # nothing is greater or less than null; ge/le include equality
            return f"i.type = {NULL}" if op in ("eq", "ge", "le") else None
        return f"i.type = {kind} AND {self.value(kind, _OPERATORS[op], [self.bind(_stored(value))])}"

    def compare(self, op: str, field: FieldPath, value: object) -> str:
        column = _COLUMNS.get(field.kind)
        if column is not None:
            return self.compare_column(op, column, value)
        target = _target(field)
        if op == "ne":
            return f"({self.rows(target, probe=True)} AND NOT {self.rows(target, self.match('eq', value) or '')})"
        match = self.match(op, value)
        return self.d.false if match is None else self.rows(target, match)

    def any_of(self, field: FieldPath, values: Sequence[object]) -> str:
        column = _COLUMNS.get(field.kind)
        if column is not None:
            accepted = [self._literal(column, value) for value in values if _json_type(value) == column.type]
            refs = ", ".join(dict.fromkeys(self.bind(value) for value in accepted))
            return self._present(column, f"{column.expr} IN ({refs})") if refs else self.d.false
        groups: dict[int, list[SqlValue]] = {}
        for value in values:
            groups.setdefault(_json_type(value), []).append(_stored(value))
        matches = [f"i.type = {NULL}" if kind == NULL else
                   f"(i.type = {kind} AND {self.value(kind, 'IN', list(dict.fromkeys(self.bind(v) for v in group)))})"
                   for kind, group in groups.items()]
        return self.rows(_target(field), matches[0] if len(matches) == 1 else f"({' OR '.join(matches)})")

    def exists(self, field: FieldPath) -> str:
        column = _COLUMNS.get(field.kind)
        return (self._present(column, "") or self.d.true) if column else self.shown(_target(field))

    def empty(self, field: FieldPath) -> str:
        """Absent, null, [], {} and "" are empty, as in the caller's view: unreadable rows count as absent, and an
        object with nothing readable below it as {}."""
        column = _COLUMNS.get(field.kind)
        if column is None:
            return f"NOT ({self.shown(_target(field), filled=True)})"
        filled = self._present(column, f"{column.expr} <> ''" if column.type == STRING else "")
        return f"NOT ({filled})" if filled else self.d.false

    def shown(self, target: _Target, *, filled: bool = False) -> str:
        """The thing has a value at `target` in the caller's READ view (`filled`: a non-empty one). The view keeps
        a readable value, and an object with something readable below it, cut down to that: so an object is
        shown when it or something below it is readable, and filled only when something below it is."""
        at = self.bind(target.path)
        if target.wildcard:
            on_path, itself = f"i.wpath = {at} AND i.wpath <> i.path", self.readable_row("i.path", "t")
            below = self.readable_below("i.path || '/'", "i.path || '0'")
        else:
            on_path, itself = f"i.path = {at}", self.readable_path(target.path)
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
                f"c.path < ({high}) AND {self.readable_row('c.path', 't')})")

    def compare_column(self, op: str, column: _Column, value: object) -> str:
        kind = _json_type(value)
        if op == "ne":  # set (and readable), and of another type or value
            unequal = f"{column.expr} <> {self.bind(self._literal(column, value))}" if kind == column.type else ""
            return self._present(column, unequal) or self.d.true
        if kind != column.type:
            return self.d.false
        if op in ("like", "ilike"):
            like = self.d.like if op == "like" else self.d.ilike
            pattern = self.bind(self.d.like_pattern(str(value)))
            return self._present(column, like.format(value=column.expr, pattern=pattern))
        return self._present(column, f"{column.expr} {_OPERATORS[op]} {self.bind(self._literal(column, value))}")

    def _present(self, column: _Column, condition: str) -> str:
        """`condition` on a column that is set (so never SQL NULL: NOT stays exact) and readable."""
        return _all(f"{column.expr} IS NOT NULL" if column.nullable else "", condition,
                    self.readable_path(column.guard) if column.guard else "")

    @staticmethod
    def _literal(column: _Column, value: object) -> SqlValue:
        return _timestamp(value) if column.timestamp and isinstance(value, str) else _stored(value)

    def sort_key(self, field: FieldPath, direction: str, alias: str) -> tuple[list[str], str]:
        """The key expressions (never NULL) of a sort field and the join they need, if any. Columns sort by
        value ('' when unset or unreadable); JSON fields by (type, value) of one readable row: arrays by their
        least element ascending, greatest descending (by the array row when empty); missing is type -1. With
        typed value columns (`Dialect.numbers`, `.strings`) the value is two keys, number then string."""
        column = _COLUMNS.get(field.kind)
        if column is not None:
            expr = f"CASE WHEN {self.readable_path(column.guard)} THEN {column.expr} END" if column.guard \
                else column.expr
            return [f"coalesce({expr}, '')" if column.nullable else expr], ""
        target = _target(field)
        at = self.bind(target.path)
        rows = f"i.wpath = {at} AND i.wpath <> i.path AND {self.readable_row('i.path', 't')}" if target.wildcard \
            else f"i.path = {at}"
        order = "ASC" if direction == "+" else "DESC"
        values = [(self.d.numbers, "0")] + ([(self.d.strings, "''")] if self.d.strings != self.d.numbers else [])
        query = (f"FROM thing_index i WHERE i.thing_id = t.thing_id AND {rows} ORDER BY i.type = {ARRAY}, "
                 f"i.type {order}, {', '.join(f'i.{column} {order}' for column, _ in values)} LIMIT 1")
        on = self.d.true if target.wildcard else self.readable_path(target.path)
        keys = [f"coalesce({alias}.type, -1)", *(f"coalesce({alias}.{col}, {missing})" for col, missing in values)]
        return keys, self.d.first_row.format(alias=alias, query=query, on=on)

    def after(self, order: Sequence[tuple[str, str]], values: Sequence[SqlValue]) -> str:
        """Rows strictly after the cursor's in `order` (keyset pagination)."""
        terms = []
        for n, (expr, direction) in enumerate(order):
            equal = [f"{e} = {self.bind(v)}" for (e, _), v in zip(order[:n], values, strict=False)]
            terms.append(_all(*equal, f"{expr} {'>' if direction == '+' else '<'} {self.bind(values[n])}"))
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"
