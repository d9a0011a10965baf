"""JSON Merge Patch (RFC 7396) with Ditto's regex deletes, its minimisation and the leaves it touches.

Ditto extension: inside an object patch, a key ``{{ ~<regex>~ }}`` (whitespace inside the
braces optional) with the value ``null`` deletes every key of the target object at that level
that the regex matches as a whole (Java's ``Matcher.matches()`` in Ditto's ``JsonMergePatch``), so
``{{ ~2022-.*~ }}`` deletes ``2022-01`` but ``{{ ~2022~ }}`` does not. Those deletions happen before
the other keys of the same patch object are merged, and regex keys never reach the result.

The regexes are the client's, so they run on RE2 (linear in the key's length, no catastrophic
backtracking); what RE2 lacks and Java has (backreferences, look-around, possessive quantifiers, atomic
groups) is refused with 400 like a regex that does not compile. A regex has at most
``MAX_REGEX_LENGTH`` characters and a patch at most ``MAX_REGEX_KEYS`` regex keys, which bounds the
matching work of one patch to a few milliseconds per key of the (size-limited) thing.
"""

from __future__ import annotations

import enum
from typing import Protocol

import re2

from twinhub.model.errors import ThingInvalid
from twinhub.model.types import JsonObject, JsonValue, Pointer

__all__ = [
    "MAX_REGEX_KEYS", "MAX_REGEX_LENGTH", "KeyPattern", "json_equal", "merge_patch", "minimize_patch",
    "patch_leaves", "regex_key_pattern",
]

MAX_REGEX_LENGTH = 256  # characters of one regex
MAX_REGEX_KEYS = 16  # regex keys in one patch, at every level together

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a client's bad regex is a 400, not a line on stderr


class KeyPattern(Protocol):
    """A compiled regex of a regex key (RE2's, typed for what this module uses)."""

    def fullmatch(self, text: str) -> object | None: ...


def _regex_of(key: str) -> str | None:
    """The regex of a ``{{ ~regex~ }}`` key, or None for an ordinary key (plain string tests, as Ditto's)."""
    if not (key.startswith("{{") and key.endswith("}}")):
        return None
    inner = key[2:-2].strip()
    return inner[1:-1] if len(inner) >= 2 and inner[0] == inner[-1] == "~" else None


def regex_key_pattern(key: str) -> KeyPattern | None:
    """The compiled regex of a ``{{ ~regex~ }}`` key, or None for an ordinary key.

    Raises :class:`ThingInvalid` when the regex is longer than ``MAX_REGEX_LENGTH`` or RE2 cannot compile it.
    """
    regex = _regex_of(key)
    if regex is None:
        return None
    if len(regex) > MAX_REGEX_LENGTH:
        raise ThingInvalid(f"The regular expression in the merge patch key <{key[:40]}...> has {len(regex)} "
                           f"characters, more than the limit of {MAX_REGEX_LENGTH}.")
    try:
        pattern: KeyPattern = re2.compile(regex, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ThingInvalid(f"The regular expression in the merge patch key <{key}> is invalid or not supported "
                           f"(no backreferences, look-around, possessive quantifiers or atomic groups): "
                           f"{reason}.") from None
    return pattern


def _check_regex_keys(patch: JsonValue) -> None:
    """Raise :class:`ThingInvalid` when ``patch`` holds more than ``MAX_REGEX_KEYS`` regex keys."""
    count, pending = 0, [patch]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            count += sum(1 for key in value if _regex_of(key) is not None)
            pending.extend(value.values())
    if count > MAX_REGEX_KEYS:
        raise ThingInvalid(f"The merge patch has {count} regex keys, more than the limit of {MAX_REGEX_KEYS}.")


def _split(patch: JsonObject) -> tuple[list[tuple[str, KeyPattern]], JsonObject]:
    """The regex-delete keys (with their patterns) and the ordinary members of one patch object."""
    regexes: list[tuple[str, KeyPattern]] = []
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


def _without_matches(obj: JsonObject, regexes: list[tuple[str, KeyPattern]]) -> JsonObject:
    return {k: v for k, v in obj.items() if not any(p.fullmatch(k) for _, p in regexes)}


def merge_patch(target: JsonValue, patch: JsonValue) -> JsonValue:
    """Apply ``patch`` to ``target`` per RFC 7396 plus Ditto's regex deletes; return the new value.

    A non-object patch replaces the target; an object patch merges recursively into the target
    (or into ``{}`` when the target is not an object); ``null`` members delete; arrays replace.
    Neither input is mutated; unchanged sub-trees are shared with the inputs.
    Raises :class:`ThingInvalid` for a regex key with a non-null value or an invalid regex, and for more
    regex keys than ``MAX_REGEX_KEYS``.
    """
    _check_regex_keys(patch)
    return _merge(target, patch)


def _merge(target: JsonValue, patch: JsonValue) -> JsonValue:
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
            result[key] = _merge(result.get(key), value)
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
    _check_regex_keys(patch)
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
    out: JsonObject = {key: None for key, pattern in regexes if any(pattern.fullmatch(k) for k in current)}
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
    if base is not current and json_equal(_merge(current, out), current):
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
        if _regex_of(key) is None:
            _collect_leaves(value, (*prefix, key), leaves)
        elif not regex_seen:
            regex_seen = True
            leaves.append(prefix)
