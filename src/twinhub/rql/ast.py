"""The RQL syntax tree: filters (`Node`) and search options (`Option`), frozen and validated on construction.

Both evaluators walk these values: the in-memory one (`twinhub.rql.memory`) and the SQL compiler. Property texts
are kept exactly as parsed (escapes decoded, spaces and a leading `/` kept); `twinhub.rql.fields` gives them meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "And",
    "Comparison",
    "ComparisonOp",
    "CursorOption",
    "Empty",
    "Exists",
    "In",
    "LimitOption",
    "Node",
    "Not",
    "Option",
    "Or",
    "Placeholder",
    "SizeOption",
    "SortDirection",
    "SortOption",
    "Value",
]

ComparisonOp: TypeAlias = Literal["eq", "ne", "gt", "ge", "lt", "le", "like", "ilike"]
SortDirection: TypeAlias = Literal["+", "-"]

COMPARISON_OPS: frozenset[str] = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "like", "ilike"})

# What Ditto's grammar accepts unquoted as a placeholder value: "time:" then property characters (anything but
# `,)"\` unless escaped), and what ParsedPlaceholder accepts after that: a non-empty name without line terminators.
PLACEHOLDER_TEXT = re.compile(r'time:(?:[^,)"\\\n\r\x85\u2028\u2029]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))+')


@dataclass(frozen=True, slots=True)
class Placeholder:
    """An unquoted `time:` value such as `time:now`, `time:now-1h` or `time:now_epoch_millis[h]`, kept verbatim.

    `resolve_placeholders(node, now)` turns it into a timestamp; the grammar allows no other prefix.
    """

    name: str

    def __post_init__(self) -> None:
        if not PLACEHOLDER_TEXT.fullmatch(self.name):
            raise ValueError(f"not an RQL placeholder value: {self.name!r}")


Value: TypeAlias = bool | int | float | str | Placeholder | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """`op(field,value)`: eq, ne, gt, ge, lt, le, like or ilike."""

    op: ComparisonOp
    field: str
    value: Value

    def __post_init__(self) -> None:
        if self.op not in COMPARISON_OPS:
            raise ValueError(f"unknown comparison operator: {self.op!r}")


@dataclass(frozen=True, slots=True)
class In:
    """`in(field,value,...)`: the field equals one of at least one value."""

    field: str
    values: tuple[Value, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("in() needs at least one value")


@dataclass(frozen=True, slots=True)
class And:
    """`and(query,...)`: all of at least one child."""

    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        if not self.children:
            raise ValueError("and() needs at least one child")


@dataclass(frozen=True, slots=True)
class Or:
    """`or(query,...)`: any of at least one child."""

    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        if not self.children:
            raise ValueError("or() needs at least one child")


@dataclass(frozen=True, slots=True)
class Not:
    """`not(query)`: exactly one child, negated."""

    child: Node


@dataclass(frozen=True, slots=True)
class Exists:
    """`exists(field)`: the field is present (even when its value is null)."""

    field: str


@dataclass(frozen=True, slots=True)
class Empty:
    """`empty(field)`: the field is absent, null, `""`, `[]` or `{}`."""

    field: str


Node: TypeAlias = Comparison | In | And | Or | Not | Exists | Empty


@dataclass(frozen=True, slots=True)
class SortOption:
    """`sort(+a,-b)`: one or more fields, each with its direction (`+` ascending, `-` descending)."""

    fields: tuple[tuple[SortDirection, str], ...]

    def __post_init__(self) -> None:
        if not self.fields:
            raise ValueError("sort() needs at least one field")
        for direction, _ in self.fields:
            if direction not in ("+", "-"):
                raise ValueError(f"sort direction must be '+' or '-', not {direction!r}")


@dataclass(frozen=True, slots=True)
class SizeOption:
    """`size(n)`: the page size (the grammar takes unsigned digits; the service enforces its maximum)."""

    size: int

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError("size must not be negative")


@dataclass(frozen=True, slots=True)
class CursorOption:
    """`cursor(c)`: the opaque cursor of the next page, as given by the previous response."""

    cursor: str


@dataclass(frozen=True, slots=True)
class LimitOption:
    """`limit(offset,count)`: deprecated paging; values are Java longs as parsed, the service checks ranges."""

    offset: int
    count: int


Option: TypeAlias = SortOption | SizeOption | CursorOption | LimitOption
