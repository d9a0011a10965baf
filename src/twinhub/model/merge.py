"""JSON Merge Patch (RFC 7396) with Ditto's regex deletes, its minimisation and the leaves it touches.

Ditto extension: inside an object patch, a key ``{{ ~<regex>~ }}`` (whitespace inside the
braces optional) with the value ``null`` deletes every key of the target object at that level
whose name the regex matches with :func:`re.search` semantics, i.e. anywhere in the key unless
anchored with ``^``/``$``. Those deletions happen before the other keys of the same patch object
are merged, and regex keys never reach the result.
"""

from __future__ import annotations

import enum
import re

from twinhub.model.errors import ThingInvalid
from twinhub.model.types import JsonObject, JsonValue, Pointer

__all__ = ["json_equal", "merge_patch", "minimize_patch", "patch_leaves", "regex_key_pattern"]

_REGEX_KEY = re.compile(r"\{\{\s*~(?P<regex>.*)~\s*\}\}", re.DOTALL)


def regex_key_pattern(key: str) -> re.Pattern[str] | None:
    """The compiled regex of a ``{{ ~regex~ }}`` key, or None for an ordinary key.

    Raises :class:`ThingInvalid` when the regex does not compile.
    """
    match = _REGEX_KEY.fullmatch(key)
    if match is None:
        return None
    try:
        return re.compile(match["regex"])
    except re.error as exc:
        message = f"The regular expression in the merge patch key <{key}> is invalid: {exc}."
        raise ThingInvalid(message) from exc


def _split(patch: JsonObject) -> tuple[list[tuple[str, re.Pattern[str]]], JsonObject]:
    """The regex-delete keys (with their patterns) and the ordinary members of one patch object."""
    regexes: list[tuple[str, re.Pattern[str]]] = []
    plain: JsonObject = {}
    for key, value in patch.items():
        pattern = regex_key_pattern(key)
        if pattern is None:
            plain[key] = value
        elif value is not None:
            raise ThingInvalid(f"The merge patch key <{key}> is a regex delete and must have the value null.")
        else:
            regexes.append((key, pattern))
    return regexes, plain


def _without_matches(obj: JsonObject, regexes: list[tuple[str, re.Pattern[str]]]) -> JsonObject:
    return {k: v for k, v in obj.items() if not any(p.search(k) for _, p in regexes)}


def merge_patch(target: JsonValue, patch: JsonValue) -> JsonValue:
    """Apply ``patch`` to ``target`` per RFC 7396 plus Ditto's regex deletes; return the new value.

    A non-object patch replaces the target; an object patch merges recursively into the target
    (or into ``{}`` when the target is not an object); ``null`` members delete; arrays replace.
    Neither input is mutated; unchanged sub-trees are shared with the inputs.
    Raises :class:`ThingInvalid` for a regex key with a non-null value or an invalid regex.
    """
    if not isinstance(patch, dict):
        return patch
    regexes, plain = _split(patch)
    result: JsonObject = dict(target) if isinstance(target, dict) else {}
    if regexes:
        result = _without_matches(result, regexes)
    for key, value in plain.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_equal(left: JsonValue, right: JsonValue) -> bool:
    """Equality of JSON values that, unlike ``==``, tells ``true`` from ``1`` and ``1`` from ``1.0``."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        assert isinstance(right, dict)
        return left.keys() == right.keys() and all(json_equal(v, right[k]) for k, v in left.items())
    if isinstance(left, list):
        assert isinstance(right, list)
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return left == right


class _Unchanged(enum.Enum):
    TOKEN = enum.auto()


_UNCHANGED = _Unchanged.TOKEN


def minimize_patch(current: JsonValue, patch: JsonValue) -> JsonValue | None:
    """The part of ``patch`` that changes ``current``, or None when applying it would change nothing.

    Drops members whose patched value equals the current one (by :func:`json_equal`) and null
    deletes of absent keys, recursively. Regex deletes are kept when they match a current key.
    ``merge_patch(current, result) == merge_patch(current, patch)`` whenever the result is not None.
    Raises :class:`ThingInvalid` like :func:`merge_patch`, and ``ValueError`` for a bare ``null``
    patch, whose minimal form would be indistinguishable from "no change": minimise the patch
    wrapped at its path below the thing root instead.
    """
    if patch is None:
        raise ValueError("a bare null patch cannot be minimised; wrap it at its path below the root")
    minimized = _minimize(current, patch)
    return None if minimized is _UNCHANGED else minimized


def _minimize(current: JsonValue, patch: JsonValue) -> JsonValue | _Unchanged:
    if not isinstance(patch, dict):
        return _UNCHANGED if json_equal(current, patch) else patch
    if not isinstance(current, dict):
        return _fresh(patch)
    return _minimize_object(current, patch)


def _fresh(patch: JsonObject) -> JsonObject:
    """The minimal object patch where the target is absent or not an object: it always changes it."""
    minimized = _minimize_object({}, patch)
    return {} if minimized is _UNCHANGED else minimized


def _minimize_object(current: JsonObject, patch: JsonObject) -> JsonObject | _Unchanged:
    regexes, plain = _split(patch)
    out: JsonObject = {key: None for key, pattern in regexes if any(pattern.search(k) for k in current)}
    base = _without_matches(current, regexes) if out else current
    for key, value in plain.items():
        if value is None:
            if key in base:
                out[key] = None
            continue
        if key not in base:
            out[key] = _fresh(value) if isinstance(value, dict) else value
            continue
        sub = _minimize(base[key], value)
        if sub is not _UNCHANGED:
            out[key] = sub
    if not out:
        return _UNCHANGED
    if base is not current and json_equal(merge_patch(current, out), current):
        return _UNCHANGED  # the regexes deleted only what the other members put back unchanged
    return out


def patch_leaves(patch: JsonValue) -> list[Pointer]:
    """Pointers, relative to the patch root, of every leaf ``patch`` writes or deletes, in patch order.

    A leaf is a non-object value, ``null`` or an empty object; the regex-delete keys of an object
    count as one leaf at that object's own path. Does not validate; :func:`merge_patch` does.
    """
    leaves: list[Pointer] = []
    _collect_leaves(patch, (), leaves)
    return leaves


def _collect_leaves(patch: JsonValue, prefix: Pointer, leaves: list[Pointer]) -> None:
    if not isinstance(patch, dict) or not patch:
        leaves.append(prefix)
        return
    regex_seen = False
    for key, value in patch.items():
        if _REGEX_KEY.fullmatch(key) is None:
            _collect_leaves(value, (*prefix, key), leaves)
        elif not regex_seen:
            regex_seen = True
            leaves.append(prefix)
