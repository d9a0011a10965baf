"""Live messages in the Ditto Protocol.

    topic  ns/name/things/live/messages/<subject>              (the subject may contain '/')
    path   [/features/<featureId>]/{inbox|outbox}/messages/<subject>
    value  the payload, represented by its content type (Ditto's MessagePayloadSerializer):
           JSON (`application/json`, `application/*+json`)  -> the JSON value itself
           text (`text/*`, `application/javascript`, ...)   -> a JSON string
           anything else, or no content type               -> a base64 JSON string of the bytes

A response keeps the message's topic and path and adds `status` (and the same correlation-id).
Ditto's documentation calls `content-type` mandatory, but its adapter reads a message without one as
binary; so does this module.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

import orjson

from twinhub.model.errors import (
    JsonParseInvalid,
    MessageSubjectInvalid,
    ProtocolPathInvalid,
    TopicPathUnknown,
)
from twinhub.model.ids import parse_thing_id
from twinhub.model.json import loads
from twinhub.model.pointer import validate_key
from twinhub.model.types import MISSING, JsonValue, Missing
from twinhub.protocol.envelope import Envelope
from twinhub.protocol.headers import content_type, reply_headers
from twinhub.protocol.topic import Topic

__all__ = [
    "Direction",
    "Message",
    "PayloadKind",
    "message_envelope",
    "message_from_envelope",
    "message_path",
    "message_response",
    "payload_from_bytes",
    "payload_kind",
    "payload_to_bytes",
]

Direction = Literal["inbox", "outbox"]
PayloadKind = Literal["json", "text", "binary"]

_TEXT: Final = re.compile(r"text/.*|application/((vnd\.)?.+\+)?(javascript|ecmascript)")
_JSON: Final = re.compile(r"application/((vnd\.)?.+\+)?json")
_MERGE_PATCH: Final = "application/merge-patch+json"
_CONTROL: Final = re.compile(r"[\x00-\x1F\x7F]")
_PATH: Final = re.compile(r"(?:/features/(?P<feature>[^/]+))?/(?P<direction>inbox|outbox)/messages/(?P<subject>.+)")


@dataclass(frozen=True, slots=True)
class Message:
    """A live message (or, with `status`, a message response). `payload` is in its wire representation."""

    thing_id: str
    subject: str
    direction: Direction
    feature_id: str | None = None
    payload: JsonValue | Missing = MISSING
    content_type: str | None = None
    headers: dict[str, JsonValue] = field(default_factory=dict)
    status: int | None = None

    @property
    def path(self) -> str:
        return message_path(self.subject, self.direction, self.feature_id)


def message_path(subject: str, direction: Direction, feature_id: str | None = None) -> str:
    prefix = "" if feature_id is None else f"/features/{feature_id}"
    return f"{prefix}/{direction}/messages/{subject}"


def message_from_envelope(envelope: Envelope) -> Message:
    """The message (or message response, when `status` is set) in `envelope`.

    Raises `protocoladapter:unknown.topicpath` (not a message topic), `messages:subject.invalid` (control
    characters), `things:id.invalid`, `protocoladapter:invalid.path` (the path does not end in the topic's
    subject, or has no inbox/outbox), `things:json.key.invalid` (feature id).
    """
    topic = envelope.topic
    if topic.group != "things" or topic.criterion != "messages" or topic.action is None:
        raise TopicPathUnknown(str(topic), "The topic is not the topic of a live message.")
    subject = topic.action
    if _CONTROL.search(subject):
        raise MessageSubjectInvalid(subject)
    thing_id = str(parse_thing_id(topic.entity_id))
    match = _PATH.fullmatch(envelope.path)
    if match is None or match["subject"] != subject:
        raise ProtocolPathInvalid(envelope.path,
                                  f"It should match the pattern: (/features/[^/]+)?/(inbox|outbox)/messages/{subject}")
    feature_id = match["feature"]
    if feature_id is not None:
        validate_key(feature_id)
    direction: Direction = "inbox" if match["direction"] == "inbox" else "outbox"
    given_type = content_type(envelope.headers)
    payload = MISSING if envelope.value is MISSING else _normalize(envelope.value, given_type)
    return Message(thing_id, subject, direction, feature_id, payload, given_type, dict(envelope.headers),
                   envelope.status)


def message_envelope(message: Message) -> Envelope:
    """`message` as a Ditto Protocol message (headers, then its content type)."""
    headers = dict(message.headers)
    if message.content_type is not None:
        headers["content-type"] = message.content_type
    return Envelope(
        topic=_topic(message.thing_id, message.subject),
        headers=headers,
        path=message.path,
        value=message.payload,
        status=message.status,
    )


def message_response(request: Message, status: int, payload: JsonValue | Missing = MISSING, *,
                     content_type: str | None = None, headers: Mapping[str, JsonValue] | None = None) -> Envelope:
    """A response to `request` (same topic and path, its correlation-id) with `status` and `payload`."""
    return Envelope(
        topic=_topic(request.thing_id, request.subject),
        headers=reply_headers(request.headers, content=content_type, extra=headers),
        path=request.path,
        value=payload,
        status=status,
    )


def payload_kind(content_type: str | None) -> PayloadKind:
    """How Ditto represents a payload of `content_type` in JSON (merge patches count as binary there)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == _MERGE_PATCH:
        return "binary"
    if _TEXT.fullmatch(media_type):
        return "text"
    if _JSON.fullmatch(media_type):
        return "json"
    return "binary"


def payload_to_bytes(payload: JsonValue | Missing, content_type: str | None) -> bytes:
    """The raw bytes of a wire payload (an HTTP body): JSON text, the text, or the base64-decoded bytes."""
    if payload is MISSING:
        return b""
    kind = payload_kind(content_type)
    if kind == "json":
        return orjson.dumps(payload)
    text = payload if isinstance(payload, str) else orjson.dumps(payload).decode()
    return text.encode() if kind == "text" else _base64_decode(text)


def payload_from_bytes(data: bytes, content_type: str | None) -> JsonValue | Missing:
    """The wire payload for raw bytes (an HTTP body); an empty body is no payload. Raises `json.invalid` for a
    JSON content type whose body does not parse or nests deeper than `MAX_JSON_DEPTH` levels."""
    if not data:
        return MISSING
    kind = payload_kind(content_type)
    if kind == "json":
        try:
            return loads(data)
        except ValueError as exc:
            raise JsonParseInvalid(f"The message payload is not valid JSON: {exc}") from None
    if kind == "text":
        return data.decode("utf-8", "replace")
    return base64.b64encode(data).decode("ascii")


def _normalize(value: JsonValue, content_type: str | None) -> JsonValue:
    """Ditto's reading of a payload: JSON stays JSON, text becomes a string, binary canonical base64 (a string
    that is no base64 stands for its own UTF-8 bytes)."""
    kind = payload_kind(content_type)
    if kind == "json":
        return value
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    if kind == "text":
        return text
    return base64.b64encode(_base64_decode(text)).decode("ascii")


def _base64_decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()


def _topic(thing_id: str, subject: str) -> Topic:
    namespace, _, name = thing_id.partition(":")
    return Topic(namespace, name, "things", "live", "messages", subject)
