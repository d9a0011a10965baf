"""Thing commands and the pure function that applies one to the current thing.

`apply(current, command, now=..., max_size=...)` returns the new thing, its event and whether the
target was created; it never mutates its inputs and does no I/O. `replay(events)` rebuilds a thing
from journal events with the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from twinhub.model.errors import (
    JsonParseInvalid,
    MetadataNotModifiable,
    ThingEqualitySkipped,
    ThingIdNotDeletable,
    ThingIdNotSettable,
    ThingNotAccessible,
    ThingTooLarge,
    TwinhubError,
)
from twinhub.model.events import METADATA_KEY, PATCH_ACTIONS, EventAction, Thing, ThingEvent, thing_document
from twinhub.model.json import MAX_JSON_DEPTH, JsonTooDeep, check_depth, dumps
from twinhub.model.merge import json_equal, merge_patch, minimize_patch
from twinhub.model.metadata import MetadataHeaders, changed_metadata, check_metadata_depth
from twinhub.model.pointer import delete_at, format_pointer, get_at, set_at
from twinhub.model.resources import Resource, classify, missing_part, not_found
from twinhub.model.thing import ordered, validate_keys, validate_part, validate_thing
from twinhub.model.types import MISSING, JsonObject, JsonValue, Pointer

DEFAULT_MAX_THING_SIZE = 100 * 1024

CommandAction = Literal["modify", "merge", "delete"]
IfEqual = Literal["update", "skip", "skip-minimizing-merge"]


@dataclass(frozen=True, slots=True)
class ThingCommand:
    """Modify (PUT), merge (PATCH) or delete the part of a thing at `path` ("()" is the whole thing).

    `migrates`: a merge of the whole thing that migrates its definition (`migrateDefinition`); it applies as any
    merge, but its event is Ditto's `ThingDefinitionMigrated` (`migrated`, the patch with the thing id)."""

    action: CommandAction
    thing_id: str
    path: Pointer
    value: JsonValue = None
    if_equal: IfEqual = "update"
    migrates: bool = False


@dataclass(frozen=True, slots=True)
class Applied:
    """The result of a command: the new thing, its event, and the created value if something was created."""

    thing: Thing
    event: ThingEvent
    created: bool
    # The new thing's JSON as its size check encoded it (None for a deletion): the store writes it and the
    # cache keeps it instead of encoding the same document again.
    encoded: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def created_value(self) -> JsonValue:
        found = get_at(self.thing.doc, self.event.path)
        return None if found is MISSING else found


def exists(thing: Thing | None) -> bool:
    return thing is not None and not thing.deleted


def thing_size(doc: JsonObject) -> int:
    """The size `max_size` bounds: the thing's JSON in bytes."""
    return len(dumps(doc))


def apply(current: Thing | None, command: ThingCommand, *, now: datetime,
          max_size: int = DEFAULT_MAX_THING_SIZE, visible: JsonObject | None = None,
          metadata: MetadataHeaders | None = None) -> Applied:
    """Apply `command` to `current` (None or a tombstone when the thing does not exist).

    Raises a TwinhubError for anything Ditto refuses: a missing thing or part, invalid values, a
    thing over `max_size` bytes or nested deeper than `MAX_JSON_DEPTH`, or an `if-equal: skip`
    modification that changes nothing. `visible` is what the issuer may READ of `current` (None: all of
    it): a modification is only skipped when it changes nothing of that either, so that a skip never
    confirms a value the issuer may not read. `metadata` (the command's metadata headers) and the removed
    parts change the thing's metadata (see `twinhub.model.metadata`), which counts towards `max_size`.
    """
    if command.action != "delete":
        _check_nesting(command.path, command.value)
    resource = classify(command.path)
    if not exists(current) and not (resource is Resource.THING and command.action != "delete"):
        raise ThingNotAccessible(command.thing_id)
    handler = _HANDLERS[command.action]
    result: _Result | None
    try:
        result = handler(current, command, resource)
    except ThingEqualitySkipped:  # a minimizing merge that leaves nothing to merge
        result = None
    if exists(current) and command.if_equal != "update":
        assert current is not None
        if (result is None or json_equal(result[0], current.doc)) and _unchanged(visible, current, command, resource):
            raise ThingEqualitySkipped()
        if result is None:  # not skipped: what the issuer sees would change, so the patch is applied as sent
            result = handler(current, replace(command, if_equal="update"), resource)
    assert result is not None
    doc, event_value, action, event_path = result
    if command.migrates and action == "merged" and not event_path and isinstance(event_value, dict):
        action, event_value = "migrated", _migrated_thing(command.thing_id, event_value)
    deleted = action == "deleted" and not event_path
    before_metadata = current.metadata if exists(current) and current is not None else None
    new_metadata = None
    if metadata is not None or before_metadata is not None or action == "created":  # free for a thing without
        new_metadata = None if deleted else _new_metadata(current, before_metadata, command, event_value, doc,
                                                          metadata, created=action == "created" and not event_path)
    revision = (current.revision if current else 0) + 1
    created_at = current.created if exists(current) and current is not None else now
    thing = Thing(command.thing_id, doc, revision, created_at, now, deleted=deleted, metadata=new_metadata)
    # any depth: a thing stored before the nesting limit may be deeper
    encoded = None if deleted else dumps(thing_document(thing))
    if action != "deleted" and encoded is not None and len(encoded) > max_size:  # deleting a part always shrinks
        raise ThingTooLarge(len(encoded), max_size)
    event = ThingEvent(command.thing_id, action, event_path, event_value, revision, now)
    return Applied(thing, event, created=action == "created", encoded=encoded)


