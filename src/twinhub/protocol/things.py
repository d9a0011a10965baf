"""Thing signals in the Ditto Protocol: commands in, responses and events out (twin and live channel).

    ns/name/things/twin/commands/create    path "/"      value thing   -> ModifyThing(create_only=True)
    ns/name/things/twin/commands/modify    path any      value         -> ModifyThing(ThingCommand("modify"))
    ns/name/things/twin/commands/merge     path any      value patch   -> ModifyThing(ThingCommand("merge"))
    ns/name/things/twin/commands/delete    path any                    -> ModifyThing(ThingCommand("delete"))
    ns/name/things/twin/commands/retrieve  path any      fields?       -> RetrieveThing
    ns/_/things/twin/commands/retrieve     path "/"  {"thingIds": [...]} -> RetrieveThings
    ns/name/things/twin/commands/migrate   path "/"  value request  -> MigrateDefinition (`migrate_command`)

Responses keep the command's topic and path and add `status` (create 201 + thing, modify 201 + value or
204, merge 204, retrieve 200 + value, delete 204, migrate 200 or 202 for a dry run + `{thingId, patch,
mergeStatus}`). Events: `ns/name/things/<channel>/events/<action>`
with the changed path, the value (the patch for `merged`, none for `deleted`), revision and timestamp.
Devices answer live commands with the same shapes on the live channel: `thing_response_from_envelope`
and `thing_event_from_envelope` read those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from twinhub.model.commands import CommandAction, ThingCommand
from twinhub.model.errors import (
    JsonFieldMissing,
    JsonParseInvalid,
    MediaTypeMissing,
    MediaTypeUnsupported,
    ProtocolPathUnknown,
    ResourceNotFound,
    ThingIdNotSettable,
    ThingIdsMissing,
    TopicPathUnknown,
)
from twinhub.model.events import PATCH_ACTIONS, EventAction, ThingEvent, format_timestamp
from twinhub.model.fields import FieldSelector, parse_fields
from twinhub.model.headers import parse_if_equal
from twinhub.model.ids import parse_thing_id
from twinhub.model.patches import check_thing_patch
from twinhub.model.pointer import format_pointer, parse_pointer
from twinhub.model.resources import classify
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer
from twinhub.protocol.envelope import Envelope, normalize_path
from twinhub.protocol.headers import APPLICATION_JSON, MERGE_PATCH_JSON, content_type, header_text, reply_headers
from twinhub.protocol.topic import WILDCARD, Channel, Topic

__all__ = [
    "MigrateDefinition",
    "ModifyThing",
    "RetrieveThing",
    "RetrieveThings",
    "ThingEventSignal",
    "ThingResponse",
    "ThingSignal",
    "migrate_command",
    "thing_command",
    "thing_event",
    "thing_event_from_envelope",
    "thing_path",
    "thing_response",
    "thing_response_from_envelope",
    "thing_topic",
]

CommandVerb = Literal["create", "modify", "merge", "retrieve", "delete"]
_COMMAND_VERBS: dict[str, CommandVerb] = {
    "create": "create", "modify": "modify", "merge": "merge", "retrieve": "retrieve", "delete": "delete"}
_EVENT_ACTIONS: dict[str, EventAction] = {
    "created": "created", "modified": "modified", "merged": "merged", "migrated": "migrated", "deleted": "deleted"}


@dataclass(frozen=True, slots=True)
class RetrieveThing:
    thing_id: str
    path: Pointer
    fields: FieldSelector | None


@dataclass(frozen=True, slots=True)
class RetrieveThings:
    """`ns/_/things/.../commands/retrieve` (namespace None for `_`): the things in `thing_ids` order."""

    namespace: str | None
    thing_ids: tuple[str, ...]
    fields: FieldSelector | None


@dataclass(frozen=True, slots=True)
class ModifyThing:
    """A write. `create_only`: Ditto's `create`, answered with 409 `things:thing.conflict` if the thing exists."""

    command: ThingCommand
    create_only: bool


ThingSignal = RetrieveThing | RetrieveThings | ModifyThing


@dataclass(frozen=True, slots=True)
class MigrateDefinition:
    """`migrate` (Ditto `MigrateThingDefinition`, protocol `ThingDefinitionMigrateCommandMappingStrategies`):
    the request's JSON as in `POST /things/{thingId}/migrateDefinition`; a twin command only."""

    thing_id: str
    value: JsonValue


def migrate_command(envelope: Envelope) -> MigrateDefinition:
    """The `migrate` command in `envelope`; `protocoladapter:unknown.topicpath` on the live channel, for `_` or a
    path other than `/`, `json.invalid` without a value."""
    topic = envelope.topic
    if topic.channel != "twin" or topic.name == WILDCARD or thing_path(envelope.path):
        raise TopicPathUnknown(str(topic), path=envelope.path)
    return MigrateDefinition(str(parse_thing_id(topic.entity_id)), _required_value(envelope, "migrate"))


