"""Typed reads of a connection's JSON fields, answering Ditto's JSON errors for a missing or mistyped one.

`where` is the JSON pointer of the object read (`""` for the connection, `/sources/0`, ...), so that a message
names the field as Ditto's JsonParseException does: "Value <x> for </sources/0/qos> is not of type <int>!".
"""

from __future__ import annotations

from typing import Final, TypeVar

from twinhub.model.errors import JsonFieldMissing, JsonParseInvalid
from twinhub.model.json import dumps
from twinhub.model.types import JsonObject, JsonValue

__all__ = [
    "object_at",
    "optional_bool",
    "optional_int",
    "optional_object",
    "optional_str",
    "or_default",
    "required_str",
    "string_list",
    "string_map",
]

_MAX_ECHOED: Final = 100
_T = TypeVar("_T")


def or_default(value: _T | None, default: _T) -> _T:
    return default if value is None else value


def _echo(value: JsonValue) -> str:
    text = dumps(value).decode("utf-8")
    return text if len(text) <= _MAX_ECHOED else text[:_MAX_ECHOED] + "..."


def _wrong_type(value: JsonValue, where: str, key: str, kind: str) -> JsonParseInvalid:
    return JsonParseInvalid(f"Value <{_echo(value)}> for <{where}/{key}> is not of type <{kind}>!")


def object_at(value: JsonValue, where: str) -> JsonObject:
    """`value`, the JSON object at `where` (a source, a target, a mapping definition); raises JsonParseInvalid
    for anything else."""
    if not isinstance(value, dict):
        raise JsonParseInvalid(f"The value at <{where}> is not a JSON object.")
    return value


def required_str(obj: JsonObject, key: str, where: str) -> str:
    if key not in obj:
        raise JsonFieldMissing(f"JSON did not include required <{where}/{key}> field!")
    return _str(obj[key], key, where)


def optional_str(obj: JsonObject, key: str, where: str) -> str | None:
    value = obj.get(key)
    return None if value is None else _str(value, key, where)


def _str(value: JsonValue, key: str, where: str) -> str:
    if not isinstance(value, str):
        raise _wrong_type(value, where, key, "String")
    return value


def optional_int(obj: JsonObject, key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type(value, where, key, "int")
    if not -(2**31) <= value < 2**31:  # Ditto reads these as Java ints
        raise _wrong_type(value, where, key, "int")
    return value


def optional_bool(obj: JsonObject, key: str, where: str) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _wrong_type(value, where, key, "boolean")
    return value


def optional_object(obj: JsonObject, key: str, where: str) -> JsonObject | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong_type(value, where, key, "JsonObject")
    return value


def string_list(obj: JsonObject, key: str, where: str) -> tuple[str, ...]:
    """An array of strings (absent or null: empty), duplicates dropped in order (Ditto keeps them as sets)."""
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _wrong_type(value, where, key, "JsonArray of String")
    return tuple(dict.fromkeys(item for item in value if isinstance(item, str)))


def string_map(obj: JsonObject, key: str, where: str) -> dict[str, str]:
    """An object of string values (absent or null: empty)."""
    value = optional_object(obj, key, where)
    if value is None:
        return {}
    result: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(item, str):
            raise _wrong_type(item, f"{where}/{key}", name, "String")
        result[name] = item
    return result
