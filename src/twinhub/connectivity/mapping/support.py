"""What several mappers share: reading options, reading a payload as Ditto Protocol, the placeholders an
inbound message offers mapper options (those of `INBOUND_PREFIXES`), resolving the strings
of a JSON template, and the Ditto Protocol content type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from twinhub.connectivity.external import ExternalMessage
from twinhub.connectivity.mapping.base import MapperConfigurationInvalid, MapperContext, MappingFailed
from twinhub.connectivity.placeholders import Placeholder, apply_or_delete, message_placeholders
from twinhub.model.errors import TwinhubError
from twinhub.model.json import dumps
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import Envelope, ProtocolError, encode_envelope, parse_envelope

__all__ = [
    "DITTO_PROTOCOL",
    "MAX_PAYLOAD_SIZE",
    "header_text",
    "inbound_placeholders",
    "option_bool",
    "option_object",
    "option_text",
    "protocol_envelope",
    "protocol_message",
    "resolve_strings",
]

DITTO_PROTOCOL: Final = "application/vnd.eclipse.ditto+json"
MAX_PAYLOAD_SIZE: Final = 256 * 1024  # bytes of one message a mapper reads or writes


def option_text(context: MapperContext, key: str, default: str | None = None) -> str | None:
    """A string option (Ditto's options are strings; numbers and booleans are read as their JSON text)."""
    value = context.options.get(key)
    if value is None:
        return default
    if isinstance(value, dict | list):
        raise MapperConfigurationInvalid(f"The option <{key}> of mapper <{context.alias}> must be a string.")
    return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def option_bool(context: MapperContext, key: str, default: bool) -> bool:
    text = option_text(context, key)
    return default if text is None else text.strip().lower() == "true"


def option_object(context: MapperContext, key: str) -> JsonObject | None:
    value = context.options.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MapperConfigurationInvalid(f"The option <{key}> of mapper <{context.alias}> must be a JSON object.")
    return value


def protocol_envelope(message: ExternalMessage) -> Envelope:
    """The message's payload read as one Ditto Protocol message; raises `MappingFailed` (its cause the Ditto
    error: json.invalid, protocoladapter:unknown.topicpath, request.toolarge, ...)."""
    try:
        return parse_envelope(message.payload, max_size=MAX_PAYLOAD_SIZE)
    except ProtocolError as error:
        raise MappingFailed(f"The payload is no Ditto Protocol message: {error.error.message}") from error


def protocol_message(envelope: Envelope) -> ExternalMessage:
    """The envelope as Ditto Protocol JSON text, with Ditto's content type and the correlation-id."""
    headers = {"content-type": DITTO_PROTOCOL}
    correlation = envelope.headers.get("correlation-id")
    if isinstance(correlation, str):
        headers["correlation-id"] = correlation
    return ExternalMessage(encode_envelope(envelope), headers, DITTO_PROTOCOL)


def inbound_placeholders(message: ExternalMessage, context: MapperContext) -> dict[str, Placeholder]:
    """What mapper options may use on an inbound message: every prefix of `INBOUND_PREFIXES` (`header:`,
    `connection:id`, `source:address`, `time:`, `request:subjectId`), as the options are validated against
    them and as a mapper's incoming conditions see them."""
    subject = message.authorization_subjects[0] if message.authorization_subjects else None
    return message_placeholders(message, connection_id=context.connection_id, now=context.clock(),
                                subject_id=subject)


def resolve_strings(value: JsonValue, placeholders: Mapping[str, Placeholder], *, keep_unresolved: bool) -> JsonValue:
    """`value` with placeholders resolved in every string (keys and values), the JSON structure kept: a
    header value cannot inject JSON, unlike Ditto's substitution on the template's text. An unresolved
    string is kept as written (`keep_unresolved`) or fails the mapping."""
    if isinstance(value, str):
        if "{{" not in value:
            return value
        try:
            resolved = apply_or_delete(value, placeholders)
        except TwinhubError as error:
            raise MappingFailed(error.message) from error
        if resolved is None:
            if keep_unresolved:
                return value
            raise MappingFailed(f"The placeholders of <{value}> could not be resolved.")
        return resolved
    if isinstance(value, list):
        return [resolve_strings(item, placeholders, keep_unresolved=keep_unresolved) for item in value]
    if isinstance(value, dict):
        return {str(resolve_strings(key, placeholders, keep_unresolved=keep_unresolved)):
                resolve_strings(item, placeholders, keep_unresolved=keep_unresolved) for key, item in value.items()}
    return value


def header_text(value: JsonValue) -> str:
    """A header value as text (Ditto's headers are strings; JSON values are written as JSON)."""
    return value if isinstance(value, str) else dumps(value).decode()
