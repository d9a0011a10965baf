"""What a filter sees of an event: the thing JSON of its changed part (with the receiver's extra fields merged
in) and the values of its placeholders, as Ditto forms them for event filters, SSE and normalized payloads."""

from __future__ import annotations

from twinhub.model.events import PATCH_ACTIONS, ThingEvent
from twinhub.model.pointer import format_pointer, set_at
from twinhub.model.types import JsonObject, JsonValue, Missing, Pointer

__all__ = ["changed_document", "changed_thing", "event_placeholders", "merge_extra", "thing_placeholders"]


def changed_thing(event: ThingEvent, value: JsonValue | Missing) -> JsonObject:
    """The thing JSON of an event's changed part, as Ditto forms it for filters and SSE: the thing id, the
    (readable) value at the event's path (a merge patch without its nulls), nothing for deletions."""
    return changed_document(event.thing_id, event.action, event.path, value)


def changed_document(thing_id: str, action: str, path: Pointer, value: JsonValue | Missing) -> JsonObject:
    """`changed_thing` of any event (a twin or a live one), given its parts."""
    thing: JsonObject = {"thingId": thing_id}
    if isinstance(value, Missing) or action == "deleted":
        return thing
    if action in PATCH_ACTIONS:
        value = _without_nulls(value)
    if not path:
        if not isinstance(value, dict):
            return thing
        return {**thing, **{key: item for key, item in value.items() if key != "thingId"}}
    return set_at(thing, path, value)


def _without_nulls(value: JsonValue) -> JsonValue:
    """Ditto's `filterNullValuesInJsonValue`: a null patch is an empty object, nulls inside objects go."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    return value


def merge_extra(base: JsonObject, extra: JsonObject) -> JsonObject:
    """`base` with `extra` merged in below it; where both have a value, `base` (the event) wins."""
    merged = dict(extra)
    for key, value in base.items():
        below = merged.get(key)
        merged[key] = merge_extra(value, below) if isinstance(value, dict) and isinstance(below, dict) else value
    return merged


def event_placeholders(event: ThingEvent) -> dict[str, JsonValue]:
    """The values of the event filter placeholders (topic, resource, entity, thing) for a twin event."""
    namespace, _, name = event.thing_id.partition(":")
    values = thing_placeholders(event.thing_id, "twin")
    values.update({
        "topic:criterion": "events", "topic:action": event.action, "topic:action-subject": event.action,
        "topic:full": f"{namespace}/{name}/things/twin/events/{event.action}",
        "resource:type": "thing", "resource:path": format_pointer(event.path),
    })
    return values


def thing_placeholders(thing_id: str, channel: str) -> dict[str, JsonValue]:
    """The placeholders every signal of a thing has, twin or live: its topic's namespace, name, group and channel,
    and the entity and thing placeholders."""
    namespace, _, name = thing_id.partition(":")
    values: dict[str, JsonValue] = {
        "topic:namespace": namespace, "topic:entityName": name, "topic:group": "things", "topic:channel": channel,
    }
    for prefix in ("entity", "thing"):
        values[f"{prefix}:id"] = thing_id
        values[f"{prefix}:namespace"] = namespace
        values[f"{prefix}:name"] = name
    return values
