"""Ditto's two RQL grammars, bit for bit: filters (`RqlPredicateParser.scala`) and options (`RqlOptionParser.scala`).

    Filter   = WS Query EOI                      leading whitespace is fine, trailing whitespace is an error
    Query    = Cmp | In | Logical | Not | Exists | Empty
    Cmp      = ("eq"|"ne"|"gt"|"ge"|"lt"|"le"|"like"|"ilike") "(" Property "," Literal ")"
    In       = "in" "(" Property ("," Literal)+ ")"
    Logical  = ("and"|"or") "(" Query ("," WS Query)* ")"       whitespace only after the commas
    Not      = "not" "(" Query ")"
    Exists   = "exists" "(" Property ")"          Empty = "empty" "(" Property ")"

    Options  = WS Option ("," Option)* EOI
    Option   = "sort(" Dir Property ("," Dir Property)* ")" | "limit(" Long "," Long ")"
             | "cursor(" Property ")" | "size(" Digit+ ")"        Dir = "+" | "-"

Property, Literal, Long and WS are in `twinhub.rql._scanner`. Keywords are case-sensitive. Beyond the grammar,
and as in Ditto, a sort property must be a JSON pointer (no `//`) and `size` must fit a Java int.

Inputs are bounded (400 `rql.expression.invalid` beyond): `max_length` characters, `max_depth` nested queries
(the root counts as one) and `max_terms` terms (comparisons, `in`, `exists`, `empty`). A search compiles each
term into several subqueries, so the defaults are what both SQL engines take with room to spare: SQLite's
parser stack (100 entries) holds about 17 levels of the deepest terms, of which `DEFAULT_MAX_DEPTH` and the
`and` around several `filter` parameters use 11; PostgreSQL's planner needs about a second for 32 terms on
`features/*` in one `and` (and grows steeply: 13 s for 50), so `DEFAULT_MAX_TERMS` is 32.
"""

from __future__ import annotations

from twinhub.model.errors import RqlInvalid, RqlOptionInvalid
from twinhub.rql._scanner import Scanner
from twinhub.rql.ast import (
    And,
    Comparison,
    ComparisonOp,
    CursorOption,
    Empty,
    Exists,
    In,
    LimitOption,
    Node,
    Not,
    Option,
    Or,
    SizeOption,
    SortDirection,
    SortOption,
    Value,
)

__all__ = [
    "DEFAULT_MAX_DEPTH", "DEFAULT_MAX_LENGTH", "DEFAULT_MAX_TERMS", "check_terms", "parse_filter", "parse_options",
]

DEFAULT_MAX_LENGTH = 64 * 1024
DEFAULT_MAX_DEPTH = 10
DEFAULT_MAX_TERMS = 32

_INT_MAX = 2**31 - 1
_COMPARISONS: dict[str, ComparisonOp] = {
    "eq": "eq",
    "ne": "ne",
    "gt": "gt",
    "ge": "ge",
    "lt": "lt",
    "le": "le",
    "like": "like",
    "ilike": "ilike",
}
_OPERATORS = (*_COMPARISONS, "in", "and", "or", "not", "exists", "empty")
_OPTIONS = ("sort", "limit", "cursor", "size")
_FILTER_SUBJECT = "The RQL expression"
_OPTION_SUBJECT = "The RQL option"


def parse_filter(text: str, *, max_length: int = DEFAULT_MAX_LENGTH, max_depth: int = DEFAULT_MAX_DEPTH,
                 max_terms: int = DEFAULT_MAX_TERMS) -> Node:
    """The filter `text` as a tree, e.g. `and(eq(thingId,"a:b"),exists(attributes/x))`.

    Raises `RqlInvalid` (400 `rql.expression.invalid`) with the position of the first error, for text longer
    than `max_length` characters, for queries nested deeper than `max_depth` and for more than `max_terms`
    terms. Field names are not checked here; see `validate_filter_fields`.
    """
    if len(text) > max_length:
        raise RqlInvalid(
            f"{_FILTER_SUBJECT} is invalid: it has {len(text)} characters, more than the limit of {max_length}.",
            position=max_length,
        )
    scanner = Scanner(text, subject=_FILTER_SUBJECT, options=False)
    scanner.skip_ws()
    node = _Parse(scanner, max_depth, max_terms).query(1)
    if not scanner.at_end():
        hint = " (no whitespace is allowed after the last ')')" if scanner.peek().isspace() else ""
        scanner.fail(scanner.pos, f"expected end of input, found {scanner.found(scanner.pos)}{hint}")
    return node


def check_terms(node: Node, *, max_terms: int = DEFAULT_MAX_TERMS) -> None:
    """Raise `RqlInvalid` when `node` (e.g. several parsed filters AND-ed) has more than `max_terms` terms."""
    count, pending = 0, [node]
    while pending:
        current = pending.pop()
        if isinstance(current, And | Or):
            pending.extend(current.children)
        elif isinstance(current, Not):
            pending.append(current.child)
        else:
            count += 1
    if count > max_terms:
        raise RqlInvalid(f"{_FILTER_SUBJECT} is invalid: it has {count} terms (comparisons, in, exists, empty), "
                         f"more than the limit of {max_terms}.")


