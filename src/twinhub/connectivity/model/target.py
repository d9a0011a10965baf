"""A connection's target: where which signals go (Ditto's `Target`) and its topics (Ditto's `FilteredTopic`).

    {"address": "events/{{ thing:namespace }}/{{ thing:name }}",
     "topics": ["_/_/things/twin/events?namespaces=org.eclipse.ditto&filter=gt(attributes/counter,42)"
                "&extraFields=attributes/placement", "_/_/things/live/messages"],
     "authorizationContext": ["ditto:outbound"], "qos": 0, "issuedAcknowledgementLabel": "my-conn:delivered",
     "headerMapping": {"content-type": "{{ header:content-type }}"}, "payloadMapping": ["Ditto"]}

A topic string is `<topic>[?namespaces=a,b&filter=<RQL>&extraFields=<fields>]`, its parameter values
URL-encoded; it is parsed into a `FilteredTopic` (the filter parsed with `twinhub.rql` to refuse a bad one
early) and rendered back in Ditto's canonical form.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from twinhub.connectivity.model._json import (
    object_at,
    optional_int,
    optional_str,
    required_str,
    string_list,
    string_map,
)
from twinhub.model.errors import TopicInvalid
from twinhub.model.fields import parse_fields
from twinhub.model.types import JsonObject, JsonValue
from twinhub.service.streaming import parse_event_filter

__all__ = ["FilteredTopic", "Target", "TopicKind", "parse_target", "parse_topic"]


class TopicKind(enum.Enum):
    """What a target subscribes to; the value is Ditto's topic name."""

    TWIN_EVENTS = "_/_/things/twin/events"
    LIVE_MESSAGES = "_/_/things/live/messages"
    LIVE_COMMANDS = "_/_/things/live/commands"
    LIVE_EVENTS = "_/_/things/live/events"
    POLICY_ANNOUNCEMENTS = "_/_/policies/announcements"
    CONNECTION_ANNOUNCEMENTS = "_/_/connections/announcements"


@dataclass(frozen=True, slots=True)
class FilteredTopic:
    """A topic with its optional `namespaces` (empty: all), RQL `filter` and `extraFields` selector."""

    kind: TopicKind
    namespaces: tuple[str, ...] = ()
    filter: str | None = None
    extra_fields: str | None = None

    def __str__(self) -> str:
        params = []
        if self.namespaces:
            params.append("namespaces=" + ",".join(self.namespaces))
        if self.filter is not None:
            params.append("filter=" + self.filter)
        if self.extra_fields is not None:
            params.append("extraFields=" + self.extra_fields)
        return self.kind.value + ("?" + "&".join(params) if params else "")


def parse_topic(text: str) -> FilteredTopic:
    """A target's topic string; raises `TopicInvalid` for an unknown topic, `RqlInvalid` for a bad filter,
    `FieldSelectorInvalid` for bad extra fields."""
    name, _, query = text.partition("?")
    try:
        kind = TopicKind(name)
    except ValueError:
        raise TopicInvalid(text, f"Unknown topic: {name}") from None
    params: dict[str, str] = {}
    for pair in query.split("&") if query else ():
        key, sep, value = pair.partition("=")
        if sep:  # as Ditto: a parameter without '=' is ignored
            params[unquote_plus(key)] = unquote_plus(value)
    namespaces = tuple(ns for ns in params.get("namespaces", "").split(",") if ns)
    rql = params.get("filter") or None
    if rql is not None:
        parse_event_filter(rql)
    extra = params.get("extraFields") or None
    if extra is not None and "{{" not in extra:  # with placeholders, checked once they are resolved
        parse_fields(extra)
    return FilteredTopic(kind, namespaces, rql, extra)


@dataclass(frozen=True, slots=True)
class Target:
    address: str
    topics: tuple[FilteredTopic, ...]
    authorization_context: tuple[str, ...] = ()
    qos: int | None = None
    issued_acknowledgement_label: str | None = None
    header_mapping: dict[str, str] = field(default_factory=dict)
    payload_mapping: tuple[str, ...] = ()

    def to_json(self) -> JsonObject:
        result: JsonObject = {"address": self.address, "topics": [str(topic) for topic in self.topics]}
        if self.qos is not None:
            result["qos"] = self.qos
        if self.authorization_context:
            result["authorizationContext"] = list(self.authorization_context)
        if self.issued_acknowledgement_label is not None:
            result["issuedAcknowledgementLabel"] = self.issued_acknowledgement_label
        result["headerMapping"] = dict(self.header_mapping)
        if self.payload_mapping:
            result["payloadMapping"] = list(self.payload_mapping)
        return result


def parse_target(item: JsonValue, index: int) -> Target:
    """The target at `index` of a connection's `targets`; raises Ditto's JSON and topic errors."""
    where = f"/targets/{index}"
    value = object_at(item, where)
    topics = tuple(dict.fromkeys(parse_topic(text) for text in string_list(value, "topics", where)))
    return Target(
        address=required_str(value, "address", where),
        topics=topics,
        authorization_context=string_list(value, "authorizationContext", where),
        qos=optional_int(value, "qos", where),
        issued_acknowledgement_label=optional_str(value, "issuedAcknowledgementLabel", where),
        header_mapping=string_map(value, "headerMapping", where),
        payload_mapping=string_list(value, "payloadMapping", where),
    )

