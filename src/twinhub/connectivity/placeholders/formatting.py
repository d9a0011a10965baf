"""`fn:format(template)`: each input value, a JSON object, formatted by a template that keeps its fields
correlated, as Ditto's.

    {field} {/json/pointer}   the field's text (missing or null: empty; an array: one result per element)
    {#array}...{/array}       the body once per element of the array (objects: their fields; primitives: `{.}`)
    \\{ \\}                     literal braces

Results of the parts multiply (Cartesian product), at most `MAX_RESULTS` in all. Input values that are no JSON
object are skipped; when nothing is left the result is the empty string (unresolved input stays unresolved).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final, TypeAlias

import orjson

from twinhub.model.errors import PlaceholderFunctionSignatureInvalid, PlaceholderUnresolved
from twinhub.model.types import JsonValue

__all__ = ["format_values"]

MAX_RESULTS: Final = 1024
MAX_SECTION_DEPTH: Final = 16  # sections in sections: the parser recurses once per level
_SIGNATURE: Final = "(String template)"


@dataclass(frozen=True, slots=True)
class _Field:
    reference: str


@dataclass(frozen=True, slots=True)
class _Section:
    name: str
    parts: tuple[_Part, ...]


_Part: TypeAlias = "str | _Field | _Section"


def format_values(values: tuple[str, ...] | object, template: str) -> tuple[str, ...]:
    """Format every JSON-object value by `template`; `values` that are not a tuple (deleted) format nothing."""
    parts = _parse(template, template, 0)
    inputs = values if isinstance(values, tuple) else ()
    results: list[str] = []
    for value in inputs:
        try:
            document = orjson.loads(value)
        except orjson.JSONDecodeError:
            continue
        if isinstance(document, dict):
            results += _format(document, parts, template)
            if len(results) > MAX_RESULTS:
                raise PlaceholderUnresolved(f"fn:format('{template[:80]}')")
    if not results:
        return () if inputs == () else ("",)
    return tuple(results)


def _parse(text: str, template: str, depth: int) -> tuple[_Part, ...]:
    if depth > MAX_SECTION_DEPTH:
        raise PlaceholderFunctionSignatureInvalid("format", f"('{template[:80]}')",
                                                  f"(String template with at most {MAX_SECTION_DEPTH} nested sections)")
    parts: list[_Part] = []
    literal: list[str] = []
    index = 0
    closed = True  # whether a `}` may still follow: once none does, no `{` looks for one again (linear time)
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1:index + 2] in ("{", "}"):
            literal.append(text[index + 1])
            index += 2
            continue
        end = text.find("}", index) if char == "{" and closed else -1
        closed = closed and not (char == "{" and end == -1)
        inner = text[index + 1:end] if end != -1 else ""
        if char != "{" or not inner or (inner.startswith("/") and "/" not in inner[1:]):
            literal.append(char)  # no reference: `{` alone, `{}`, or a stray closing tag
            index += 1
            continue
        if literal:
            parts.append("".join(literal))
            literal = []
        if inner.startswith("#"):
            close = _closing_tag(text, end + 1, inner[1:])
            if close == -1:
                raise PlaceholderFunctionSignatureInvalid("format", f"('{template[:80]}')", _SIGNATURE)
            parts.append(_Section(inner[1:], _parse(text[end + 1:close], template, depth + 1)))
            index = close + len(inner) + 2
        else:
            parts.append(_Field(inner))
            index = end + 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def _closing_tag(text: str, start: int, name: str) -> int:
    opening, closing = "{#" + name + "}", "{/" + name + "}"
    depth, position = 1, start
    while True:
        next_close = text.find(closing, position)
        if next_close == -1:
            return -1
        next_open = text.find(opening, position)
        if next_open != -1 and next_open < next_close:
            depth, position = depth + 1, next_open + len(opening)
            if depth > MAX_SECTION_DEPTH:
                return -1  # nested deeper than allowed: refused as unclosed, before any more scanning
            continue
        depth -= 1
        if depth == 0:
            return next_close
        position = next_close + len(closing)


def _format(document: dict[str, JsonValue], parts: tuple[_Part, ...], template: str) -> list[str]:
    resolved = [_resolve(document, part, template) for part in parts]
    results = [""]
    for options in resolved:
        results = [prefix + option for prefix, option in itertools.product(results, options)]
        if len(results) > MAX_RESULTS:
            raise PlaceholderUnresolved(f"fn:format('{template[:80]}')")
    return results


def _resolve(document: dict[str, JsonValue], part: _Part, template: str) -> list[str]:
    if isinstance(part, str):
        return [part]
    value = _lookup(document, part.reference if isinstance(part, _Field) else part.name)
    if value is None:
        return [""]
    if isinstance(part, _Field):
        if isinstance(value, list):
            return [_text(element) for element in value] or [""]
        return [_text(value)]
    results: list[str] = []
    for element in value if isinstance(value, list) else [value]:
        if isinstance(element, dict):
            results += _format(element, part.parts, template)
        else:
            primitive = [[_text(element)] if isinstance(inner, _Field) and inner.reference == "." else
                         [inner] if isinstance(inner, str) else [""] for inner in part.parts]
            results += ["".join(combination) for combination in itertools.product(*primitive)]
    return results or [""]


def _lookup(document: dict[str, JsonValue], reference: str) -> JsonValue:
    current: JsonValue = document
    for key in (key for key in reference.split("/") if key):
        if not isinstance(current, dict) or key not in current:
            return None
        current = current[key]
    return current


def _text(value: JsonValue) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()
