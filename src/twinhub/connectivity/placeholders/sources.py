"""The placeholders a connection knows, each bound to what it reads, and `NAMES`: which names each prefix has.

    header:<name>          a header of the message (any case)           thing:id|namespace|name
    entity:id|namespace|name                                             policy:id|namespace|name
    feature:id             the feature a signal's path addresses         connection:id
    topic:full|namespace|entityName|group|channel|criterion|action|subject|action-subject
    resource:type|path     thing|policy|message|connection, the path     request:subjectId
    time:now[_epoch_millis][+-<n><unit>][[<unit>]]  units ms s m h d w mo y (`now` is given, never read here)
    source:address         the address a message came from              thing-json:<pointer>

A placeholder given no value (no thing id, no such header) resolves to nothing (unresolved); a name its prefix
does not have is `placeholder:unresolved` when resolving and refused by `validate`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from twinhub.connectivity.placeholders.pipeline import json_text
from twinhub.model.errors import RqlInvalid
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import Topic
from twinhub.rql import Placeholder as RqlPlaceholder
from twinhub.rql.placeholders import check_placeholder, resolve_placeholder

__all__ = [
    "NAMES",
    "ConnectionPlaceholder",
    "EntityPlaceholder",
    "FeaturePlaceholder",
    "HeaderPlaceholder",
    "PolicyPlaceholder",
    "RequestPlaceholder",
    "ResourcePlaceholder",
    "SourcePlaceholder",
    "ThingJsonPlaceholder",
    "ThingPlaceholder",
    "TimePlaceholder",
    "TopicPlaceholder",
]

_ID_NAMES: Final = frozenset({"id", "namespace", "name"})
_TOPIC_NAMES: Final = frozenset({"full", "namespace", "entityName", "group", "channel", "criterion", "action",
                                 "subject", "action-subject"})


@dataclass(frozen=True, slots=True)
class HeaderPlaceholder:
    headers: Mapping[str, JsonValue] = field(default_factory=dict)
    prefix: str = "header"

    def supports(self, name: str) -> bool:
        return bool(name)

    def resolve(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        value = next((value for key, value in self.headers.items() if key.lower() == wanted), None)
        return () if value is None else (json_text(value),)


def _id_parts(entity_id: str | None, name: str) -> tuple[str, ...]:
    if entity_id is None:
        return ()
    namespace, _, local = entity_id.partition(":")
    return ({"id": entity_id, "namespace": namespace, "name": local}[name],)


@dataclass(frozen=True, slots=True)
class ThingPlaceholder:
    thing_id: str | None
    prefix: str = "thing"

    def supports(self, name: str) -> bool:
        return name in _ID_NAMES

    def resolve(self, name: str) -> tuple[str, ...]:
        return _id_parts(self.thing_id, name)


@dataclass(frozen=True, slots=True)
class EntityPlaceholder:
    entity_id: str | None
    prefix: str = "entity"

    def supports(self, name: str) -> bool:
        return name in _ID_NAMES

    def resolve(self, name: str) -> tuple[str, ...]:
        return _id_parts(self.entity_id, name)


@dataclass(frozen=True, slots=True)
class PolicyPlaceholder:
    policy_id: str | None
    prefix: str = "policy"

    def supports(self, name: str) -> bool:
        return name in _ID_NAMES

    def resolve(self, name: str) -> tuple[str, ...]:
        return _id_parts(self.policy_id, name)


@dataclass(frozen=True, slots=True)
class FeaturePlaceholder:
    feature_id: str | None
    prefix: str = "feature"

    def supports(self, name: str) -> bool:
        return name == "id"

    def resolve(self, name: str) -> tuple[str, ...]:
        return () if self.feature_id is None else (self.feature_id,)


@dataclass(frozen=True, slots=True)
class ConnectionPlaceholder:
    connection_id: str | None
    prefix: str = "connection"

    def supports(self, name: str) -> bool:
        return name == "id"

    def resolve(self, name: str) -> tuple[str, ...]:
        return () if self.connection_id is None else (self.connection_id,)


@dataclass(frozen=True, slots=True)
class RequestPlaceholder:
    subject_id: str | None
    prefix: str = "request"

    def supports(self, name: str) -> bool:
        return name == "subjectId"

    def resolve(self, name: str) -> tuple[str, ...]:
        return () if self.subject_id is None else (self.subject_id,)


@dataclass(frozen=True, slots=True)
class SourcePlaceholder:
    address: str | None
    prefix: str = "source"

    def supports(self, name: str) -> bool:
        return name == "address"

    def resolve(self, name: str) -> tuple[str, ...]:
        return () if self.address is None else (self.address,)


@dataclass(frozen=True, slots=True)
class TopicPlaceholder:
    topic: Topic | None
    prefix: str = "topic"

    def supports(self, name: str) -> bool:
        return name in _TOPIC_NAMES

    def resolve(self, name: str) -> tuple[str, ...]:
        topic = self.topic
        if topic is None:
            return ()
        is_message = topic.criterion == "messages"
        value = {
            "full": str(topic), "namespace": topic.namespace, "entityName": topic.name, "group": topic.group,
            "channel": topic.channel or "none", "criterion": topic.criterion,  # Ditto's channel NONE
            "action": None if is_message else topic.action, "subject": topic.action if is_message else None,
            "action-subject": topic.action,
        }[name]
        return () if value is None else (value,)


@dataclass(frozen=True, slots=True)
class ResourcePlaceholder:
    """`resource:type` (Ditto's resource types `thing`, `policy`, `message`, `connection`) and `resource:path`."""

    resource_type: str | None
    path: str | None
    prefix: str = "resource"

    def supports(self, name: str) -> bool:
        return name in ("type", "path")

    def resolve(self, name: str) -> tuple[str, ...]:
        value = self.resource_type if name == "type" else self.path
        return () if value is None else (value,)


@dataclass(frozen=True, slots=True)
class ThingJsonPlaceholder:
    """`thing-json:<pointer>`: a value of the thing's JSON, as text (strings unquoted)."""

    thing: JsonObject | None
    prefix: str = "thing-json"

    def supports(self, name: str) -> bool:
        return bool(name.strip("/"))

    def resolve(self, name: str) -> tuple[str, ...]:
        current: JsonValue = self.thing
        for key in (key for key in name.split("/") if key):
            if not isinstance(current, dict) or key not in current:
                return ()
            current = current[key]
        return () if current is None else (json_text(current),)


@dataclass(frozen=True, slots=True)
class TimePlaceholder:
    """`time:now[_epoch_millis][+-<n><unit>][[<unit>]]` at `now`, resolved by the RQL's time placeholders (one
    reading of Ditto's one TimePlaceholder); an offset out of the range of dates resolves to nothing."""

    now: dt.datetime
    prefix: str = "time"

    def supports(self, name: str) -> bool:
        # An empty truncation `[]` is refused here (the RQL takes it as seconds).
        return _time_placeholder(name) is not None and not name.endswith("[]")

    def resolve(self, name: str) -> tuple[str, ...]:
        placeholder = _time_placeholder(name)
        if placeholder is None or name.endswith("[]"):
            return ()
        try:
            return (str(resolve_placeholder(placeholder, self.now)),)
        except RqlInvalid:  # out of the range of dates
            return ()


def _time_placeholder(name: str) -> RqlPlaceholder | None:
    """`time:<name>` as the RQL's placeholder value, or None when it is no time placeholder."""
    try:
        placeholder = RqlPlaceholder(f"time:{name}")
        check_placeholder(placeholder)
    except (ValueError, RqlInvalid):
        return None
    return placeholder


# Which names each prefix has: for `validate`, before any value exists.
_NOW: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
NAMES: Final[dict[str, Callable[[str], bool]]] = {
    "header": HeaderPlaceholder().supports,
    "thing": ThingPlaceholder(None).supports,
    "entity": EntityPlaceholder(None).supports,
    "policy": PolicyPlaceholder(None).supports,
    "feature": FeaturePlaceholder(None).supports,
    "connection": ConnectionPlaceholder(None).supports,
    "request": RequestPlaceholder(None).supports,
    "source": SourcePlaceholder(None).supports,
    "topic": TopicPlaceholder(None).supports,
    "resource": ResourcePlaceholder(None, None).supports,
    "thing-json": ThingJsonPlaceholder(None).supports,
    "time": TimePlaceholder(_NOW).supports,
}
