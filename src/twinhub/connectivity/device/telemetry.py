"""Telemetry without set-up: a JSON object published to `devices/<thingId>/telemetry` becomes one merge of
the thing (Ditto's merge, `application/merge-patch+json`, at the thing's root), in the layout of the
setting `mqtt_telemetry`:

    features     (default) each key K -> features/K/properties/value
                 {"temperature": 21.5, "humidity": 40} -> features/temperature/properties/value = 21.5, ...
    attributes   each key K -> attributes/K
    merge        the object is a merge patch of the whole thing, as is (e.g. {"features": {...}})

A merge at the root creates a missing thing, as PATCH /api/2/things/<id> does: with the policy of the same
id when one exists, else Ditto's default policy granting its creator (the device) READ and WRITE. A `null`
value deletes, as in any merge patch. Only a JSON object is telemetry; anything else is refused.
"""

from __future__ import annotations

import enum

import orjson

from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import thing_topic

__all__ = ["Layout", "TelemetryInvalid", "merge_frame"]


class Layout(enum.Enum):
    FEATURES = "features"
    ATTRIBUTES = "attributes"
    MERGE = "merge"


class TelemetryInvalid(ValueError):
    """The payload is no JSON object (or not UTF-8, or nested too deeply to parse)."""


def _patch(payload: JsonObject, layout: Layout) -> JsonObject:
    if layout is Layout.FEATURES:
        features: JsonObject = {key: {"properties": {"value": value}} for key, value in payload.items()}
        return {"features": features}
    if layout is Layout.ATTRIBUTES:
        return {"attributes": payload}
    return payload


def merge_frame(thing_id: str, payload: bytes, layout: Layout, correlation_id: str) -> str:
    """The Ditto Protocol merge command (as a WebSocket client would send it) for one telemetry message;
    raises TelemetryInvalid."""
    try:
        value: JsonValue = orjson.loads(payload)  # orjson refuses nesting deeper than 1024
    except orjson.JSONDecodeError as exc:
        raise TelemetryInvalid(f"The telemetry is not JSON: {str(exc)[:200]}") from None
    if not isinstance(value, dict):
        raise TelemetryInvalid("The telemetry must be a JSON object.")
    return orjson.dumps({
        "topic": str(thing_topic(thing_id, "commands", "merge")),
        "headers": {"correlation-id": correlation_id, "content-type": "application/merge-patch+json",
                    "response-required": True},
        "path": "/",
        "value": _patch(value, layout),
    }).decode()
