"""Acknowledgements in the Ditto Protocol, read into and written from `twinhub.model.live.Acknowledgement`.

    single      ns/name/things/<channel>/acks/<label>   status, value = payload?, headers (correlation-id)
    aggregated  ns/name/things/<channel>/acks           status = aggregate_status(...),
                                                        value = {label: {status, payload?, headers}}

Subscribers issue single acknowledgements for the labels a command requested; its sender receives the
aggregation. Ditto's own labels (`twin-persisted`, `live-response`, `search-persisted`) are Ditto's to
issue: a client sending one gets `acknowledgement:ditto.acklabel.forbidden` (400).

An acknowledgement finds the command it answers by its `correlation-id` header; one without it cannot be
routed, so reading it fails (400). Header values become text, as the model keeps them; `ditto-weak-ack`
becomes the acknowledgement's `weak` flag. The channel is the topic's, not part of the acknowledgement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from twinhub.model.errors import (
    AcknowledgementCorrelationIdMissing,
    AcknowledgementLabelForbidden,
    AcknowledgementLabelInvalid,
    JsonFieldMissing,
    JsonParseInvalid,
    TopicPathUnknown,
)
from twinhub.model.headers import ACK_LABEL
from twinhub.model.ids import parse_thing_id
from twinhub.model.live import BUILT_IN_LABELS, Acknowledgement
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing
from twinhub.protocol.envelope import Envelope
from twinhub.protocol.headers import APPLICATION_JSON, header_text, header_texts
from twinhub.protocol.topic import Channel, Topic

__all__ = [
    "ack_envelope",
    "ack_from_envelope",
    "acks_envelope",
    "acks_from_envelope",
    "aggregate_status",
]

_WEAK_ACK = "ditto-weak-ack"


def aggregate_status(statuses: Iterable[int]) -> int:
    """Ditto's combined status: a single acknowledgement's own status; else 200 if every one is 2xx
    (or there is none), else 424 (failed dependency)."""
    collected = list(statuses)
    if len(collected) == 1:
        return collected[0]
    return 200 if all(200 <= status < 300 for status in collected) else 424


def ack_from_envelope(envelope: Envelope) -> Acknowledgement:
    """A single acknowledgement a client issued, for the thing of its topic.

    Raises `protocoladapter:unknown.topicpath` (no thing ack topic, or no label), `acknowledgement:label.invalid`,
    `acknowledgement:ditto.acklabel.forbidden`, `things:id.invalid`, `json.field.missing` (no status, or no
    correlation-id).
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
    return _acknowledgement(label, thing_id, envelope.status, envelope.value, envelope.headers, fallback=None)


def ack_envelope(ack: Acknowledgement, *, channel: Channel = "twin") -> Envelope:
    """A single acknowledgement as a Ditto Protocol message; its headers carry its correlation-id."""
    return Envelope(
        topic=_topic(ack.entity_id, channel, ack.label),
        headers={"correlation-id": ack.correlation_id, **_wire_headers(ack), "content-type": APPLICATION_JSON},
        path="/",
        value=ack.payload,
        status=ack.status,
    )


def acks_envelope(thing_id: str, acks: Iterable[Acknowledgement], *, headers: Mapping[str, JsonValue],
                  channel: Channel = "twin") -> Envelope:
    """The aggregated acknowledgements for the command whose correlation-id is in `headers`, each entry
    `Acknowledgement.to_json()`."""
    collected = list(acks)
    value: JsonObject = {ack.label: ack.to_json() for ack in collected}
    return Envelope(
        topic=_topic(thing_id, channel, None),
        headers={**headers, "content-type": APPLICATION_JSON},
        path="/",
        value=value,
        status=aggregate_status(ack.status for ack in collected),
    )


def acks_from_envelope(envelope: Envelope) -> tuple[Acknowledgement, ...]:
    """The acknowledgements of an aggregation read from the wire (a connection forwarding one, say). An entry
    without a correlation-id of its own has the aggregation's.

    Raises `protocoladapter:unknown.topicpath`, `things:id.invalid`, `json.field.missing` (no status, value or
    correlation-id), `json.invalid` (an entry that is no `{status, payload?, headers?}` object with an HTTP status),
    `acknowledgement:label.invalid`.
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
    fallback = header_text(envelope.headers, "correlation-id")
    acks: list[Acknowledgement] = []
    for label, entry in envelope.value.items():
        if not ACK_LABEL.fullmatch(label):
            raise AcknowledgementLabelInvalid(label)
        status = entry.get("status") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or isinstance(status, bool) or not isinstance(status, int):
            raise JsonParseInvalid(f"The acknowledgement <{label}> must be a JSON object with an integer 'status'.")
        if not 100 <= status <= 599:
            raise JsonParseInvalid(f"The status <{status}> of the acknowledgement <{label}> is no HTTP status code.")
        entry_headers = entry.get("headers", {})
        if not isinstance(entry_headers, dict):
            raise JsonParseInvalid(f"The headers of the acknowledgement <{label}> must be a JSON object.")
        acks.append(_acknowledgement(label, thing_id, status, entry.get("payload", MISSING), entry_headers,
                                     fallback=fallback))
    return tuple(acks)


def _acknowledgement(label: str, thing_id: str, status: int, payload: JsonValue | Missing,
                     headers: Mapping[str, JsonValue], *, fallback: str | None) -> Acknowledgement:
    """The model's acknowledgement: header values as text, `ditto-weak-ack` as `weak`, the correlation-id
    of `headers` (else `fallback`). Raises `json.field.missing` when there is none."""
    text = header_texts(headers)
    weak = text.pop(_WEAK_ACK, "").lower() == "true"
    correlation_id = text.get("correlation-id") or fallback
    if not correlation_id:
        raise AcknowledgementCorrelationIdMissing()
    return Acknowledgement(label, thing_id, correlation_id, status, text, payload, weak)


def _wire_headers(ack: Acknowledgement) -> dict[str, JsonValue]:
    headers: dict[str, JsonValue] = dict(ack.headers)
    if ack.weak:
        headers[_WEAK_ACK] = True
    return headers


def _topic(thing_id: str, channel: Channel, label: str | None) -> Topic:
    namespace, _, name = thing_id.partition(":")
    return Topic(namespace, name, "things", channel, "acks", label)
