"""The JSON shapes of policy documents: reading the parts of a normalized policy, and Ditto's messages
for values of the wrong shape (shared by the validators of every part)."""

from __future__ import annotations

import re

from twinhub.model.errors import JsonInvalid, PolicyJsonInvalid
from twinhub.model.json import render
from twinhub.model.types import JsonArray, JsonObject, JsonValue

# Ditto's RegexPatterns.CONTROL_CHARS (note: the whole 0x7F-0xFF range) and the 256-char limit of its validators.
_CONTROL_CHAR = re.compile(r"[\x00-\x1F\x7F-\xFF]")
_MAX_LENGTH = 256


def wrong_type(value: JsonValue, field: str, java_type: str) -> PolicyJsonInvalid:
    return PolicyJsonInvalid(f"Value <{render(value)}> for </{field}> is not of type <{java_type}>!")


def not_empty(value: str, argument: str) -> str:
    if not value:
        raise JsonInvalid(f"The argument '{argument}' must not be empty!")
    return value


def object_field(obj: JsonObject, field: str) -> JsonObject | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise wrong_type(value, field, "JsonObject")
    return value


def array_field(obj: JsonObject, field: str) -> JsonArray | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, list):
        raise wrong_type(value, field, "JsonArray")
    return value


def as_object(value: JsonValue) -> JsonObject:
    if not isinstance(value, dict):
        raise PolicyJsonInvalid(f"<{render(value)}> is not a JSON object!")
    return value


def invalid_chars_reason(text: str, *, slashes: bool) -> str | None:
    """Ditto's NoControlCharacters(NoSlashes)Validator: the reason `text` is invalid, or None."""
    if len(text) > _MAX_LENGTH:
        return f"Not allowed to exceed length of {_MAX_LENGTH}."
    if slashes and ("/" in text or _CONTROL_CHAR.search(text)):
        return "Neither slashes nor any control characters are allowed."
    if _CONTROL_CHAR.search(text):
        return "No control characters are allowed."
    return None


def unique(items: list[str]) -> list[JsonValue]:
    return list(dict.fromkeys(items))


def strings(value: JsonValue) -> list[str]:
    """The strings of a JSON array (nothing when `value` is no array)."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def entries_of(doc: JsonObject) -> dict[str, JsonObject]:
    """The entries of a (normalized) policy; anything that is not an entry object is skipped."""
    entries = doc.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {label: entry for label, entry in entries.items() if isinstance(entry, dict)}


def subjects_of(entry: JsonObject) -> JsonObject:
    """The subjects object of an entry (empty when missing or malformed)."""
    subjects = entry.get("subjects")
    return subjects if isinstance(subjects, dict) else {}


def imports_of(doc: JsonObject) -> dict[str, JsonObject]:
    """The imports of a (normalized) policy, by imported policy id."""
    imports = doc.get("imports")
    if not isinstance(imports, dict):
        return {}
    return {policy_id: config for policy_id, config in imports.items() if isinstance(config, dict)}