@dataclass(frozen=True, slots=True)
class ThingResponse:
    """A command response, as a device answers a live command."""

    thing_id: str
    action: CommandVerb
    path: Pointer
    status: int
    value: JsonValue | Missing


@dataclass(frozen=True, slots=True)
class ThingEventSignal:
    """An event read from the wire (a device's live event); revision and timestamp are optional there."""

    thing_id: str
    action: EventAction
    path: Pointer
    value: JsonValue | Missing
    revision: int | None
    timestamp: str | None


def thing_command(envelope: Envelope) -> ThingSignal:
    """The thing command in `envelope` (twin or live channel).

    Raises `protocoladapter:unknown.topicpath` (not a thing command, `create` below the root, `_` as the
    name of anything but a retrieve), `things:id.invalid`, `json.pointer.invalid` / `things:json.key.invalid`
    (bad path), `protocoladapter:unknown.path` (no such part of a thing), `json.invalid` (value missing or of
    the wrong shape), `things:id.notsettable` (the thing JSON names another thing), `mediatype.unsupported`
    (415: a merge without `content-type: application/merge-patch+json`), `things:merge.invalid` (a merge of the
    whole thing that is null or names none of its fields), `header.invalid`,
    `things:field.selection.invalid`.
    """
    topic = envelope.topic
    if topic.group != "things" or topic.criterion != "commands":
        raise TopicPathUnknown(str(topic), "The topic is not the topic of a thing command.")
    if topic.action == "migrate":  # its own signal (`migrate_command`), which only the twin session answers
        raise TopicPathUnknown(str(topic), "The topic is not the topic of a thing command.")
    verb = _COMMAND_VERBS[topic.action or ""]  # the topic's action is one of them: Topic checks it
    if topic.name == WILDCARD:
        if verb != "retrieve":
            raise TopicPathUnknown(str(topic), "Only 'retrieve' addresses several things ('_' as the name).")
        return _retrieve_things(envelope)
    thing_id = str(parse_thing_id(topic.entity_id))
    path = thing_path(envelope.path)
    if verb == "retrieve":
        return RetrieveThing(thing_id, path, _fields(envelope))
    if verb == "delete":
        return ModifyThing(ThingCommand("delete", thing_id, path), create_only=False)
    if verb == "create" and path:
        raise TopicPathUnknown(str(topic), path=envelope.path)
    value = _required_value(envelope, verb)
    if verb == "merge":
        _require_merge_patch(envelope.headers)
        if not path:
            check_thing_patch(value)
    elif not path and isinstance(value, dict) and "thingId" in value and value["thingId"] != thing_id:
        raise ThingIdNotSettable("The Thing ID in the thing JSON is not equal to the Thing ID in the topic path.")
    if_equal_text = header_text(envelope.headers, "if-equal")
    if_equal = "update" if if_equal_text is None else parse_if_equal(if_equal_text)
    action: CommandAction = "merge" if verb == "merge" else "modify"
    return ModifyThing(ThingCommand(action, thing_id, path, value, if_equal), create_only=verb == "create")


def thing_path(text: str) -> Pointer:
    """A thing path from the wire: a valid pointer naming a part of a thing, else Ditto's 400."""
    path = parse_pointer(text)
    try:
        classify(path)
    except ResourceNotFound:
        raise ProtocolPathUnknown(text) from None
    return path


def thing_response(request: Envelope, status: int, value: JsonValue | Missing = MISSING, *,
                   headers: Mapping[str, JsonValue] | None = None) -> Envelope:
    """The response to the command `request`: its topic and path, `status`, `value`, its correlation-id,
    then `headers` (an ETag, say)."""
    content = MERGE_PATCH_JSON if request.topic.action == "merge" else APPLICATION_JSON
    return Envelope(
        topic=request.topic,
        headers=reply_headers(request.headers, content=content, extra=headers),
        path=normalize_path(request.path),
        value=value,
        status=status,
    )


def thing_topic(thing_id: str, criterion: Literal["commands", "events", "errors", "acks"], action: str | None,
                *, channel: Channel = "twin") -> Topic:
    """The topic addressing `thing_id` (`ns:name`; the namespace never contains ':')."""
    namespace, _, name = thing_id.partition(":")
    return Topic(namespace, name, "things", channel, criterion, action)


