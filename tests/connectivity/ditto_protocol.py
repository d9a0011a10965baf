"""Ditto Protocol messages as a device sends them to a connection's source (JSON bytes)."""

from __future__ import annotations

import orjson

from twinhub.model.types import JsonValue


def merge(thing_id: str, path: str, value: JsonValue) -> bytes:
    """A merge of the twin `thing_id` at `path` with `value` (a JSON merge patch)."""
    namespace, name = thing_id.split(":", 1)
    return orjson.dumps({"topic": f"{namespace}/{name}/things/twin/commands/merge", "path": path, "value": value,
                         "headers": {"content-type": "application/merge-patch+json"}})
