"""Telemetry without set-up: a JSON object published to `devices/<thingId>/telemetry` becomes one merge of
the thing (Ditto's merge, `application/merge-patch+json`, at the thing's root), in the layout of the
setting `mqtt_telemetry`:

    features     (default) each key K -> features/K/properties/value
                 {"temperature": 21.5, "humidity": 40} -> features/temperature/properties/value = 21.5, ...
    attributes   each key K -> attributes/K
    merge        the object is a merge patch of the whole thing, as is (e.g. {"features": {...}})

A `null` value deletes, as in any merge patch. Only a JSON object is telemetry; anything else is refused.

A thing that does not exist yet is created with the telemetry as its content. With `admin_subjects` set, its
policy (`owner_policy`) grants the client READ and WRITE on the thing and its messages, and the admins
everything, policy included; without, it gets the policy a merge would create it with (PATCH
/api/2/things/<id>): Ditto's default, granting its creator everything.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Final

import orjson

from twinhub.model.thing import INLINE_POLICY
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import Envelope, thing_topic

__all__ = ["Layout", "TelemetryInvalid", "create_command", "merge_command", "owner_policy", "telemetry_patch"]

_READ_WRITE: Final[JsonObject] = {"grant": ["READ", "WRITE"], "revoke": []}


class Layout(enum.Enum):
    FEATURES = "features"
    ATTRIBUTES = "attributes"
    MERGE = "merge"


class TelemetryInvalid(ValueError):
    """The payload is no JSON object (or not UTF-8, or nested too deeply to parse)."""


def telemetry_patch(payload: bytes, layout: Layout) -> JsonObject:
    """The merge patch of the thing that one telemetry message is; raises TelemetryInvalid."""
    try:
        value: JsonValue = orjson.loads(payload)  # orjson refuses nesting deeper than 1024
    except orjson.JSONDecodeError as exc:
        raise TelemetryInvalid(f"The telemetry is not JSON: {str(exc)[:200]}") from None
    if not isinstance(value, dict):
        raise TelemetryInvalid("The telemetry must be a JSON object.")
    if layout is Layout.FEATURES:
        features: JsonObject = {key: {"properties": {"value": item}} for key, item in value.items()}
        return {"features": features}
    if layout is Layout.ATTRIBUTES:
        return {"attributes": value}
    return value


def merge_command(thing_id: str, patch: JsonObject, correlation_id: str, *, existing: bool = False) -> Envelope:
    """The Ditto Protocol merge command (as a WebSocket client would send it); `existing`: only if the thing
    exists (`if-match: *`, else 412)."""
    headers: JsonObject = {"correlation-id": correlation_id, "content-type": "application/merge-patch+json",
                           "response-required": True}
    if existing:
        headers["if-match"] = "*"
    return _command(thing_id, "merge", headers, patch)


def create_command(thing_id: str, content: JsonObject, policy: JsonObject, correlation_id: str) -> Envelope:
    """The Ditto Protocol create command of a thing with `content` and an inline policy (412 if it exists)."""
    # The creator (a device) is not to write its policy: only the admins may.
    headers: JsonObject = {"correlation-id": correlation_id, "response-required": True, "if-none-match": "*",
                           "allow-policy-lockout": True}
    return _command(thing_id, "create", headers, {**content, INLINE_POLICY: policy})


def owner_policy(creator: str, admins: Sequence[str]) -> JsonObject:
    """The policy of a thing its first telemetry creates: the creator (a device) may read and write the
    thing and its messages; the admins may do everything, so they alone manage the policy."""
    return {"entries": {
        "DEVICE": {"subjects": {creator: {"type": "the creator of the thing (twinhub device endpoint)"}},
                   "resources": {"thing:/": _READ_WRITE, "message:/": _READ_WRITE}},
        "ADMIN": {"subjects": {admin: {"type": "admin_subjects"} for admin in admins},
                  "resources": {"thing:/": _READ_WRITE, "policy:/": _READ_WRITE, "message:/": _READ_WRITE}},
    }}


def _command(thing_id: str, action: str, headers: JsonObject, value: JsonObject) -> Envelope:
    return Envelope(thing_topic(thing_id, "commands", action), headers, "/", value)