def _migrated_thing(thing_id: str, patch: JsonObject) -> JsonObject:
    """The thing of a `migrated` event: the patch with the thing id first (Ditto's MigrateThingDefinitionStrategy
    sets the id on the patch thing it publishes)."""
    return {"thingId": thing_id, **{key: value for key, value in patch.items() if key != "thingId"}}


def _new_metadata(current: Thing | None, before: JsonObject | None, command: ThingCommand, value: JsonValue,
                  doc: JsonObject, headers: MetadataHeaders | None, *, created: bool) -> JsonObject | None:
    """The metadata of the thing after `command`; `value` is what its event carries. A created thing may bring its
    metadata inline as `_metadata` (Ditto's CreateThing), but not together with `put-metadata`."""
    inline = command.value.get(METADATA_KEY) if created and isinstance(command.value, dict) else None
    if inline is not None and not isinstance(inline, dict):  # Thing.JsonFields.METADATA is a JsonObject field
        raise JsonParseInvalid(f"Value <{dumps(inline).decode()[:200]}> for </{METADATA_KEY}> is not of type "
                               "<JsonObject>!")
    if isinstance(inline, dict):
        if headers is not None and headers.put:
            raise MetadataNotModifiable()
        return inline or None
    if headers is None and before is None:
        return None
    part = get_at(current.doc, command.path) if exists(current) and current is not None else MISSING
    changed = changed_metadata(before, command.action, command.path, value, part, get_at(doc, command.path), headers)
    if headers is not None and headers.put:
        check_metadata_depth(changed)
    return changed


def _check_nesting(path: Pointer, value: JsonValue) -> None:
    """A thing nests at most `MAX_JSON_DEPTH` levels from its root, so a value written at `path` nests at most
    that many less the path's length. (A whole thing was parsed within the limit; the rest keeps it.)"""
    if not path:
        return
    try:
        if len(path) > MAX_JSON_DEPTH:
            raise JsonTooDeep(MAX_JSON_DEPTH)
        check_depth(value, MAX_JSON_DEPTH - len(path))
    except JsonTooDeep:
        raise JsonParseInvalid(f"The value at <{format_pointer(path)[:200]}> would nest the thing deeper than the "
                               f"limit of {MAX_JSON_DEPTH} levels.") from None


_Result = tuple[JsonObject, JsonValue, EventAction, Pointer]


def _unchanged(visible: JsonObject | None, current: Thing, command: ThingCommand, resource: Resource) -> bool:
    """Whether `command` also changes nothing of `visible`, the issuer's view of `current` (None: all of it)."""
    if visible is None:
        return True
    seen = replace(current, doc=visible)
    try:
        doc = _HANDLERS[command.action](seen, command, resource)[0]
    except ThingEqualitySkipped:
        return True
    except TwinhubError:  # what the issuer sees does not even take the command: it changes something
        return False
    return json_equal(doc, visible)


def _modify(current: Thing | None, command: ThingCommand, resource: Resource) -> _Result:
    thing_id, path = command.thing_id, command.path
    if resource is Resource.THING:
        if exists(current):
            assert current is not None
            policy_id = current.doc.get("policyId", thing_id)
            doc = validate_thing(command.value, thing_id, default_policy_id=str(policy_id))
            return doc, doc, "modified", ()
        doc = validate_thing(command.value, thing_id, default_policy_id=thing_id)
        return doc, doc, "created", ()
    assert current is not None
    _require_feature(current, path, thing_id)
    value = validate_part(resource, command.value, thing_id)
    before = get_at(current.doc, path)
    doc = ordered(set_at(current.doc, path, value))
    return doc, value, "created" if before is MISSING else "modified", path


