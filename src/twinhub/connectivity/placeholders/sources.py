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
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import Topic

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


_UNITS: Final[dict[str, dt.timedelta]] = {
    "ms": dt.timedelta(milliseconds=1), "s": dt.timedelta(seconds=1), "": dt.timedelta(seconds=1),
    "m": dt.timedelta(minutes=1), "h": dt.timedelta(hours=1), "d": dt.timedelta(days=1),
    "w": dt.timedelta(weeks=1),
    # Java's estimated durations of a month and a year (ChronoUnit), as Ditto's DittoDuration uses them
    "mo": dt.timedelta(seconds=2_629_746), "y": dt.timedelta(seconds=31_556_952),
}
_MAX_OFFSET_DIGITS: Final = 12
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class TimePlaceholder:
    now: dt.datetime
    prefix: str = "time"

    def supports(self, name: str) -> bool:
        return _time_spec(name) is not None

    def resolve(self, name: str) -> tuple[str, ...]:
        spec = _time_spec(name)
        if spec is None:
            return ()
        epoch_millis, offset, truncation = spec
        try:
            moment = _truncate(self.now.astimezone(dt.UTC) + offset, truncation)
        except OverflowError:
            return ()
        if epoch_millis:
            return (str((moment - _EPOCH) // dt.timedelta(milliseconds=1)),)
        return (_instant_text(moment),)


def _time_spec(name: str) -> tuple[bool, dt.timedelta, str | None] | None:
    """(epoch millis?, offset, truncation unit) of `now[_epoch_millis][+-<n><unit>][[<unit>]]`, or None."""
    base = "now_epoch_millis" if name.startswith("now_epoch_millis") else "now" if name.startswith("now") else None
    if base is None:
        return None
    rest = name[len(base):]
    truncation: str | None = None
    if rest.endswith("]") and "[" in rest:
        rest, _, unit = rest[:-1].partition("[")
        if unit not in _UNITS or not unit:
            return None
        truncation = unit
    offset = dt.timedelta()
    if rest:
        if rest[0] not in "+-":
            return None
        digits = _leading_digits(rest[1:])
        unit = rest[1 + len(digits):]
        if not digits or len(digits) > _MAX_OFFSET_DIGITS or unit not in _UNITS:
            return None
        try:
            offset = _UNITS[unit] * int(digits) * (-1 if rest[0] == "-" else 1)
        except OverflowError:
            return None
    return base == "now_epoch_millis", offset, truncation


def _leading_digits(text: str) -> str:
    end = 0
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return text[:end]


def _truncate(moment: dt.datetime, unit: str | None) -> dt.datetime:
    if unit is None:
        return moment
    if unit in ("w", "mo", "y"):
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        if unit == "w":
            return day - dt.timedelta(days=day.weekday())
        return day.replace(day=1) if unit == "mo" else day.replace(month=1, day=1)
    step = _UNITS[unit]
    return _EPOCH + ((moment - _EPOCH) // step) * step


def _instant_text(moment: dt.datetime) -> str:
    """Java's `Instant.toString()`: seconds always, the fraction in groups of three digits only when needed."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


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
