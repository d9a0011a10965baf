"""The wire form of bus events: one compact JSON object per event, for buses that leave the process.

    {"kind": "thing", "id": "org.example:lamp", "action": "modified", "path": ["attributes", "on"],
     "value": true, "revision": 7, "timestamp": "2024-05-01T12:00:00.000000Z"}

`kind` is "thing", "policy" or "connection" (whose `value` is the connection's whole JSON, `path` empty);
`path` is the pointer as its list of keys (no escaping, so `~` and `/` survive as they are); `value` is
always present (JSON null is a value). `headers` (the Ditto headers of the command, string to string) is
present only when there are any, and so is `points` on a thing event (the history points its commit
recorded, `[path, value]` each, or `[path, value, time]` when its time is not the event's timestamp (a
device's own time): the leaf path as history writes it, the scalar or null, the time in whole microseconds
since the Unix epoch; thing and revision are the event's). Unknown fields are ignored,
so a newer worker may add fields without breaking older ones during a rolling upgrade (an older one skips
a kind it does not know).

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType
from typing import Final, Literal, TypeVar, get_args

import orjson

from twinhub.bus.base import Event
from twinhub.history.series import from_micros, micros
from twinhub.model.events import (
    NO_HEADERS,
    ConnectionAction,
    ConnectionEvent,
    EventAction,
    EventHeaders,
    PolicyAction,
    PolicyEvent,
    ThingEvent,
    format_timestamp,
    read_timestamp,
)
from twinhub.model.points import Point
from twinhub.model.types import JsonValue, Pointer

__all__ = ["EventKey", "EventKind", "decode_event", "encode_event", "event_key"]

EventKind = Literal["thing", "policy", "connection"]

# (kind, entity id, revision): what makes an event unique, since revisions never repeat for an id.
EventKey = tuple[EventKind, str, int]

# Each action's text mapped to itself, typed as the Literal it belongs to.
_THING_ACTIONS: Final[dict[str, EventAction]] = {action: action for action in get_args(EventAction)}
_POLICY_ACTIONS: Final[dict[str, PolicyAction]] = {action: action for action in get_args(PolicyAction)}
_CONNECTION_ACTIONS: Final[dict[str, ConnectionAction]] = {action: action for action in get_args(ConnectionAction)}
_Action = TypeVar("_Action", EventAction, PolicyAction)
_FIELDS: Final = ("id", "action", "path", "value", "revision", "timestamp")


def event_key(event: Event) -> EventKey:
    """The identity of `event`: duplicates of one event share it, different events never do."""
    if isinstance(event, ThingEvent):
        return ("thing", event.thing_id, event.revision)
    if isinstance(event, ConnectionEvent):
        return ("connection", event.connection_id, event.revision)
    return ("policy", event.policy_id, event.revision)


def encode_event(event: Event) -> bytes:
    """The event as UTF-8 JSON. Raises ValueError when its value is not JSON (e.g. an int past 64 bits)."""
    kind, entity_id, revision = event_key(event)
    body = {
        "kind": kind,
        "id": entity_id,
        "action": event.action,
        "path": list(event.path),
        "value": event.value,
        "revision": revision,
        "timestamp": format_timestamp(event.timestamp),
    }
    if event.headers:
        body["headers"] = dict(event.headers)
    if isinstance(event, ThingEvent) and event.points:
        body["points"] = [_encode_point(point, event.timestamp) for point in event.points]
    if isinstance(event, ThingEvent) and event.metadata is not None:
        body["metadata"] = event.metadata
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError as exc:
        raise ValueError(f"the event of {kind} {entity_id!r} is not JSON: {exc}") from exc


def decode_event(data: bytes) -> Event:
    """The event `encode_event` wrote. Raises ValueError for anything else (not JSON, fields missing or
    of the wrong type, an unknown kind or action)."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"an event must be JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ValueError("an event must be a JSON object")
    kind = body.get("kind")
    decoder = _DECODERS.get(kind) if isinstance(kind, str) else None
    if decoder is None:
        raise ValueError(f"unknown event kind {kind!r}")
    missing = [name for name in _FIELDS if name not in body]
    if missing:
        raise ValueError(f"a {kind} event lacks {', '.join(missing)}")
    return decoder(body)


