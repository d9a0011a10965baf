"""The RQL `filter` of a live stream (`START-SEND-MESSAGES|LIVE-COMMANDS|LIVE-EVENTS?filter=...`), as Ditto
applies it to every signal of a streaming session (gateway `WebSocketRoute.matchesFilter` ->
`StreamingSession.matchesFilter`):

* the filter sees a thing formed by `ThingEventToThingConverter.mergeThingWithExtraFields`: for a live event its
  changed part (the thing id, the value at its path, its revision and timestamp), as for a twin event; for a
  message or a live command nothing of the signal, only the receiver's extra fields (an empty thing without
  `extraFields`, so a filter on thing fields then lets nothing through);
* the placeholders name the signal's own topic (`topic:subject` of a message is its subject; it has no
  `topic:action`), resource (`message` at `/[features/<id>/]inbox/messages/<subject>`, or `thing` at the
  command's or event's path) and entity, and `time:now` is resolved when the signal is tested.

Pure: the caller hands in the extra fields it retrieved and the time.
"""

from __future__ import annotations

from datetime import datetime

from twinhub.model.live import LiveEvent, LiveMessage, LiveSignal
from twinhub.model.pointer import format_pointer
from twinhub.model.types import JsonObject, JsonValue
from twinhub.rql import Node, matches, resolve_placeholders
from twinhub.service.event_documents import changed_document, merge_extra, thing_placeholders

__all__ = ["live_document", "live_placeholders", "passes_live_filter"]


def passes_live_filter(node: Node, signal: LiveSignal, extra: JsonObject | None, now: datetime) -> bool:
    """Whether `signal`, with the receiver's `extra` fields (None when it asked for none), passes `node` (a filter
    parsed and validated by `twinhub.service.streaming.parse_event_filter`)."""
    return matches(resolve_placeholders(node, now), live_document(signal, extra), extra=live_placeholders(signal))


def live_document(signal: LiveSignal, extra: JsonObject | None) -> JsonObject:
    """The thing JSON the filter sees: a live event's changed part with the extra fields merged below it, else
    the extra fields alone."""
    if not isinstance(signal, LiveEvent):
        return dict(extra) if extra else {}
    document = changed_document(signal.thing_id, signal.action, signal.path, signal.value)
    if signal.revision is not None:
        document["_revision"] = signal.revision
    if signal.timestamp is not None:
        document["_modified"] = signal.timestamp
    return merge_extra(document, extra) if extra else document


def live_placeholders(signal: LiveSignal) -> dict[str, JsonValue]:
    """The values of the topic, resource, entity and thing placeholders for a live signal."""
    namespace, _, name = signal.thing_id.partition(":")
    values = thing_placeholders(signal.thing_id, "live")
    values["resource:path"] = format_pointer(signal.path)
    if isinstance(signal, LiveMessage):
        values.update({"topic:criterion": "messages", "topic:subject": signal.subject,
                       "topic:action-subject": signal.subject, "resource:type": "message",
                       "topic:full": f"{namespace}/{name}/things/live/messages/{signal.subject}"})
    else:
        criterion = "events" if isinstance(signal, LiveEvent) else "commands"
        values.update({"topic:criterion": criterion, "topic:action": signal.action,
                       "topic:action-subject": signal.action, "resource:type": "thing",
                       "topic:full": f"{namespace}/{name}/things/live/{criterion}/{signal.action}"})
    return values
