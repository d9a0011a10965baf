"""`RawMessage`: live message payloads as they are, both ways, as Ditto's RawMessageMapper.

Inbound, the message headers come from `incomingMessageHeaders` (placeholders over the external headers;
defaults below): a Ditto Protocol content type falls through to the `Ditto` mapper, anything else becomes a
live message to (`TO`: inbox) or from (`FROM`: outbox) the thing, its payload JSON, text or base64 by its content
type. Outbound, a live message (or its response) whose content type is not Ditto Protocol is published as
its bare payload with the message headers; everything else goes out as the `Ditto` mapper writes it.

Options: `outgoingContentType` (default `text/plain; charset=UTF-8`, for messages without one),
`incomingMessageHeaders` (merged over the defaults).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperConfigurationInvalid, MapperContext, MappingFailed
from twinhub.connectivity.mapping.ditto import DittoMapper
from twinhub.connectivity.mapping.support import (
    DITTO_PROTOCOL,
    header_text,
    inbound_placeholders,
    option_object,
    option_text,
)
from twinhub.connectivity.placeholders import INBOUND_PREFIXES, Template, apply_or_delete, validate
from twinhub.model.errors import TwinhubError
from twinhub.model.ids import parse_thing_id
from twinhub.model.pointer import validate_key
from twinhub.protocol import (
    Direction,
    Envelope,
    Message,
    message_envelope,
    message_from_envelope,
    payload_from_bytes,
    payload_kind,
    payload_to_bytes,
)

__all__ = ["RawMessageMapper"]

CONTENT_TYPE: Final = "content-type"
DIRECTION: Final = "ditto-message-direction"
THING_ID: Final = "ditto-message-thing-id"
SUBJECT: Final = "ditto-message-subject"
FEATURE_ID: Final = "ditto-message-feature-id"
STATUS: Final = "status"
DEFAULT_INCOMING_HEADERS: Final = {
    CONTENT_TYPE: "{{ header:content-type | fn:default('application/octet-stream') }}",
    DIRECTION: "{{ header:ditto-message-direction | fn:default('TO') }}",
    THING_ID: "{{ header:ditto-message-thing-id }}",
    SUBJECT: "{{ header:ditto-message-subject }}",
    STATUS: "{{ header:status }}",
    FEATURE_ID: "{{ header:ditto-message-feature-id }}",
}
DEFAULT_OUTGOING_CONTENT_TYPE: Final = "text/plain; charset=UTF-8"


class RawMessageMapper:
    def __init__(self, context: MapperContext) -> None:
        self.context = context
        self.ditto = DittoMapper(context)
        self.outgoing_content_type = option_text(context, "outgoingContentType") or DEFAULT_OUTGOING_CONTENT_TYPE
        configured = option_object(context, "incomingMessageHeaders") or {}
        try:
            self.incoming: dict[str, Template] = {
                name.lower(): validate(header_text(value), INBOUND_PREFIXES)
                for name, value in {**DEFAULT_INCOMING_HEADERS, **configured}.items()}
        except TwinhubError as error:
            raise MapperConfigurationInvalid(f"The option <incomingMessageHeaders> is invalid: "
                                             f"{error.message}") from error

    def map_inbound(self, message: ExternalMessage) -> Sequence[Envelope]:
        placeholders = inbound_placeholders(message, self.context)
        resolved = {name: apply_or_delete(template, placeholders) for name, template in self.incoming.items()}
        content_type = resolved.get(CONTENT_TYPE)
        if content_type is None:
            raise MappingFailed("The RawMessage mapper failed to resolve content-type of an incoming message.")
        if content_type.split(";")[0].strip().lower() == DITTO_PROTOCOL:
            return self.ditto.map_inbound(message)
        try:
            raw = Message(
                thing_id=str(parse_thing_id(_required(resolved, THING_ID))),
                subject=_required(resolved, SUBJECT),
                direction=_direction(resolved.get(DIRECTION)),
                feature_id=_feature(resolved.get(FEATURE_ID)),
                payload=payload_from_bytes(message.payload, content_type),
                content_type=content_type,
                status=_status(resolved.get(STATUS)),
            )
            envelope = message_envelope(raw)
            message_from_envelope(envelope)  # the checks of a live message: subject, path, feature id
        except TwinhubError as error:
            raise MappingFailed(f"The RawMessage mapper cannot build a message: {error.message}") from error
        return [envelope]

    def map_outbound(self, envelope: Envelope) -> Sequence[ExternalMessage]:
        if envelope.topic.criterion != "messages":
            return self.ditto.map_outbound(envelope)
        try:
            live = message_from_envelope(envelope)
        except TwinhubError as error:
            raise MappingFailed(f"The live message cannot be read: {error.message}") from error
        content_type = live.content_type or self.outgoing_content_type
        if content_type.split(";")[0].strip().lower() == DITTO_PROTOCOL:
            return self.ditto.map_outbound(envelope)
        headers = {DIRECTION: "TO" if live.direction == "inbox" else "FROM", THING_ID: live.thing_id,
                   SUBJECT: live.subject, CONTENT_TYPE: content_type}
        if live.feature_id is not None:
            headers[FEATURE_ID] = live.feature_id
        if live.status is not None:
            headers[STATUS] = str(live.status)
        payload = live.payload
        if payload_kind(content_type) == "binary":
            if not isinstance(payload, str):
                raise MappingFailed(f"Expect payload of a message of content-type <{content_type}> to be a base64 "
                                    f"encoded string.")
            data = payload_to_bytes(payload, content_type)
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = payload_to_bytes(payload, "application/json")
        return [ExternalMessage(data, headers, content_type)]

    def close(self) -> None:
        pass


def _required(resolved: dict[str, str | None], name: str) -> str:
    value = resolved.get(name)
    if not value:
        raise MappingFailed(f"The RawMessage mapper could not resolve the message header <{name}>.")
    return value


def _direction(value: str | None) -> Direction:
    if value is None or value.upper() not in ("TO", "FROM"):
        raise MappingFailed(f"The message direction <{value}> is neither TO nor FROM.")
    return "inbox" if value.upper() == "TO" else "outbox"


def _feature(value: str | None) -> str | None:
    return None if not value else validate_key(value)


def _status(value: str | None) -> int | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 100 <= int(value) <= 599:  # "²" is a digit to isdigit
        raise MappingFailed(f"The status <{value}> is no HTTP status code.")
    return int(value)
