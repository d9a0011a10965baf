"""Ditto's ``fields`` selector: parse it, render it, and project a JSON document with it.

Syntax: comma-separated JSON pointers, the leading ``/`` optional; ``key(sub,sub)`` applies
each sub-field below ``key`` and may nest (``attributes(model,location/city)``); a ``*`` key
matches every key at its level (``features/*/properties/on``). Whitespace around entries,
parentheses and keys is insignificant, inside a key it is kept (``attributes/serial no``).
"""

from __future__ import annotations

from dataclasses import dataclass

from twinhub.model.errors import FieldSelectorInvalid
from twinhub.model.pointer import format_pointer
from twinhub.model.types import JsonObject, Pointer

__all__ = ["MAX_NESTING", "WILDCARD", "FieldSelector", "parse_fields", "parse_fields_parameter", "select"]

WILDCARD = "*"
# Parentheses nest at most this deep; the parser recurses once per level.
MAX_NESTING = 32

_OPEN, _CLOSE, _COMMA = "(", ")", ","


@dataclass(frozen=True, slots=True)
class FieldSelector:
    """The pointers a ``fields`` selector expands to, in order of first appearance, without duplicates; none
    for the empty ``fields=`` of an HTTP request, which selects nothing."""

    pointers: tuple[Pointer, ...]

    def __post_init__(self) -> None:
        for pointer in self.pointers:
            if not pointer or any(not key for key in pointer):
                raise ValueError(f"invalid pointer in field selector: {pointer!r}")

    def __str__(self) -> str:
        """The normalised selector: expanded pointers, leading slashes, ``~`` as ``~0``, comma-separated."""
        return ",".join(format_pointer(pointer) for pointer in self.pointers)

    def top_level_keys(self) -> frozenset[str]:
        """The first key of every pointer (``_revision``, ``attributes``, ``*``...)."""
        return frozenset(pointer[0] for pointer in self.pointers)


def parse_fields(text: str) -> FieldSelector:
    """Parse a ``fields`` query parameter (already URL-decoded) into a :class:`FieldSelector`.

    Raises :class:`FieldSelectorInvalid` for unbalanced parentheses, empty entries (``a,,b``,
    ``()``, ``a()``, a trailing comma, an empty text), text after a closing parenthesis
    (``a(b)c``), a parenthesis without a preceding key, consecutive slashes, and parentheses
    nested deeper than :data:`MAX_NESTING`.
    """
    parser = _Parser(text)
    pointers = parser.parse_list((), nested=False)
    return FieldSelector(tuple(dict.fromkeys(pointers)))


def parse_fields_parameter(text: str) -> FieldSelector:
    """The ``fields`` query parameter of an HTTP request: as :func:`parse_fields`, but an empty one selects
    nothing (Ditto answers ``fields=`` with ``{}``) instead of being invalid."""
    return FieldSelector(()) if text == "" else parse_fields(text)


class _Parser:
    """Recursive descent over ``entry (',' entry)*`` where ``entry = path ['(' list ')']``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self, reason: str) -> FieldSelectorInvalid:
        return FieldSelectorInvalid(self.text, reason)

    def parse_list(self, prefix: Pointer, *, nested: bool) -> list[Pointer]:
        pointers: list[Pointer] = []
        while True:
            pointers.extend(self.parse_entry(prefix))
            if self.pos == len(self.text):
                if nested:
                    raise self.fail("A '(' is not closed.")
                return pointers
            char = self.text[self.pos]
            if char == _CLOSE:
                if not nested:
                    raise self.fail(f"Unexpected ')' at position {self.pos}.")
                return pointers
            # Only a comma can follow an entry here: parse_entry stops at '(' or ')' or ','.
            self.pos += 1

    def parse_entry(self, prefix: Pointer) -> list[Pointer]:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in (_OPEN, _CLOSE, _COMMA):
            self.pos += 1
        raw = self.text[start : self.pos].strip()
        if self.pos < len(self.text) and self.text[self.pos] == _OPEN:
            if not raw:
                raise self.fail(f"A '(' at position {self.pos} must follow a field name.")
            path = prefix + self.split_path(raw)
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise self.fail(f"Parentheses nest deeper than {MAX_NESTING} levels.")
            self.pos += 1
            pointers = self.parse_list(path, nested=True)
            self.pos += 1  # parse_list(nested=True) returns only at a ')'
            self.depth -= 1
            self.skip_whitespace()
            if self.pos < len(self.text) and self.text[self.pos] not in (_CLOSE, _COMMA):
                raise self.fail(f"Unexpected text after ')' at position {self.pos}.")
            return pointers
        if not raw:
            raise self.fail(f"Empty field at position {start}.")
        return [prefix + self.split_path(raw)]

    def skip_whitespace(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def split_path(self, raw: str) -> Pointer:
        """Keys of one pointer, each stripped of surrounding whitespace.

        A leading and a trailing ``/`` are optional; empty or blank keys in between are invalid;
        ``~0`` decodes to ``~`` as in Ditto's JSON pointers.
        """
        body = raw[1:] if raw.startswith("/") else raw
        if body.endswith("/"):
            body = body[:-1]
        if not body.strip():
            raise self.fail(f"Empty field <{raw}>.")
        keys = tuple(key.strip().replace("~0", "~") for key in body.split("/"))
        if any(not key for key in keys):
            raise self.fail(f"Consecutive slashes in <{raw}> are not supported.")
        return keys


# A trie of selected paths: a key maps to the sub-trie below it, or to None when the whole
# value at that key is selected.
_Trie = dict[str, "_Trie | None"]


def _build_trie(pointers: tuple[Pointer, ...]) -> _Trie:
    root: _Trie = {}
    for pointer in pointers:
        node = root
        for index, key in enumerate(pointer):
            last = index == len(pointer) - 1
            if key in node and node[key] is None:
                break  # an ancestor (or this very path) is already selected whole
            if last:
                node[key] = None
                break
            child = node.setdefault(key, {})
            assert child is not None
            node = child
    return root


def _union(left: _Trie | None, right: _Trie | None) -> _Trie | None:
    if left is None or right is None:
        return None
    merged: _Trie = dict(left)
    for key, sub in right.items():
        merged[key] = _union(merged[key], sub) if key in merged else sub
    return merged


def _project(doc: JsonObject, trie: _Trie) -> JsonObject:
    result: JsonObject = {}
    has_wildcard = WILDCARD in trie
    for key, value in doc.items():
        if key in trie:
            spec = _union(trie[key], trie[WILDCARD]) if has_wildcard else trie[key]
        elif has_wildcard:
            spec = trie[WILDCARD]
        else:
            continue
        if spec is None:
            result[key] = value
        elif isinstance(value, dict):
            projected = _project(value, spec)
            if projected:
                result[key] = projected
    return result


def select(doc: JsonObject, selector: FieldSelector) -> JsonObject:
    """Project ``doc`` onto ``selector``, keeping the structure and the document's key order.

    Returns a new object; selected values are shared with ``doc``, not copied, and ``doc`` is
    never mutated. Missing fields, and pointers that pass through a non-object, select nothing;
    no empty parent objects are created for them. Never raises.
    """
    return _project(doc, _build_trie(selector.pointers))
