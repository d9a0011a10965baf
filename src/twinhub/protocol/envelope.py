"""The Ditto Protocol envelope: `{"topic", "headers", "path", "value"?, "fields"?, "extra"?, "status"?,
"revision"?, "timestamp"?, "metadata"?}`, parsed from and encoded to compact JSON.

An absent `value` (`MISSING`) is not JSON `null` (`None`): a delete carries no value, a modify may set null.
`MISSING` is the model's sentinel (`twinhub.model.types`), so a READ view that shows nothing passes straight through.

Reading follows Ditto's order, so that an error can be answered with what was understood:
headers first, then the topic, then the payload. Every failure raises a `ProtocolError` carrying the
topic (None until it parsed) and the headers.

    text                 error                        status
    empty                json.format.invalid          400
    no JSON / no object  json.invalid                 400
    nested too deep      json.invalid                 400   (a value deeper than MAX_JSON_DEPTH levels)
    field of wrong type  json.invalid                 400
    topic or path absent json.field.missing           400
    bad topic            protocoladapter:unknown.topicpath / acknowledgement:label.invalid  400
    bad header value     header.invalid / timeout.invalid  400
    over `max_size`      request.toolarge             413
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from twinhub.model.errors import (
    JsonFieldMissing,
    JsonInvalid,
    JsonParseInvalid,
    RequestTooLarge,
    TwinhubError,
)
from twinhub.model.json import MAX_JSON_DEPTH, JsonTooDeep, dumps, loads
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing
from twinhub.protocol._failure import ProtocolError
from twinhub.protocol.headers import normalize_headers, signal_headers
from twinhub.protocol.topic import Topic, parse_topic

__all__ = [
    "Envelope",
    "encode_envelope",
    "envelope_from_json",
    "envelope_to_json",
    "normalize_path",
    "parse_envelope",
]


@dataclass(frozen=True, slots=True)
class Envelope:
    """One Ditto Protocol message. `headers` keys are lower-case; `path` is the JSON pointer text as sent."""

    topic: Topic
    headers: dict[str, JsonValue]
    path: str = "/"
    value: JsonValue | Missing = MISSING
    fields: str | None = None
    extra: JsonObject | None = None
    status: int | None = None
    revision: int | None = None
    timestamp: str | None = None
    metadata: JsonObject | None = None  # an event's metadata at its path (Ditto's payload `metadata`)

    def to_json(self) -> JsonObject:
        """The envelope as a JSON object (see `envelope_to_json`)."""
        return envelope_to_json(self)


def parse_envelope(data: str | bytes, *, max_size: int | None = None) -> Envelope:
    """Parse one Ditto Protocol message; raises `ProtocolError` (see the module docstring)."""
    if max_size is not None and (size := len(data if isinstance(data, bytes) else data.encode())) > max_size:
        raise ProtocolError(RequestTooLarge(size, max_size), topic=None, headers={})
    if not data.strip():
        raise ProtocolError(JsonInvalid("The Ditto Protocol message is empty."), topic=None, headers={})
    try:
        parsed = loads(data, max_depth=MAX_JSON_DEPTH + 1)  # the envelope is one level around its value
    except JsonTooDeep:
        error = JsonParseInvalid(f"The Ditto Protocol message nests its value deeper than the limit of "
                                 f"{MAX_JSON_DEPTH} levels.")
        raise ProtocolError(error, topic=None, headers={}) from None
    except ValueError as exc:
        snippet = (data[:120].decode("utf-8", "replace") if isinstance(data, bytes) else data[:120])
        error = JsonParseInvalid(f"Failed to parse JSON string '{snippet}': {exc}")
        raise ProtocolError(error, topic=None, headers={}) from None
    return envelope_from_json(parsed)


def envelope_from_json(message: JsonValue) -> Envelope:
    """The envelope of an already parsed JSON message (a connection's payload, say); raises `ProtocolError`."""
    if not isinstance(message, dict):
        error = JsonParseInvalid(f"The Ditto Protocol message <{_render(message)}> is not a JSON object.")
        raise ProtocolError(error, topic=None, headers={})
    raw_headers = message.get("headers", {})
    if not isinstance(raw_headers, dict):
        raise ProtocolError(_wrong_type(raw_headers, "headers", "JsonObject"), topic=None, headers={})
    headers = normalize_headers(raw_headers)
    topic: Topic | None = None
    try:
        topic = parse_topic(_required_text(message, "topic"))
        signal_headers(headers)  # the values Ditto defines must be valid before anything is done
        return Envelope(
            topic=topic,
            headers=headers,
            path=_required_text(message, "path"),
            value=message.get("value", MISSING),
            fields=_optional_text(message, "fields"),
            extra=_optional_object(message, "extra"),
            status=_optional_status(message),
            revision=_optional_int(message, "revision"),
            timestamp=_optional_text(message, "timestamp"),
            metadata=_optional_object(message, "metadata"),
        )
    except ProtocolError:
        raise
    except TwinhubError as error:
        raise ProtocolError(error, topic=topic, headers=headers) from error


def envelope_to_json(envelope: Envelope) -> JsonObject:
    """The envelope as a JSON object, keys in Ditto's order, absent fields left out."""
    message: JsonObject = {"topic": str(envelope.topic), "headers": envelope.headers, "path": envelope.path}
    if envelope.value is not MISSING:
        message["value"] = envelope.value
    if envelope.fields is not None:
        message["fields"] = envelope.fields
    if envelope.extra is not None:
        message["extra"] = envelope.extra
    if envelope.status is not None:
        message["status"] = envelope.status
    if envelope.revision is not None:
        message["revision"] = envelope.revision
    if envelope.timestamp is not None:
        message["timestamp"] = envelope.timestamp
    if envelope.metadata is not None:
        message["metadata"] = envelope.metadata
    return message


def encode_envelope(envelope: Envelope) -> bytes:
    """Compact UTF-8 JSON of the envelope (see `envelope_to_json`), however deep its value."""
    return dumps(envelope_to_json(envelope))


def normalize_path(text: str) -> str:
    """A path as Ditto writes it back: a leading `/`, no trailing one (`attributes/x/` -> `/attributes/x`)."""
    return "/" + "/".join(key for key in text.split("/") if key)


def _render(value: JsonValue, limit: int = 120) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= limit else text[:limit] + "..."


def _wrong_type(value: JsonValue, field: str, java_type: str) -> TwinhubError:
    return JsonParseInvalid(f"Value <{_render(value)}> for </{field}> is not of type <{java_type}>!")


def _required_text(message: Mapping[str, JsonValue], field: str) -> str:
    if field not in message:
        raise JsonFieldMissing(f"JSON did not include required </{field}> field!")
    value = message[field]
    if not isinstance(value, str):
        raise _wrong_type(value, field, "String")
    return value


def _optional_text(message: Mapping[str, JsonValue], field: str) -> str | None:
    value = message.get(field)
    if value is not None and not isinstance(value, str):
        raise _wrong_type(value, field, "String")
    return value


def _optional_object(message: Mapping[str, JsonValue], field: str) -> JsonObject | None:
    value = message.get(field)
    if value is not None and not isinstance(value, dict):
        raise _wrong_type(value, field, "JsonObject")
    return value


def _optional_int(message: Mapping[str, JsonValue], field: str) -> int | None:
    value = message.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type(value, field, "long")
    return value


def _optional_status(message: Mapping[str, JsonValue]) -> int | None:
    status = _optional_int(message, "status")
    if status is not None and not 100 <= status <= 599:
        raise JsonParseInvalid(f"The status <{status}> is no HTTP status code.")
    return status
