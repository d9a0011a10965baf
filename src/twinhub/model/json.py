"""JSON encoding for storage and the wire: thin orjson wrappers typed with the model's JSON vocabulary.

`loads` is the one parser of untrusted JSON (HTTP bodies, Ditto Protocol messages, headers, message payloads,
later MQTT and AMQP): it refuses nesting deeper than `MAX_JSON_DEPTH` levels (`[[1]]` is two). Deeper JSON
has no use in a twin and costs every later step (recursive validation, views, encoding: orjson writes at
most 254 levels), so it is refused where it enters. The check costs two `count` calls unless the text has
more than `max_depth` brackets at all, and then one walk of the parsed value.

`dumps` writes any value; beyond orjson's recursion limit (only data stored before the limit existed can be
that deep) it falls back to an iterative encoder, so such data never breaks a page or a stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import orjson

from twinhub.model.types import JsonValue

__all__ = ["MAX_JSON_DEPTH", "JsonTooDeep", "check_depth", "dumps", "loads", "render"]

MAX_JSON_DEPTH = 100


class JsonTooDeep(ValueError):
    """JSON nested deeper than the limit (a ValueError, like orjson's JSONDecodeError)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The JSON is nested deeper than the limit of {limit} levels.")
        self.limit = limit


def loads(data: bytes | str, *, max_depth: int | None = MAX_JSON_DEPTH) -> JsonValue:
    """Parse JSON nested at most `max_depth` levels (None: no limit, for what this deployment wrote itself).

    Raises ValueError: orjson.JSONDecodeError for malformed input, JsonTooDeep for nesting beyond `max_depth`.
    """
    value: JsonValue = orjson.loads(data)
    # Every level opens with a bracket, so their number (some may sit in strings) bounds the depth.
    if max_depth is not None and (data.count(b"[") + data.count(b"{") if isinstance(data, bytes)
                                  else data.count("[") + data.count("{")) > max_depth:
        check_depth(value, max_depth)
    return value


def check_depth(value: JsonValue, max_depth: int) -> None:
    """Raise JsonTooDeep when `value` nests more than `max_depth` levels (a scalar is 0, `[]` is 1)."""
    if isinstance(value, dict | list) and not _within(value, max_depth):
        raise JsonTooDeep(max_depth)


def _within(value: dict[str, JsonValue] | list[JsonValue], room: int) -> bool:
    # Recursion stays shallow: it stops as soon as `room` (at most the limit) levels are used up.
    if room < 1:
        return False
    for child in value.values() if type(value) is dict else value:
        if (type(child) is dict or type(child) is list) and not _within(child, room - 1):
            return False
    return True


def dumps(value: JsonValue) -> bytes:
    """Compact UTF-8 JSON; raises TypeError (orjson.JSONEncodeError) for a value that is not JSON."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        if _within_orjson(value):
            raise  # not a matter of depth: not JSON
        return _encode(value)


_ORJSON_MAX_DEPTH = 254


def _within_orjson(value: JsonValue) -> bool:
    try:
        check_depth(value, _ORJSON_MAX_DEPTH)
    except JsonTooDeep:
        return False
    return True


_Entries = Iterator[tuple[int, str | None, JsonValue]]


def _encode(value: JsonValue) -> bytes:
    """The same bytes as orjson.dumps, with an explicit stack instead of recursion."""
    out: list[bytes] = []
    stack: list[tuple[_Entries, bytes]] = []  # the open containers: their remaining entries, their end
    _emit(value, out, stack)
    while stack:
        entries, end = stack[-1]
        entry = next(entries, None)
        if entry is None:
            out.append(end)
            stack.pop()
            continue
        n, key, child = entry
        if n:
            out.append(b",")
        if key is not None:
            if not isinstance(key, str):
                raise TypeError(f"Dict key must be str, not {type(key).__name__}")
            out.append(orjson.dumps(key) + b":")
        _emit(child, out, stack)
    return b"".join(out)


def _emit(value: JsonValue, out: list[bytes], stack: list[tuple[_Entries, bytes]]) -> None:
    if isinstance(value, dict):
        out.append(b"{")
        stack.append((((n, key, child) for n, (key, child) in enumerate(value.items())), b"}"))
    elif isinstance(value, list):
        out.append(b"[")
        stack.append((((n, None, child) for n, child in enumerate(value)), b"]"))
    else:
        out.append(orjson.dumps(value))


def render(value: JsonValue) -> str:
    """Compact JSON, as Ditto prints a value inside an error message (non-ASCII kept as it is)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
