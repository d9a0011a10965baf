"""Canonical RQL text for a tree or an option list: `parse_filter(render(node)) == node`.

Canonical means: no whitespace; strings in double quotes with JSON escapes; doubles in plain decimal notation with
a fraction (the grammar has no exponent); property characters the grammar cannot take raw (`,` `)` `"` `\\`)
written as escapes. Raises `ValueError` for what RQL cannot express: NaN, integers outside the Java long range.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from twinhub.rql._scanner import LONG_MAX, LONG_MIN
from twinhub.rql.ast import (
    And,
    Comparison,
    CursorOption,
    Empty,
    Exists,
    In,
    LimitOption,
    Node,
    Not,
    Option,
    Or,
    Placeholder,
    SizeOption,
    SortOption,
    Value,
)

__all__ = ["render", "render_options"]

_PROPERTY_ESCAPES = {"\\": "\\\\", '"': '\\"', ",": "\\u002c", ")": "\\u0029"}
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The smallest plain literal that a Java double (and a Python float) reads as infinity.
_INFINITY = "1" + "0" * 309 + ".0"


def render(node: Node) -> str:
    """The filter as canonical RQL text."""
    match node:
        case Comparison(op, field, value):
            return f"{op}({_property(field)},{_value(value)})"
        case In(field, values):
            return f"in({_property(field)},{','.join(_value(value) for value in values)})"
        case And(children):
            return f"and({','.join(render(child) for child in children)})"
        case Or(children):
            return f"or({','.join(render(child) for child in children)})"
        case Not(child):
            return f"not({render(child)})"
        case Exists(field):
            return f"exists({_property(field)})"
        case Empty(field):
            return f"empty({_property(field)})"
    raise TypeError(f"not an RQL node: {node!r}")


def render_options(options: Iterable[Option]) -> str:
    """The options as one canonical option string, e.g. `sort(+thingId),size(10)`."""
    parts: list[str] = []
    for option in options:
        match option:
            case SortOption(fields):
                parts.append(f"sort({','.join(direction + _property(field) for direction, field in fields)})")
            case SizeOption(size):
                parts.append(f"size({size})")
            case CursorOption(cursor):
                parts.append(f"cursor({_property(cursor)})")
            case LimitOption(offset, count):
                parts.append(f"limit({_long(offset)},{_long(count)})")
            case _:
                raise TypeError(f"not an RQL option: {option!r}")
    if not parts:
        raise ValueError("an option string needs at least one option")
    return ",".join(parts)


def _property(text: str) -> str:
    return "".join(_PROPERTY_ESCAPES.get(char, char) for char in text)


def _value(value: Value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return _long(value)
    if isinstance(value, float):
        return _double(value)
    if isinstance(value, str):
        return '"' + "".join(_string_char(char) for char in value) + '"'
    if isinstance(value, Placeholder):
        return value.name
    raise TypeError(f"not an RQL value: {value!r}")


def _long(value: int) -> str:
    if not LONG_MIN <= value <= LONG_MAX:
        raise ValueError(f"{value} is outside the range of a Java long")
    return str(value)


def _double(value: float) -> str:
    if math.isnan(value):
        raise ValueError("RQL has no literal for NaN")
    if math.isinf(value):
        return _INFINITY if value > 0 else "-" + _INFINITY
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def _string_char(char: str) -> str:
    escaped = _STRING_ESCAPES.get(char)
    if escaped is not None:
        return escaped
    return f"\\u{ord(char):04x}" if char < " " else char
