"""A connection's source: where messages come from and as whom they act (Ditto's `Source`).

    {"addresses": ["telemetry/#"], "consumerCount": 1, "qos": 1, "authorizationContext": ["ditto:inbound"],
     "enforcement": {"input": "{{ header:device_id }}", "filters": ["{{ thing:id }}"]},
     "acknowledgementRequests": {"includes": ["twin-persisted"], "filter": "fn:filter(header:qos,'ne','0')"},
     "declaredAcks": ["my-conn:my-ack"], "headerMapping": {"correlation-id": "{{ header:message-id }}"},
     "payloadMapping": ["Ditto"],
     "replyTarget": {"enabled": true, "address": "{{ header:reply-to }}", "headerMapping": {},
                     "expectedResponseTypes": ["response", "error", "nack"]}}

Parsed once, rendered back field for field in Ditto's order; `index` is the source's position in the
connection (not part of its JSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from twinhub.connectivity.model._json import (
    object_at,
    optional_bool,
    optional_int,
    optional_object,
    optional_str,
    or_default,
    required_str,
    string_list,
    string_map,
)
from twinhub.model.types import JsonObject, JsonValue

__all__ = ["DEFAULT_EXPECTED_RESPONSE_TYPES", "RESPONSE_TYPES", "AcknowledgementRequests", "Enforcement",
           "ReplyTarget", "Source", "parse_source"]

RESPONSE_TYPES: Final = ("response", "error", "nack")
DEFAULT_EXPECTED_RESPONSE_TYPES: Final = RESPONSE_TYPES
DEFAULT_CONSUMER_COUNT: Final = 1


@dataclass(frozen=True, slots=True)
class Enforcement:
    """Only messages whose resolved `input` equals one of the resolved `filters` pass (Ditto's enforcement)."""

    input: str
    filters: tuple[str, ...]

    def to_json(self) -> JsonObject:
        return {"input": self.input, "filters": list(self.filters)}


@dataclass(frozen=True, slots=True)
class AcknowledgementRequests:
    """The acknowledgements requested for each inbound command, unless `filter` resolves to empty."""

    includes: tuple[str, ...]
    filter: str | None = None

    def to_json(self) -> JsonObject:
        result: JsonObject = {"includes": list(self.includes)}
        if self.filter is not None:
            result["filter"] = self.filter
        return result


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """Where responses to the source's commands go: `address` (with placeholders), its header mapping, and
    which kinds of responses to send."""

    address: str
    header_mapping: dict[str, str] = field(default_factory=dict)
    expected_response_types: tuple[str, ...] = DEFAULT_EXPECTED_RESPONSE_TYPES

    def to_json(self) -> JsonObject:
        return {"address": self.address, "headerMapping": dict(self.header_mapping),
                "expectedResponseTypes": list(self.expected_response_types)}


@dataclass(frozen=True, slots=True)
class Source:
    addresses: tuple[str, ...]
    authorization_context: tuple[str, ...] = ()
    consumer_count: int = DEFAULT_CONSUMER_COUNT
    qos: int | None = None
    enforcement: Enforcement | None = None
    acknowledgement_requests: AcknowledgementRequests | None = None
    declared_acks: tuple[str, ...] = ()
    header_mapping: dict[str, str] = field(default_factory=dict)
    payload_mapping: tuple[str, ...] = ()
    reply_target: ReplyTarget | None = None
    reply_target_enabled: bool = True
    index: int = 0

    def to_json(self) -> JsonObject:
        result: JsonObject = {"addresses": list(self.addresses), "consumerCount": self.consumer_count}
        if self.qos is not None:
            result["qos"] = self.qos
        if self.authorization_context:
            result["authorizationContext"] = list(self.authorization_context)
        if self.enforcement is not None:
            result["enforcement"] = self.enforcement.to_json()
        if self.acknowledgement_requests is not None:
            result["acknowledgementRequests"] = self.acknowledgement_requests.to_json()
        result["headerMapping"] = dict(self.header_mapping)
        if self.payload_mapping:
            result["payloadMapping"] = list(self.payload_mapping)
        reply: JsonObject = self.reply_target.to_json() if self.reply_target is not None else {}
        if self.reply_target is not None or not self.reply_target_enabled:
            reply["enabled"] = self.reply_target_enabled
            result["replyTarget"] = reply
        if self.declared_acks:
            result["declaredAcks"] = list(self.declared_acks)
        return result


def parse_source(item: JsonValue, index: int) -> Source:
    """The source at `index` of a connection's `sources`; raises Ditto's JSON errors for wrong types."""
    where = f"/sources/{index}"
    value = object_at(item, where)
    enforcement_json = optional_object(value, "enforcement", where)
    acks_json = optional_object(value, "acknowledgementRequests", where)
    reply_json = optional_object(value, "replyTarget", where)
    reply_target, reply_enabled = _reply_target(reply_json, f"{where}/replyTarget")
    return Source(
        addresses=string_list(value, "addresses", where),
        authorization_context=string_list(value, "authorizationContext", where),
        consumer_count=or_default(optional_int(value, "consumerCount", where), DEFAULT_CONSUMER_COUNT),
        qos=optional_int(value, "qos", where),
        enforcement=None if enforcement_json is None else Enforcement(
            input=required_str(enforcement_json, "input", f"{where}/enforcement"),
            filters=string_list(enforcement_json, "filters", f"{where}/enforcement")),
        acknowledgement_requests=None if acks_json is None else AcknowledgementRequests(
            includes=string_list(acks_json, "includes", f"{where}/acknowledgementRequests"),
            filter=optional_str(acks_json, "filter", f"{where}/acknowledgementRequests")),
        declared_acks=string_list(value, "declaredAcks", where),
        header_mapping=string_map(value, "headerMapping", where),
        payload_mapping=string_list(value, "payloadMapping", where),
        reply_target=reply_target,
        reply_target_enabled=reply_enabled,
        index=index,
    )


def _reply_target(reply: JsonObject | None, where: str) -> tuple[ReplyTarget | None, bool]:
    if reply is None:
        return None, True
    enabled = or_default(optional_bool(reply, "enabled", where), True)
    address = optional_str(reply, "address", where)
    if address is None:  # Ditto: a reply target without address is none (only `enabled` is kept)
        return None, enabled
    types = string_list(reply, "expectedResponseTypes", where) if reply.get("expectedResponseTypes") is not None \
        else DEFAULT_EXPECTED_RESPONSE_TYPES
    # Ditto drops unknown response types silently; so do we.
    return ReplyTarget(address, string_map(reply, "headerMapping", where),
                       tuple(kind for kind in types if kind in RESPONSE_TYPES)), enabled