def _decode_thing_event(body: dict[str, JsonValue]) -> ThingEvent:
    thing_id, revision = _string(body, "id"), _revision(body)
    timestamp = read_timestamp(_string(body, "timestamp"))
    return ThingEvent(
        thing_id=thing_id,
        action=_action(body, _THING_ACTIONS),
        path=_path(body),
        value=body["value"],
        revision=revision,
        timestamp=timestamp,
        headers=_headers(body),
        points=_points(body, thing_id, revision, timestamp),
        metadata=metadata if isinstance(metadata := body.get("metadata"), dict) else None,
    )


def _decode_policy_event(body: dict[str, JsonValue]) -> PolicyEvent:
    return PolicyEvent(
        policy_id=_string(body, "id"),
        action=_action(body, _POLICY_ACTIONS),
        path=_path(body),
        value=body["value"],
        revision=_revision(body),
        timestamp=read_timestamp(_string(body, "timestamp")),
        headers=_headers(body),
    )


def _decode_connection_event(body: dict[str, JsonValue]) -> ConnectionEvent:
    if _path(body):
        raise ValueError("a connection event's path must be empty")
    return ConnectionEvent(
        connection_id=_string(body, "id"),
        action=_action(body, _CONNECTION_ACTIONS),
        value=body["value"],
        revision=_revision(body),
        timestamp=read_timestamp(_string(body, "timestamp")),
        headers=_headers(body),
    )


_DECODERS: Final[dict[str, Callable[[dict[str, JsonValue]], Event]]] = {
    "thing": _decode_thing_event,
    "policy": _decode_policy_event,
    "connection": _decode_connection_event,
}


def _string(body: dict[str, JsonValue], name: str) -> str:
    value = body[name]
    if not isinstance(value, str):
        raise ValueError(f"the event's {name} must be a string, not {value!r}")
    return value


def _action(body: dict[str, JsonValue], actions: dict[str, _Action]) -> _Action:
    action = body["action"]
    known = actions.get(action) if isinstance(action, str) else None
    if known is None:
        raise ValueError(f"unknown {body['kind']} event action {action!r}")
    return known


def _path(body: dict[str, JsonValue]) -> Pointer:
    path = body["path"]
    if isinstance(path, list):
        keys = tuple(key for key in path if isinstance(key, str))
        if len(keys) == len(path):
            return keys
    raise ValueError(f"the event's path must be a list of strings, not {path!r}")


def _revision(body: dict[str, JsonValue]) -> int:
    revision = body["revision"]
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise ValueError(f"the event's revision must be a non-negative integer, not {revision!r}")
    return revision


def _headers(body: dict[str, JsonValue]) -> EventHeaders:
    headers = body.get("headers")
    if headers is None:
        return NO_HEADERS
    if isinstance(headers, dict) and all(isinstance(value, str) for value in headers.values()):
        return MappingProxyType({key: str(value) for key, value in headers.items()})
    raise ValueError(f"the event's headers must be an object of strings, not {headers!r}")


def _encode_point(point: Point, timestamp: datetime) -> JsonValue:
    if point.time == timestamp:
        return [point.path, point.value]
    return [point.path, point.value, micros(point.time)]


def _points(body: dict[str, JsonValue], thing_id: str, revision: int, timestamp: datetime) -> tuple[Point, ...]:
    points = body.get("points")
    if points is None:
        return ()
    if not isinstance(points, list):
        raise ValueError(f"the event's points must be a list, not {points!r}")
    return tuple(_point(item, thing_id, revision, timestamp) for item in points)


def _point(item: JsonValue, thing_id: str, revision: int, timestamp: datetime) -> Point:
    match item:
        case [str() as path, None | bool() | int() | float() | str() as value]:
            return Point(thing_id, path, timestamp, value, revision)
        case [str() as path, None | bool() | int() | float() | str() as value, int() as time] \
                if not isinstance(time, bool):
            try:
                return Point(thing_id, path, from_micros(time), value, revision)
            except OverflowError:
                pass
    raise ValueError(f"a point must be [path, scalar or null] or [path, scalar or null, microseconds], not {item!r}")
