"""AMQP 1.0 messages as Ditto's AMQP 1.0 binding maps them to and from external headers.

The AMQP 1.0 properties below are the headers of the same name; every other header is an application
property. An application property named like one of those properties is the header
`amqp.application.property:<name>`, and a message annotation is `amqp.message.annotation:<name>`, both ways.
Times (`absolute-expiry-time`, `creation-time`) are milliseconds since the epoch. A payload travels as a data
section (its content type says whether it is text), so that a broker hands it unchanged to consumers of other
protocols (RabbitMQ gives AMQP 0.9.1 consumers an AMQP value's encoding); received, a string value is UTF-8 and
another value JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import orjson
from proton import Message, symbol

from twinhub.connectivity.external import ExternalMessage

__all__ = ["APPLICATION_PROPERTY", "MESSAGE_ANNOTATION", "PROPERTIES", "incoming", "outgoing"]

APPLICATION_PROPERTY: Final = "amqp.application.property:"
MESSAGE_ANNOTATION: Final = "amqp.message.annotation:"

# Header name -> proton Message attribute.
PROPERTIES: Final = {"message-id": "id", "user-id": "user_id", "to": "address", "subject": "subject",
                     "reply-to": "reply_to", "correlation-id": "correlation_id", "content-type": "content_type",
                     "absolute-expiry-time": "expiry_time", "creation-time": "creation_time",
                     "group-id": "group_id", "group-sequence": "group_sequence",
                     "reply-to-group-id": "reply_to_group_id"}
_TIMES: Final = frozenset({"absolute-expiry-time", "creation-time"})


def _text(value: object) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        return str(value)
    return orjson.dumps(value, default=str).decode()  # maps and lists


def payload_of(message: Message) -> bytes:
    """The message's body as bytes: a data section as it is, a string as UTF-8, another value as JSON."""
    body = message.body
    if body is None:
        return b""
    if isinstance(body, (bytes, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return orjson.dumps(body, default=str)


def _content_type(message: Message) -> str | None:
    # proton answers symbol(None), i.e. the text "None", for a message without a content type
    content_type = message.content_type
    return None if content_type is None or content_type in ("", "None") else str(content_type)


def incoming(message: Message, address: str) -> ExternalMessage:
    headers: dict[str, str] = {}
    for name, value in (message.annotations or {}).items():
        headers[MESSAGE_ANNOTATION + str(name).lower()] = _text(value)
    for name, value in (message.properties or {}).items():
        name = str(name).lower()
        headers[APPLICATION_PROPERTY + name if name in PROPERTIES else name] = _text(value)
    for name, attribute in PROPERTIES.items():
        value = _content_type(message) if name == "content-type" else getattr(message, attribute)
        if value in (None, "", 0, b""):  # proton's defaults for absent properties
            continue
        headers[name] = str(round(float(value) * 1000)) if name in _TIMES else _text(value)
    return ExternalMessage(payload=payload_of(message), headers=headers, content_type=_content_type(message),
                           address=address)


def _millis(value: str) -> float:
    return int(value) / 1000


_SETTERS: Final[dict[str, Callable[[str], object]]] = {
    "user-id": str.encode, "group-sequence": int, "absolute-expiry-time": _millis, "creation-time": _millis}


def outgoing(message: ExternalMessage) -> Message:
    """The proton message for `message`; ValueError for a header whose value the property cannot take (e.g.
    a `group-sequence` that is no number)."""
    amqp = Message(durable=True)
    properties: dict[str, object] = {}
    annotations: dict[symbol, object] = {}
    for name, value in message.headers.items():
        if name in PROPERTIES:
            setattr(amqp, PROPERTIES[name], _SETTERS.get(name, str)(value))
        elif name.startswith(APPLICATION_PROPERTY):
            properties[name.removeprefix(APPLICATION_PROPERTY)] = value
        elif name.startswith(MESSAGE_ANNOTATION):
            annotations[symbol(name.removeprefix(MESSAGE_ANNOTATION))] = value
        else:
            properties[name] = value
    if message.content_type is not None:
        amqp.content_type = message.content_type
    amqp.properties = properties or None  # type: ignore[assignment]  # proton types the default, not the field
    amqp.annotations = annotations or None  # type: ignore[assignment]  # symbol keys are what AMQP wants
    amqp.body = message.payload
    amqp.inferred = True  # a data section, not an AMQP value: what brokers pass on to other protocols unchanged
    return amqp
