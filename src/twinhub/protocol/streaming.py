"""The streaming protocol: the persisted events (history) of one thing or policy as a reactive stream.

    client -> ns/name/things/twin/streaming/subscribeForPersistedEvents  path: the part to stream
              {fromHistoricalRevision?, toHistoricalRevision?, fromHistoricalTimestamp?,
               toHistoricalTimestamp?, filter?}
    client -> .../streaming/request  {subscriptionId, demand}      .../streaming/cancel {subscriptionId}
    server -> .../streaming/created  {subscriptionId}               .../streaming/next   {subscriptionId, item}
    server -> .../streaming/complete {subscriptionId}               .../streaming/failed {subscriptionId, error}

Policies use `ns/name/policies/streaming/...`. A negative `fromHistoricalRevision` counts back from the
latest revision; `toHistoricalRevision` 0 means the latest. Each `next` item is one event as a Ditto
Protocol message (`envelope_to_json(thing_event(...))`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

import twinhub.protocol._values as _values
from twinhub.model.errors import JsonParseInvalid, TopicPathUnknown, TwinhubError
from twinhub.model.ids import parse_policy_id, parse_thing_id
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.protocol.envelope import Envelope
from twinhub.protocol.headers import reply_headers
from twinhub.protocol.policies import policy_path
from twinhub.protocol.things import thing_path
from twinhub.protocol.topic import Topic

__all__ = [
    "StreamingCancel",
    "StreamingCommand",
    "StreamingRequest",
    "SubscribeForPersistedEvents",
    "streaming_command",
    "streaming_complete",
    "streaming_created",
    "streaming_failed",
    "streaming_next",
]

EntityGroup = Literal["things", "policies"]
SUBSCRIBE: Final = "subscribeForPersistedEvents"
_COMMANDS: Final = frozenset({SUBSCRIBE, "request", "cancel"})


@dataclass(frozen=True, slots=True)
class SubscribeForPersistedEvents:
    """Stream the persisted events of `entity_id` below `path`; timestamps are normalised to UTC."""

    group: EntityGroup
    entity_id: str
    path: Pointer
    from_revision: int | None
    to_revision: int | None
    from_timestamp: datetime | None
    to_timestamp: datetime | None
    filter: str | None


@dataclass(frozen=True, slots=True)
class StreamingRequest:
    group: EntityGroup
    entity_id: str
    subscription_id: str
    demand: int


@dataclass(frozen=True, slots=True)
class StreamingCancel:
    group: EntityGroup
    entity_id: str
    subscription_id: str


StreamingCommand = SubscribeForPersistedEvents | StreamingRequest | StreamingCancel


def streaming_command(envelope: Envelope) -> StreamingCommand:
    """The streaming command in `envelope`; raises `protocoladapter:unknown.topicpath` (not a client's streaming
    command), `things:id.invalid` / `policies:id.invalid`, `protocoladapter:unknown.path`, `json.invalid` (a
    field of the wrong type, a timestamp that is no ISO-8601), `json.field.missing` (no subscriptionId)."""
    topic = envelope.topic
    if topic.group not in ("things", "policies") or topic.criterion != "streaming" or topic.action not in _COMMANDS:
        raise TopicPathUnknown(str(topic), "The topic is not the topic of a streaming command.")
    group: EntityGroup = "things" if topic.group == "things" else "policies"
    entity_id = str(parse_thing_id(topic.entity_id) if group == "things" else parse_policy_id(topic.entity_id))
    value = _values.value_object(envelope)
    if topic.action == SUBSCRIBE:
        path = thing_path(envelope.path) if group == "things" else policy_path(envelope.path)
        return SubscribeForPersistedEvents(
            group=group,
            entity_id=entity_id,
            path=path,
            from_revision=_revision(value, "fromHistoricalRevision"),
            to_revision=_revision(value, "toHistoricalRevision"),
            from_timestamp=_timestamp(value, "fromHistoricalTimestamp"),
            to_timestamp=_timestamp(value, "toHistoricalTimestamp"),
            filter=_values.optional_text(value, "filter"),
        )
    subscription = _values.subscription_id(value)
    if topic.action == "cancel":
        return StreamingCancel(group, entity_id, subscription)
    return StreamingRequest(group, entity_id, subscription, _values.demand(value))


def streaming_created(request: Envelope, subscription_id: str) -> Envelope:
    """`created` for the subscription `request` made (its entity and channel kept, its correlation-id echoed)."""
    return _event(request, "created", {"subscriptionId": subscription_id})


def streaming_next(request: Envelope, subscription_id: str, item: JsonValue) -> Envelope:
    return _event(request, "next", {"subscriptionId": subscription_id, "item": item})


def streaming_complete(request: Envelope, subscription_id: str) -> Envelope:
    return _event(request, "complete", {"subscriptionId": subscription_id})


def streaming_failed(request: Envelope, subscription_id: str, error: TwinhubError) -> Envelope:
    return _event(request, "failed", {"subscriptionId": subscription_id, "error": _values.error_json(error)})


def _event(request: Envelope, action: str, value: JsonObject) -> Envelope:
    topic = request.topic
    event_topic = Topic(topic.namespace, topic.name, topic.group, topic.channel, "streaming", action)
    return Envelope(event_topic, reply_headers(request.headers), "/", value)


def _revision(value: JsonObject, field: str) -> int | None:
    revision = value.get(field)
    if revision is None:
        return None
    if isinstance(revision, bool) or not isinstance(revision, int):
        raise JsonParseInvalid(f"The '{field}' must be an integer.")
    return revision


def _timestamp(value: JsonObject, field: str) -> datetime | None:
    text = _values.optional_text(value, field)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise JsonParseInvalid(f"The '{field}' <{text}> is no ISO-8601 timestamp.") from None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)
