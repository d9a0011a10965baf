"""Reading the `value` of reactive-streams commands (search, streaming) and writing error JSON."""

from __future__ import annotations

from typing import cast

from twinhub.model.errors import JsonFieldMissing, JsonParseInvalid, TwinhubError
from twinhub.model.types import MISSING, JsonObject
from twinhub.protocol.envelope import Envelope

__all__ = ["demand", "error_json", "optional_text", "subscription_id", "value_object"]


def value_object(envelope: Envelope) -> JsonObject:
    """The message's value object; Ditto reads an absent value as an empty one."""
    if envelope.value is MISSING:
        return {}
    if not isinstance(envelope.value, dict):
        raise JsonParseInvalid(f"The value of a '{envelope.topic.action}' must be a JSON object.")
    return envelope.value


def optional_text(value: JsonObject, field: str) -> str | None:
    text = value.get(field)
    if text is not None and not isinstance(text, str):
        raise JsonParseInvalid(f"The '{field}' must be a JSON string.")
    return text


def subscription_id(value: JsonObject) -> str:
    if "subscriptionId" not in value:
        raise JsonFieldMissing("JSON did not include required </subscriptionId> field!")
    found = value["subscriptionId"]
    if not isinstance(found, str):
        raise JsonParseInvalid("The 'subscriptionId' must be a JSON string.")
    return found


def demand(value: JsonObject) -> int:
    """The `demand` of a request (Ditto's default: 0, which the subscription then refuses)."""
    found = value.get("demand", 0)
    if isinstance(found, bool) or not isinstance(found, int):
        raise JsonParseInvalid("The 'demand' must be an integer.")
    return found


def error_json(error: TwinhubError) -> JsonObject:
    """Ditto's error JSON `{status, error, message, description?}` (and what a kind adds, as a WoT payload
    error's `validationDetails`) as a plain JSON object."""
    return cast(JsonObject, dict(error.to_json()))
