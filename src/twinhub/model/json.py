"""JSON encoding for storage and the wire: thin orjson wrappers typed with the model's JSON vocabulary."""

from __future__ import annotations

import orjson

from twinhub.model.types import JsonValue


def dumps(value: JsonValue) -> bytes:
    """Compact UTF-8 JSON; raises TypeError (orjson.JSONEncodeError) for a value that is not JSON."""
    return orjson.dumps(value)


def loads(data: bytes | str) -> JsonValue:
    """Parse JSON; raises ValueError (orjson.JSONDecodeError) for malformed input."""
    value: JsonValue = orjson.loads(data)
    return value
