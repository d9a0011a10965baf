"""JSON pointers into thing documents: parse, get, set and delete without mutating the input."""

from __future__ import annotations

import re

from twinhub.model.errors import JsonKeyInvalid, JsonPointerInvalid
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer

# Ditto's JsonKeyValidator: no slash, no control characters, nothing in 0x7F-0xFF.
_INVALID_KEY_CHAR = re.compile(r"[\x00-\x1F\x7F-\xFF/]")


def validate_key(key: str) -> str:
    """Return `key` if Ditto accepts it as a JSON key of attributes, properties or feature ids."""
    if not key or _INVALID_KEY_CHAR.search(key):
        raise JsonKeyInvalid(key)
    return key


def parse_pointer(text: str) -> Pointer:
    """Split a slash-separated pointer ("/a/b", "a/b", "/") into keys; consecutive slashes are invalid.

    As in Ditto, `~0` inside a key stands for `~` (a `/` can never be part of a key).
    """
    if "//" in text:
        raise JsonPointerInvalid(text, "Consecutive slashes in JSON pointers are not supported.")
    body = text[1:] if text.startswith("/") else text
    if body.endswith("/"):
        body = body[:-1]
    if not body:
        return ()
    keys = tuple(key.replace("~0", "~") for key in body.split("/"))
    for key in keys:
        validate_key(key)
    return keys


def format_pointer(pointer: Pointer) -> str:
    """The pointer as text, `~` escaped as `~0` so that `parse_pointer` gives the same keys back."""
    return "/" + "/".join(key.replace("~", "~0") for key in pointer)


def get_at(doc: JsonValue, pointer: Pointer) -> JsonValue | Missing:
    """The value at `pointer`, or `MISSING` when any key on the way is absent."""
    node: JsonValue = doc
    for key in pointer:
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def set_at(doc: JsonObject, pointer: Pointer, value: JsonValue) -> JsonObject:
    """A copy of `doc` with `value` at `pointer`; missing or non-object parents become objects."""
    if not pointer:
        if not isinstance(value, dict):
            raise ValueError("only an object can replace the root")
        return value
    head, rest = pointer[0], pointer[1:]
    result = dict(doc)
    if rest:
        child = doc.get(head)
        result[head] = set_at(child if isinstance(child, dict) else {}, rest, value)
    else:
        result[head] = value
    return result


def delete_at(doc: JsonObject, pointer: Pointer) -> JsonObject:
    """A copy of `doc` without the value at `pointer` (unchanged if it is absent)."""
    if not pointer:
        return {}
    head, rest = pointer[0], pointer[1:]
    if head not in doc:
        return doc
    result = dict(doc)
    if rest:
        child = doc[head]
        if not isinstance(child, dict):
            return doc
        result[head] = delete_at(child, rest)
    else:
        del result[head]
    return result