def thing_event(event: ThingEvent, *, value: JsonValue | Missing, headers: Mapping[str, JsonValue],
                extra: JsonObject | None = None, channel: Channel = "twin",
                metadata: JsonObject | None = None) -> Envelope:
    """`event` as a Ditto Protocol event. `value` is passed separately (and MISSING for a deleted part)
    because the caller shows each subscriber only what it may READ; `headers` are the command's
    (correlation-id, ditto-originator, requested-acks), plus the content type of the value; `metadata` is the
    event's metadata as the subscriber may READ it."""
    event_headers = dict(headers)
    if value is not MISSING:
        # a migration's thing is a merge patch too (Ditto's ThingDefinitionMigratedEventSignalMapper)
        event_headers["content-type"] = MERGE_PATCH_JSON if event.action in PATCH_ACTIONS else APPLICATION_JSON
    return Envelope(
        topic=thing_topic(event.thing_id, "events", event.action, channel=channel),
        headers=event_headers,
        path=format_pointer(event.path),
        value=value,
        extra=extra,
        revision=event.revision,
        timestamp=format_timestamp(event.timestamp),
        metadata=metadata,
    )


def thing_response_from_envelope(envelope: Envelope) -> ThingResponse:
    """A thing command response read from the wire; raises like `thing_command`, and `json.field.missing`
    without a `status`."""
    topic = envelope.topic
    if topic.group != "things" or topic.criterion != "commands" or topic.action is None:
        raise TopicPathUnknown(str(topic), "The topic is not the topic of a thing command response.")
    if envelope.status is None:
        raise JsonFieldMissing("JSON did not include required </status> field!")
    verb: CommandVerb = _COMMAND_VERBS[topic.action]
    return ThingResponse(str(parse_thing_id(topic.entity_id)), verb, thing_path(envelope.path), envelope.status,
                         envelope.value)


def thing_event_from_envelope(envelope: Envelope) -> ThingEventSignal:
    """A thing event read from the wire; raises `protocoladapter:unknown.topicpath`, `things:id.invalid`,
    `protocoladapter:unknown.path`, or `json.invalid` when a created/modified/merged event has no value;
    a `migrated` event must be at `/` (else `protocoladapter:unknown.path`) with a thing object (Ditto's
    ThingDefinitionMigratedEventAdapter) and a revision (`json.field.missing`, as its mapping strategies)."""
    topic = envelope.topic
    if topic.group != "things" or topic.criterion != "events" or topic.action is None:
        raise TopicPathUnknown(str(topic), "The topic is not the topic of a thing event.")
    action: EventAction = _EVENT_ACTIONS[topic.action]
    if action != "deleted":
        _required_value(envelope, action)
    if action == "migrated":
        _check_migrated(envelope)
    return ThingEventSignal(str(parse_thing_id(topic.entity_id)), action, thing_path(envelope.path),
                            envelope.value, envelope.revision, envelope.timestamp)


def _check_migrated(envelope: Envelope) -> None:
    if thing_path(envelope.path):  # the thing of a migration is always the whole thing
        raise ProtocolPathUnknown(envelope.path)
    if not isinstance(envelope.value, dict):
        raise JsonParseInvalid("The value of a 'migrated' event must be a JSON object (the thing).")
    if envelope.revision is None:
        raise JsonFieldMissing("JSON did not include required </revision> field!")


def _retrieve_things(envelope: Envelope) -> RetrieveThings:
    if thing_path(envelope.path):
        raise TopicPathUnknown(str(envelope.topic), path=envelope.path)
    value = envelope.value
    if not isinstance(value, dict):
        raise JsonParseInvalid("The value of a retrieve of several things must be a JSON object with 'thingIds'.")
    ids = value.get("thingIds")
    if not isinstance(ids, list) or not all(isinstance(thing_id, str) for thing_id in ids):
        raise JsonParseInvalid("Could not map 'thingIds' value to expected JsonArray of Strings.")
    if not ids:
        raise ThingIdsMissing()
    thing_ids = tuple(str(parse_thing_id(thing_id)) for thing_id in ids if isinstance(thing_id, str))
    namespace = None if envelope.topic.namespace == WILDCARD else envelope.topic.namespace
    return RetrieveThings(namespace, thing_ids, _fields(envelope))


def _fields(envelope: Envelope) -> FieldSelector | None:
    return None if envelope.fields is None else parse_fields(envelope.fields)


def _required_value(envelope: Envelope, verb: str) -> JsonValue:
    if envelope.value is MISSING:
        raise JsonParseInvalid(f"The Ditto Protocol message of a '{verb}' at '{envelope.path}' has no 'value'.")
    return envelope.value


def _require_merge_patch(headers: Mapping[str, JsonValue]) -> None:
    """Ditto takes a merge only as `application/merge-patch+json` (its ThingMergeCommandMappingStrategies)."""
    given = content_type(headers)
    if given is None or not given.strip():
        raise MediaTypeMissing(MERGE_PATCH_JSON)
    if given.split(";", 1)[0].strip().lower() != MERGE_PATCH_JSON:
        raise MediaTypeUnsupported(given, MERGE_PATCH_JSON)