def _merge(current: Thing | None, command: ThingCommand, resource: Resource) -> _Result:
    thing_id, path, patch = command.thing_id, command.path, validate_keys(command.value)
    if resource is Resource.THING and isinstance(patch, dict) and "thingId" in patch:
        if patch["thingId"] is None:
            raise ThingIdNotDeletable()
        if patch["thingId"] != thing_id:
            raise ThingIdNotSettable()
    if not exists(current):
        doc = validate_thing(merge_patch({}, patch), thing_id, default_policy_id=thing_id)
        return doc, doc, "created", ()
    assert current is not None
    before = get_at(current.doc, path)
    before_value: JsonValue = None if before is MISSING else before
    if command.if_equal == "skip-minimizing-merge":
        if patch is None:  # a delete: it changes something exactly when the target exists
            if before is MISSING:
                raise ThingEqualitySkipped()
        elif (minimized := minimize_patch(before_value, patch)) is None:
            raise ThingEqualitySkipped()
        else:
            patch = minimized
    merged = merge_patch(before_value, patch)
    if resource is Resource.THING:
        policy_id = str(current.doc.get("policyId", thing_id))
        doc = validate_thing(merged, thing_id, default_policy_id=policy_id)
        if isinstance(patch, dict) and "policyId" in patch:
            validate_part(Resource.POLICY_ID, patch["policyId"], thing_id)
    elif merged is None and resource is not Resource.POLICY_ID:
        doc = delete_at(current.doc, path)
    else:
        doc = ordered(set_at(current.doc, path, validate_part(resource, merged, thing_id)))
    return doc, patch, "merged", path


def _delete(current: Thing | None, command: ThingCommand, resource: Resource) -> _Result:
    assert current is not None
    if resource is Resource.THING:
        return {}, None, "deleted", ()
    if resource is Resource.POLICY_ID:
        validate_part(resource, None, command.thing_id)
    if get_at(current.doc, command.path) is MISSING:
        raise missing_part(current.doc, command.thing_id, command.path)
    return delete_at(current.doc, command.path), None, "deleted", command.path


def _require_feature(current: Thing, path: Pointer, thing_id: str) -> None:
    """Parts of a feature can only be written while the feature exists (Ditto: feature.notfound)."""
    if len(path) > 2 and path[0] == "features" and get_at(current.doc, path[:2]) is MISSING:
        raise not_found(thing_id, path[:2])


_HANDLERS = {"modify": _modify, "merge": _merge, "delete": _delete}


_REPLAY_ACTIONS: dict[EventAction, CommandAction] = {
    "created": "modify", "modified": "modify", "merged": "merge", "migrated": "merge", "deleted": "delete"}


def apply_event(current: Thing | None, event: ThingEvent) -> Thing:
    """The thing after `event`: journal replay for historical reads, through the very handlers that
    produced the event, so a replayed thing is exactly the thing that was committed (a `migrated` event is
    merged, as its migration was: Ditto's ThingDefinitionMigratedStrategy merges its thing into the thing)."""
    command = ThingCommand(_REPLAY_ACTIONS[event.action], event.thing_id, event.path, event.value)
    resource = classify(event.path)
    doc, _value, action, _path = _HANDLERS[command.action](current, command, resource)
    created = current.created if exists(current) and current is not None else event.timestamp
    deleted = action == "deleted" and not event.path
    # The journal keeps no metadata headers: a replay keeps what the last snapshot had, less removed parts.
    before = current.metadata if exists(current) and current is not None else None
    metadata = None if deleted or before is None else changed_metadata(
        before, command.action, event.path, event.value, get_at(current.doc, event.path) if current else MISSING,
        get_at(doc, event.path), None)
    return Thing(event.thing_id, doc, event.revision, created, event.timestamp, deleted=deleted, metadata=metadata)


def replay(snapshot: Thing | None, events: list[ThingEvent]) -> Thing | None:
    """Apply `events` in order on top of `snapshot`."""
    thing = snapshot
    for event in events:
        thing = apply_event(thing, event)
    return thing


def policy_id_after(policy_id: str | None, event: ThingEvent) -> str | None:
    """The thing's policy id after `event`, given the one before it (None: no thing, or none named): what
    `apply_event` would leave in `policyId`, without replaying the rest of the document."""
    if event.action == "deleted":
        return None if not event.path else policy_id  # the policy id itself cannot be deleted
    if event.path == ("policyId",):
        return event.value if isinstance(event.value, str) else policy_id
    if event.path:
        return policy_id
    named = event.value.get("policyId") if isinstance(event.value, dict) else None
    if event.action in PATCH_ACTIONS:  # a patch names the policy id only when it changes it
        return named if isinstance(named, str) else policy_id
    return named if isinstance(named, str) else None
