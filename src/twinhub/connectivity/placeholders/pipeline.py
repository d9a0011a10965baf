"""Resolving a parsed template against placeholders, and Ditto's `fn:` function library.

A stage yields an `Element`: a tuple of values (several when a placeholder or `fn:split` gives several; the
empty tuple is *unresolved*) or `DELETED` (`fn:delete`, which ends the pipeline). A template joins its parts
as Ditto does: any unresolved expression makes the whole template unresolved, a deleted one contributes
nothing (all deleted: the template is deleted), several values multiply into several results.

`fn:filter(..., 'like', pattern)` and `fn:split(separator)` treat user text as patterns: they run on RE2
(linear time, no catastrophic backtracking), compiled once per pattern.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import itertools
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Final, Protocol, TypeAlias

import orjson
import re2

from twinhub.connectivity.placeholders.formatting import format_values
from twinhub.connectivity.placeholders.syntax import (
    Constant,
    Expression,
    FunctionCall,
    Parameter,
    PlaceholderRef,
    Template,
)
from twinhub.model.errors import PlaceholderFunctionSignatureInvalid, PlaceholderUnresolved

__all__ = ["DELETED", "Deleted", "Element", "Placeholder", "resolve_expression", "resolve_template"]

MAX_RESULTS: Final = 1024  # values a template may multiply into (several multi-valued placeholders)
MAX_PATTERN_LENGTH: Final = 256  # characters of a `like` pattern or a `split` separator

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a bad pattern in a connection is its problem, not a line on stderr


class _Match(Protocol):
    def start(self) -> int: ...

    def end(self) -> int: ...


class _Pattern(Protocol):
    """What this module uses of a compiled RE2 pattern."""

    def fullmatch(self, text: str) -> _Match | None: ...

    def finditer(self, text: str) -> Iterator[_Match]: ...


class Deleted(enum.Enum):
    DELETED = "DELETED"


DELETED: Final = Deleted.DELETED
Element: TypeAlias = "tuple[str, ...] | Deleted"


class Placeholder(Protocol):
    """One prefix of placeholders (`header`, `thing`, ...) bound to what it reads."""

    @property
    def prefix(self) -> str: ...

    def supports(self, name: str) -> bool:
        """Whether `prefix:name` exists at all (independent of the values at hand)."""
        ...

    def resolve(self, name: str) -> tuple[str, ...]:
        """The values of `prefix:name` here; empty when there are none (unresolved)."""
        ...


Placeholders: TypeAlias = Mapping[str, Placeholder]


def resolve_template(template: Template, placeholders: Placeholders) -> Element:
    """The template's values (see the module docstring); raises `PlaceholderUnresolved` for a placeholder
    no given resolver supports."""
    results: list[str] = [""]
    elements = [part if isinstance(part, str) else resolve_expression(part, placeholders) for part in template.parts]
    if elements and all(element is DELETED for element in elements):
        return DELETED
    for element in elements:
        if element is DELETED:
            continue
        values = (element,) if isinstance(element, str) else element
        results = [result + value for result, value in itertools.product(results, values)]
        if len(results) > MAX_RESULTS:
            raise PlaceholderUnresolved(template.source[:120])
    return tuple(results)


def resolve_expression(expression: Expression, placeholders: Placeholders) -> Element:
    element: Element = () if expression.first is None else _lookup(expression.first, placeholders)
    for call in expression.functions:
        element = _FUNCTIONS[call.name](element, call, placeholders)
    return element


def _lookup(ref: PlaceholderRef, placeholders: Placeholders) -> tuple[str, ...]:
    placeholder = placeholders.get(ref.prefix)
    if placeholder is None or not placeholder.supports(ref.name):
        raise PlaceholderUnresolved(str(ref))
    return placeholder.resolve(ref.name)


def _parameter(parameter: Parameter, placeholders: Placeholders) -> tuple[str, ...]:
    return (parameter.value,) if isinstance(parameter, Constant) else _lookup(parameter, placeholders)


def _each(element: Element, change: Callable[[str], Element]) -> Element:
    """Apply `change` to each value; a deleted result deletes all, unresolved ones drop out (Ditto's concat)."""
    if element is DELETED:
        return DELETED
    values: list[str] = []
    for value in element:
        changed = change(value)
        if changed is DELETED:
            return DELETED
        values += changed
    return tuple(values)


def _mapping(change: Callable[[str], str]) -> Callable[[Element, FunctionCall, Placeholders], Element]:
    return lambda element, _call, _placeholders: _each(element, lambda value: (change(value),))


def _default(element: Element, call: FunctionCall, placeholders: Placeholders) -> Element:
    fallback = _parameter(call.parameters[0], placeholders)  # resolved first, so that a bad one always fails
    return fallback if element == () else element


def _substring_before(element: Element, call: FunctionCall, placeholders: Placeholders) -> Element:
    needle = _constant(call)
    return _each(element, lambda value: (value[:value.index(needle)],) if needle in value else ())


def _substring_after(element: Element, call: FunctionCall, placeholders: Placeholders) -> Element:
    needle = _constant(call)
    return _each(element, lambda value: (value[value.index(needle) + len(needle):],) if needle in value else ())


def _replace(element: Element, call: FunctionCall, placeholders: Placeholders) -> Element:
    old = next(iter(_parameter(call.parameters[0], placeholders)), "")
    new = _parameter(call.parameters[1], placeholders)
    if not new:
        raise PlaceholderFunctionSignatureInvalid("replace", call.parameters_text, "(String from, String to)")
    return _each(element, lambda value: (value.replace(old, new[0]),))


def _split(element: Element, call: FunctionCall, placeholders: Placeholders) -> Element:
    separator = _constant(call)
    values = () if element is DELETED else element
    return tuple(piece for value in values for piece in _java_split(value, separator))


def _join(element: Element, call: FunctionCall, placeholders: Placeholders) -> Element:
    if element is DELETED or not element:
        return ()
    return (_constant(call).join(element),)


def _delete(element: Element, call: FunctionCall, placeholders: Placeholders) -> Element:
    return DELETED


def _base64_decode(value: str) -> Element:
    try:
        return (base64.b64decode(value, validate=True).decode("utf-8", "replace"),)
    except (binascii.Error, ValueError):
        return ()  # Ditto fails the whole resolution; undecodable text resolves to nothing here


def _filter(element: Element, call: FunctionCall, placeholders: Placeholders) -> Element:
    """`fn:filter(rql, compared)` filters the previous values; `fn:filter(value, 'exists')` and
    `fn:filter(value, rql, compared)` keep the previous values whole or drop them (Ditto's three forms)."""
    parameters = [_parameter(parameter, placeholders) for parameter in call.parameters]
    if len(parameters) == 2 and parameters[1][:1] != ("exists",):
        test = _RQL.get(next(iter(parameters[0]), ""))
        compared = parameters[1]
        return _each(element, lambda value: (value,) if test is not None and any(
            test(value, other) for other in compared) else ())
    if len(parameters) == 2:
        keep = any(_exists(value, None) for value in parameters[0])
    else:
        if not parameters[1]:
            raise PlaceholderFunctionSignatureInvalid("filter", call.parameters_text,
                                                      "(filterValue, rqlFunction, comparedValue)")
        rql = _RQL.get(parameters[1][0])
        pairs = itertools.product(parameters[0] or ("",), parameters[2] or ("",))
        keep = rql is not None and any(rql(value, other) for value, other in pairs)
    return _each(element, lambda value: (value,) if keep else ())


def _exists(value: str, should: str | None) -> bool:
    return (should is None or should.lower() == "true") != (value == "")


def _like(value: str, pattern: str | None) -> bool:
    return pattern is not None and _like_pattern(pattern).fullmatch(value) is not None


@functools.lru_cache(maxsize=256)
def _like_pattern(pattern: str) -> _Pattern:
    """Ditto's `like`: `*` any characters, `?` one, `|` or; everything else literal."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PlaceholderFunctionSignatureInvalid("filter", f"(..., 'like', '{pattern[:40]}...')",
                                                  f"(..., 'like', pattern of at most {MAX_PATTERN_LENGTH})")
    alternatives = ("".join(".*" if c == "*" else "." if c == "?" else _literal(c) for c in alternative)
                    for alternative in pattern.split("|"))
    compiled: _Pattern = re2.compile("|".join(f"(?:{alternative})" for alternative in alternatives), _RE2_OPTIONS)
    return compiled


def _literal(char: str) -> str:
    return char if char.isalnum() else f"\\x{{{ord(char):x}}}"


_RQL: Final[dict[str, Callable[[str, str | None], bool]]] = {
    "eq": lambda value, other: other is not None and value == other,
    "ne": lambda value, other: other is not None and value != other,
    "exists": _exists,
    "like": _like,
}


@functools.lru_cache(maxsize=256)
def _split_pattern(separator: str) -> _Pattern | None:
    if len(separator) > MAX_PATTERN_LENGTH:
        return None
    try:
        compiled: _Pattern = re2.compile(separator, _RE2_OPTIONS)
    except re2.error:
        return None
    return compiled


def _java_split(value: str, separator: str) -> list[str]:
    """Java's `String.split(regex)` (Ditto's): trailing empty pieces dropped, a leading zero-width match ignored;
    a separator that is no valid pattern splits literally."""
    pattern = _split_pattern(separator)
    if pattern is None:
        pieces = value.split(separator) if separator else [value]
    else:
        pieces, start = [], 0
        for match in pattern.finditer(value):
            if match.end() == 0:
                continue
            if match.start() == match.end() and match.start() >= len(value):
                break
            pieces.append(value[start:match.start()])
            start = match.end()
        pieces.append(value[start:])
    while len(pieces) > 1 and pieces[-1] == "":
        pieces.pop()
    return pieces if pieces != [""] or value == "" else []


def _constant(call: FunctionCall) -> str:
    parameter = call.parameters[0]
    assert isinstance(parameter, Constant)  # the signature allows no placeholder here
    return parameter.value


def _format(element: Element, call: FunctionCall, placeholders: Placeholders) -> Element:
    return format_values(element, _constant(call))


def _java_trim(value: str) -> str:
    return value.strip("".join(chr(code) for code in range(33)))


_FUNCTIONS: Final[dict[str, Callable[[Element, FunctionCall, Placeholders], Element]]] = {
    "filter": _filter,
    "default": _default,
    "substring-before": _substring_before,
    "substring-after": _substring_after,
    "lower": _mapping(str.lower),
    "upper": _mapping(str.upper),
    "trim": _mapping(_java_trim),
    # Java's URLEncoder: form encoding, `*` kept, `~` encoded
    "url-encode": _mapping(lambda value: urllib.parse.quote_plus(value, safe="*").replace("~", "%7E")),
    "url-decode": _mapping(urllib.parse.unquote_plus),
    "base64-encode": _mapping(lambda value: base64.b64encode(value.encode()).decode("ascii")),
    "base64-decode": lambda element, _call, _placeholders: _each(element, _base64_decode),
    "delete": _delete,
    "replace": _replace,
    "split": _split,
    "join": _join,
    "format": _format,
}


def json_text(value: object) -> str:
    """A header or JSON value as placeholder text: strings as they are, anything else as compact JSON."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()