class _Parse:
    """One filter being parsed: the scanner and what is left of the term budget."""

    def __init__(self, scanner: Scanner, max_depth: int, max_terms: int) -> None:
        self.scanner = scanner
        self.max_depth = max_depth
        self.max_terms = max_terms
        self.terms = 0

    def query(self, depth: int) -> Node:
        scanner = self.scanner
        if depth > self.max_depth:
            scanner.fail(scanner.pos, f"queries are nested deeper than the limit of {self.max_depth} levels")
        start = scanner.pos
        operator = scanner.name(_OPERATORS, "an RQL operator")
        if operator in ("and", "or"):
            children = [self.query(depth + 1)]
            while scanner.peek() == ",":
                scanner.pos += 1
                scanner.skip_ws()
                children.append(self.query(depth + 1))
            _close(scanner, "',' or ')'")
            return And(tuple(children)) if operator == "and" else Or(tuple(children))
        if operator == "not":
            child = self.query(depth + 1)
            hint = " (not() takes exactly one query)" if scanner.peek() == "," else ""
            _close(scanner, "')'", hint)
            return Not(child)
        self.terms += 1
        if self.terms > self.max_terms:
            scanner.fail(start, f"it has more than the limit of {self.max_terms} terms (comparisons, in, exists, "
                                "empty)")
        return _term(scanner, operator)


def _term(scanner: Scanner, operator: str) -> Node:
    field = scanner.property()
    if operator in ("exists", "empty"):
        _close(scanner, "')'", _property_hint(scanner))
        return Exists(field) if operator == "exists" else Empty(field)
    if scanner.peek() != ",":
        scanner.fail(scanner.pos, f"expected ',', found {scanner.found(scanner.pos)}{_property_hint(scanner)}")
    scanner.pos += 1
    if operator == "in":
        values: list[Value] = [scanner.literal()]
        while scanner.peek() == ",":
            scanner.pos += 1
            values.append(scanner.literal())
        _close(scanner, "',' or ')'")
        return In(field, tuple(values))
    value = scanner.literal()
    _close(scanner, "')'", f" ({operator}() takes one value)" if scanner.peek() == "," else "")
    return Comparison(_COMPARISONS[operator], field, value)


def _close(scanner: Scanner, expected: str, hint: str = "") -> None:
    """Consume the ')' that ends a query; anything else is an error expecting `expected`."""
    if scanner.peek() != ")":
        scanner.fail(scanner.pos, f"expected {expected}, found {scanner.found(scanner.pos)}{hint}")
    scanner.pos += 1


def _property_hint(scanner: Scanner) -> str:
    return " (properties are not quoted)" if scanner.peek() == '"' else ""


def parse_options(text: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> tuple[Option, ...]:
    """The comma-separated options in `text`, e.g. `sort(+thingId,-attributes/x),size(10)`, in order.

    Raises `RqlOptionInvalid` (400 `thing-search:search.option.invalid`) with the position of the first error.
    Sort fields are not checked here; see `validate_sort_fields`.
    """
    if len(text) > max_length:
        raise RqlOptionInvalid(
            f"{_OPTION_SUBJECT} is invalid: it has {len(text)} characters, more than the limit of {max_length}.",
            position=max_length,
        )
    scanner = Scanner(text, subject=_OPTION_SUBJECT, options=True)
    scanner.skip_ws()
    options = [_option(scanner)]
    while scanner.peek() == ",":
        scanner.pos += 1
        options.append(_option(scanner))
    if not scanner.at_end():
        scanner.fail(scanner.pos, f"expected ',' or end of input, found {scanner.found(scanner.pos)}")
    return tuple(options)


def _option(scanner: Scanner) -> Option:
    name = scanner.name(_OPTIONS, "an option")
    if name == "sort":
        fields = [_sort_field(scanner)]
        while scanner.peek() == ",":
            scanner.pos += 1
            fields.append(_sort_field(scanner))
        _close(scanner, "',' or ')'")
        return SortOption(tuple(fields))
    if name == "limit":
        offset = int(scanner.number(allow_double=False))
        scanner.skip_ws()
        scanner.expect(",")
        count = int(scanner.number(allow_double=False))
        scanner.skip_ws()
        _close(scanner, "')'")
        return LimitOption(offset, count)
    if name == "cursor":
        cursor = scanner.property()
        _close(scanner, "')'")
        return CursorOption(cursor)
    start = scanner.pos
    digits = scanner.unsigned_digits()
    significant = digits.lstrip("0") or "0"  # Integer.valueOf reads leading zeros
    size = int(significant) if len(significant) <= 10 else _INT_MAX + 1
    if size > _INT_MAX:
        scanner.fail(start, f"the size {digits[:20]} is out of the range of a 32-bit int")
    _close(scanner, "')'")
    return SizeOption(size)


def _sort_field(scanner: Scanner) -> tuple[SortDirection, str]:
    direction = scanner.peek()
    if direction not in ("+", "-") or not direction:
        hint = " (a '+' sent in a URL query must be encoded as %2B)" if direction == " " else ""
        scanner.fail(scanner.pos, f"expected the sort direction '+' or '-', found {scanner.found(scanner.pos)}{hint}")
    scanner.pos += 1
    start = scanner.pos
    field = scanner.property()
    slashes = field.find("//")
    if slashes >= 0:
        scanner.fail(start, "a sort property is a JSON pointer and must not contain consecutive slashes")
    return ("+" if direction == "+" else "-"), field
