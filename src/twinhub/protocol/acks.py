"""Acknowledgements in the Ditto Protocol.

    single      ns/name/things/<channel>/acks/<label>   status, value = payload?, headers (correlation-id)
    aggregated  ns/name/things/<channel>/acks           status = aggregate_status(...),
                                                        value = {label: {status, payload?, headers?}}

Subscribers issue single acknowledgements for the labels a command requested; its sender receives the
aggregation. Ditto's own labels (`twin-persisted`, `live-response`, `search-persisted`) are Ditto's to
issue: a client sending one gets `acknowledgement:ditto.acklabel.forbidden` (400).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from twinhub.model.errors import (
    AcknowledgementLabelForbidden,
    AcknowledgementLabelInvalid,
    JsonFieldMissing,
    JsonParseInvalid,
    TopicPathUnknown,
)
from twinhub.model.headers import ACK_LABEL, LIVE_RESPONSE, SEARCH_PERSISTED, TWIN_PERSISTED
from twinhub.model.ids import parse_thing_id
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol.envelope import MISSING, Envelope, Missing
from twinhub.protocol.headers import APPLICATION_JSON
from twinhub.protocol.topic import Channel, Topic

__all__ = [
    "BUILT_IN_LABELS",
    "Acknowledgement",
    "ack_envelope",
    "ack_from_envelope",
    "ack_json",
    "acks_envelope",
    "acks_from_envelope",
    "aggregate_status",
]

BUILT_IN_LABELS: Final = frozenset({TWIN_PERSISTED, LIVE_RESPONSE, SEARCH_PERSISTED})


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    label: str
    thing_id: str
    status: int
    payload: JsonValue | Missing = MISSING
    headers: dict[str, JsonValue] = field(default_factory=dict)
    channel: Channel = "twin"

    @property
    def successful(self) -> bool:
        return 200 <= self.status < 300


def aggregate_status(statuses: Iterable[int]) -> int:
    """Ditto's combined status: a single acknowledgement's own status; else 200 if every one is 2xx
    (or there is none), else 424 (failed dependency)."""
    collected = list(statuses)
    if len(collected) == 1:
        return collected[0]
    return 200 if all(200 <= status < 300 for status in collected) else 424


def ack_from_envelope(envelope: Envelope) -> Acknowledgement:
    """A single acknowledgement a client issued.

    Raises `protocoladapter:unknown.topicpath` (no thing ack topic, or no label), `acknowledgement:label.invalid`,
    `acknowledgement:ditto.acklabel.forbidden`, `things:id.invalid`, `json.field.missing` (no status).
    """
    topic = envelope.topic
    if topic.group != "things" or topic.criterion != "acks" or topic.channel is None:
        raise TopicPathUnknown(str(topic), "The topic is not the topic of an acknowledgement.")
    label = topic.action
    if label is None:
        raise TopicPathUnknown(str(topic), "The topic of an acknowledgement needs the acknowledgement label.")
    if not ACK_LABEL.fullmatch(label):
        raise AcknowledgementLabelInvalid(label)
    if label in BUILT_IN_LABELS:
        raise AcknowledgementLabelForbidden(label)
    if envelope.status is None:
        raise JsonFieldMissing("JSON did not include required </status> field!")
    thing_id = str(parse_thing_id(topic.entity_id))
    return Acknowledgement(label, thing_id, envelope.status, envelope.value, dict(envelope.headers), topic.channel)


def ack_json(ack: Acknowledgement) -> JsonObject:
    """One acknowledgement inside an aggregation (or an HTTP 424 body): `{status, payload?, headers?}`."""
    body: JsonObject = {"status": ack.status}
    if ack.payload is not MISSING:
        body["payload"] = ack.payload
    if ack.headers:
        body["headers"] = dict(ack.headers)
    return body


def ack_envelope(ack: Acknowledgement) -> Envelope:
    """A single acknowledgement as a Ditto Protocol message."""
    return Envelope(
        topic=_topic(ack.thing_id, ack.channel, ack.label),
        headers={**ack.headers, "content-type": APPLICATION_JSON},
        path="/",
        value=ack.payload,
        status=ack.status,
    )


def acks_envelope(thing_id: str, acks: Sequence[Acknowledgement], *, headers: Mapping[str, JsonValue],
                  channel: Channel = "twin") -> Envelope:
    """The aggregated acknowledgements for the command whose correlation-id is in `headers`."""
    value: JsonObject = {ack.label: ack_json(ack) for ack in acks}
    return Envelope(
        topic=_topic(thing_id, channel, None),
        headers={**headers, "content-type": APPLICATION_JSON},
        path="/",
        value=value,
        status=aggregate_status(ack.status for ack in acks),
    )


def acks_from_envelope(envelope: Envelope) -> tuple[Acknowledgement, ...]:
    """The acknowledgements of an aggregation read from the wire (a connection forwarding one, say).

    Raises `protocoladapter:unknown.topicpath`, `things:id.invalid`, `json.field.missing` (no status or value),
    `json.invalid` (an entry that is no `{status, payload?, headers?}` object), `acknowledgement:label.invalid`.
    """
    topic = envelope.topic
    if topic.group != "things" or topic.criterion != "acks" or topic.action is not None or topic.channel is None:
        raise TopicPathUnknown(str(topic), "The topic is not the topic of aggregated acknowledgements.")
    if envelope.status is None:
        raise JsonFieldMissing("JSON did not include required </status> field!")
    if envelope.value is MISSING:
        raise JsonFieldMissing("JSON did not include required </value> field!")
    if not isinstance(envelope.value, dict):
        raise JsonParseInvalid("The value of aggregated acknowledgements must be a JSON object.")
    thing_id = str(parse_thing_id(topic.entity_id))
    acks: list[Acknowledgement] = []
    for label, entry in envelope.value.items():
        if not ACK_LABEL.fullmatch(label):
            raise AcknowledgementLabelInvalid(label)
        status = entry.get("status") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or isinstance(status, bool) or not isinstance(status, int):
            raise JsonParseInvalid(f"The acknowledgement <{label}> must be a JSON object with an integer 'status'.")
        entry_headers = entry.get("headers", {})
        if not isinstance(entry_headers, dict):
            raise JsonParseInvalid(f"The headers of the acknowledgement <{label}> must be a JSON object.")
        payload = entry.get("payload", MISSING)
        acks.append(Acknowledgement(label, thing_id, status, payload, entry_headers, topic.channel))
    return tuple(acks)


def _topic(thing_id: str, channel: Channel, label: str | None) -> Topic:
    namespace, _, name = thing_id.partition(":")
    return Topic(namespace, name, "things", channel, "acks", label)
