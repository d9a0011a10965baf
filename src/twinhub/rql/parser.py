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
Inputs are bounded: `max_length` characters and `max_depth` nested queries (the root counts as one).
"""

from __future__ import annotations

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
from twinhub.rql.errors import RqlInvalid, RqlOptionInvalid

__all__ = ["DEFAULT_MAX_DEPTH", "DEFAULT_MAX_LENGTH", "parse_filter", "parse_options"]

DEFAULT_MAX_LENGTH = 64 * 1024
DEFAULT_MAX_DEPTH = 64

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


def parse_filter(text: str, *, max_length: int = DEFAULT_MAX_LENGTH, max_depth: int = DEFAULT_MAX_DEPTH) -> Node:
    """The filter `text` as a tree, e.g. `and(eq(thingId,"a:b"),exists(attributes/x))`.

    Raises `RqlInvalid` (400 `rql.expression.invalid`) with the position of the first error, for text longer
    than `max_length` characters and for queries nested deeper than `max_depth`. Field names are not checked
    here; see `validate_filter_fields`.
    """
    if len(text) > max_length:
        raise RqlInvalid(
            f"{_FILTER_SUBJECT} is invalid: it has {len(text)} characters, more than the limit of {max_length}.",
            position=max_length,
        )
    scanner = Scanner(text, subject=_FILTER_SUBJECT, options=False)
    scanner.skip_ws()
    node = _query(scanner, 1, max_depth)
    if not scanner.at_end():
        hint = " (no whitespace is allowed after the last ')')" if scanner.peek().isspace() else ""
        scanner.fail(scanner.pos, f"expected end of input, found {scanner.found(scanner.pos)}{hint}")
    return node


def _query(scanner: Scanner, depth: int, max_depth: int) -> Node:
    if depth > max_depth:
        scanner.fail(scanner.pos, f"queries are nested deeper than the limit of {max_depth} levels")
    operator = scanner.name(_OPERATORS, "an RQL operator")
    if operator in ("and", "or"):
        children = [_query(scanner, depth + 1, max_depth)]
        while scanner.peek() == ",":
            scanner.pos += 1
            scanner.skip_ws()
            children.append(_query(scanner, depth + 1, max_depth))
        _close(scanner, "',' or ')'")
        return And(tuple(children)) if operator == "and" else Or(tuple(children))
    if operator == "not":
        child = _query(scanner, depth + 1, max_depth)
        hint = " (not() takes exactly one query)" if scanner.peek() == "," else ""
        _close(scanner, "')'", hint)
        return Not(child)
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
