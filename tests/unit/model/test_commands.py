from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinhub.model.commands import (
    DEFAULT_MAX_THING_SIZE,
    Applied,
    CommandAction,
    IfEqual,
    ThingCommand,
    apply,
    apply_event,
    exists,
    policy_id_after,
    replay,
    thing_size,
)
from twinhub.model.errors import (
    DefinitionInvalid,
    FeatureDefinitionEmpty,
    JsonKeyInvalid,
    PolicyIdInvalid,
    PolicyIdNotDeletable,
    ResourceNotFound,
    ThingEqualitySkipped,
    ThingIdNotDeletable,
    ThingIdNotSettable,
    ThingInvalid,
    ThingNotAccessible,
    ThingResourceNotFound,
    ThingTooLarge,
    TwinhubError,
)
from twinhub.model.events import Thing, ThingEvent
from twinhub.model.json import MAX_JSON_DEPTH, dumps
from twinhub.model.merge import json_equal
from twinhub.model.types import JsonObject, JsonValue, Pointer

TID = "org.eclipse.ditto:lamp-1"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(seconds=1)
T2 = T0 + timedelta(seconds=2)
T3 = T0 + timedelta(seconds=3)

FULL_DOC: JsonObject = {
    "thingId": TID,
    "policyId": "org.eclipse.ditto:policy",
    "definition": "org.eclipse.ditto:lamp:1.0",
    "attributes": {"location": {"room": "kitchen"}, "serial": 42},
    "features": {
        "lamp": {
            "definition": ["org.eclipse.ditto:lamp-feature:1"],
            "properties": {"on": True, "color": {"r": 1, "g": 2}},
            "desiredProperties": {"on": False},
        }
    },
}


def thing(doc: JsonObject | None = None, *, revision: int = 3) -> Thing:
    return Thing(TID, copy.deepcopy(FULL_DOC if doc is None else doc), revision, T0, T1)


def modify(path: Pointer, value: JsonValue, if_equal: IfEqual = "update") -> ThingCommand:
    return ThingCommand("modify", TID, path, value, if_equal)


def merge(path: Pointer, value: JsonValue, if_equal: IfEqual = "update") -> ThingCommand:
    return ThingCommand("merge", TID, path, value, if_equal)


def delete(path: Pointer) -> ThingCommand:
    return ThingCommand("delete", TID, path)


def run(current: Thing | None, command: ThingCommand, *, now: datetime = T2, max_size: int = DEFAULT_MAX_THING_SIZE,
        visible: JsonObject | None = None) -> Applied:
    before = copy.deepcopy(current)
    applied = apply(current, command, now=now, max_size=max_size, visible=visible)
    assert current == before, "apply must not mutate the current thing"
    # What the store writes and the cache keeps instead of encoding the thing again.
    assert applied.encoded == (None if applied.thing.deleted else dumps(applied.thing.doc))
    return applied


def fails(current: Thing | None, command: ThingCommand, *, max_size: int = DEFAULT_MAX_THING_SIZE,
          visible: JsonObject | None = None) -> TwinhubError:
    before = copy.deepcopy(current)
    with pytest.raises(TwinhubError) as caught:
        apply(current, command, now=T2, max_size=max_size, visible=visible)
    assert current == before
    return caught.value


# --- creating the thing ---------------------------------------------------------------------


def test_modify_on_a_missing_thing_creates_it_at_revision_1() -> None:
    applied = run(None, modify((), {"attributes": {"a": 1}}))
    assert applied.created
    assert applied.thing == Thing(TID, {"thingId": TID, "policyId": TID, "attributes": {"a": 1}}, 1, T2, T2)
    assert applied.event == ThingEvent(TID, "created", (), applied.thing.doc, 1, T2)
    assert applied.created_value == applied.thing.doc


def test_created_thing_defaults_its_policy_id_to_the_thing_id() -> None:
    assert run(None, modify((), {})).thing.doc == {"thingId": TID, "policyId": TID}


def test_created_thing_keeps_an_explicit_policy_id() -> None:
    doc = run(None, modify((), {"policyId": "ns:p"})).thing.doc
    assert doc["policyId"] == "ns:p"


def test_created_thing_drops_unknown_and_underscore_fields() -> None:
    doc = run(None, modify((), {"_revision": 9, "_created": "x", "foo": 1, "thingId": TID})).thing.doc
    assert doc == {"thingId": TID, "policyId": TID}


def test_created_thing_fields_come_in_dittos_order() -> None:
    doc = run(None, modify((), {"features": {}, "attributes": {}, "definition": "a:b:c", "policyId": "a:p"})).thing.doc
    assert list(doc) == ["thingId", "policyId", "definition", "attributes", "features"]


def test_merge_on_a_missing_thing_creates_it() -> None:
    applied = run(None, merge((), {"attributes": {"a": 1, "gone": None}}))
    assert applied.created
    assert applied.thing.revision == 1
    assert applied.thing.doc == {"thingId": TID, "policyId": TID, "attributes": {"a": 1}}
    assert applied.event.action == "created"
    assert applied.created_value == applied.thing.doc


@pytest.mark.parametrize("command", [modify(("attributes", "a"), 1), merge(("attributes",), {"a": 1}),
                                     delete(()), delete(("attributes",)), modify(("policyId",), "ns:p")])
def test_commands_below_the_root_or_deletes_on_a_missing_thing_are_thing_notfound(command: ThingCommand) -> None:
    error = fails(None, command)
    assert isinstance(error, ThingNotAccessible)
    assert error.code == "things:thing.notfound"
    assert error.status == 404


def test_body_with_another_thing_id_is_not_settable() -> None:
    error = fails(None, modify((), {"thingId": "ns:other"}))
    assert isinstance(error, ThingIdNotSettable)
    assert error.code == "things:id.notsettable"
    assert isinstance(fails(thing(), modify((), {"thingId": "ns:other"})), ThingIdNotSettable)


@pytest.mark.parametrize(("body", "error_type"), [
    ({"policyId": "1bad:p"}, PolicyIdInvalid),
    ({"definition": "not a definition"}, DefinitionInvalid),
    ({"attributes": {"a/b": 1}}, JsonKeyInvalid),
    ({"attributes": {"nested": {"ä": 1}}}, JsonKeyInvalid),
    ({"attributes": []}, ThingInvalid),
    ({"features": {"*": {}}}, ThingInvalid),
    ({"features": {"f": {"definition": []}}}, FeatureDefinitionEmpty),
    ({"features": {"f": {"definition": ["a:b:c", "a:b:c"]}}}, ThingInvalid),
    ({"features": {"f": {"properties": 5}}}, ThingInvalid),
    ([], ThingInvalid),
])
def test_invalid_thing_bodies_are_rejected(body: JsonValue, error_type: type[TwinhubError]) -> None:
    assert isinstance(fails(None, modify((), body)), error_type)
    assert isinstance(fails(thing(), modify((), body)), error_type)


# --- replacing the thing --------------------------------------------------------------------


def test_modify_of_an_existing_thing_replaces_it_without_created() -> None:
    applied = run(thing(), modify((), {"attributes": {"x": 1}}))
    assert not applied.created
    assert applied.thing.doc == {"thingId": TID, "policyId": "org.eclipse.ditto:policy", "attributes": {"x": 1}}
    assert applied.event == ThingEvent(TID, "modified", (), applied.thing.doc, 4, T2)


def test_replacing_the_thing_keeps_its_policy_id_when_the_body_has_none() -> None:
    assert run(thing(), modify((), {})).thing.doc["policyId"] == "org.eclipse.ditto:policy"


def test_revision_increments_created_is_kept_and_modified_moves() -> None:
    applied = run(thing(revision=7), modify(("attributes", "serial"), 43), now=T3)
    assert applied.thing.revision == 8
    assert applied.thing.created == T0
    assert applied.thing.modified == T3
    assert applied.event.revision == 8
    assert applied.event.timestamp == T3


# --- modify (PUT) below the thing: created vs modified --------------------------------------

CREATED_PARTS: list[tuple[JsonObject, Pointer, JsonValue]] = [
    ({"thingId": TID, "policyId": "ns:p"}, ("definition",), "a:b:1"),
    ({"thingId": TID, "policyId": "ns:p"}, ("attributes",), {"a": 1}),
    ({"thingId": TID, "policyId": "ns:p"}, ("attributes", "a"), 1),
    ({"thingId": TID, "policyId": "ns:p", "attributes": {"a": 1}}, ("attributes", "b", "c"), [1]),
    ({"thingId": TID, "policyId": "ns:p"}, ("features",), {"f": {}}),
    ({"thingId": TID, "policyId": "ns:p"}, ("features", "f"), {"properties": {"p": 1}}),
    ({"thingId": TID, "policyId": "ns:p", "features": {"f": {}}}, ("features", "f", "definition"), ["a:b:1"]),
    ({"thingId": TID, "policyId": "ns:p", "features": {"f": {}}}, ("features", "f", "properties"), {"p": 1}),
    ({"thingId": TID, "policyId": "ns:p", "features": {"f": {}}}, ("features", "f", "properties", "p", "q"), 2),
    ({"thingId": TID, "policyId": "ns:p", "features": {"f": {}}}, ("features", "f", "desiredProperties"), {}),
    ({"thingId": TID, "policyId": "ns:p", "features": {"f": {}}}, ("features", "f", "desiredProperties", "p"), "x"),
]


@pytest.mark.parametrize(("doc", "path", "value"), CREATED_PARTS)
def test_modify_of_a_missing_part_creates_it(doc: JsonObject, path: Pointer, value: JsonValue) -> None:
    applied = run(thing(doc), modify(path, value))
    assert applied.created
    assert applied.created_value == value
    assert applied.event == ThingEvent(TID, "created", path, value, 4, T2)
    assert applied.thing.revision == 4
    assert applied.thing.created == T0
    assert applied.thing.modified == T2


MODIFIED_PARTS: list[tuple[Pointer, JsonValue]] = [
    (("policyId",), "ns:other"),
    (("definition",), "https://example.com/lamp.tm.jsonld"),
    (("attributes",), {"a": 1}),
    (("attributes", "serial"), 43),
    (("attributes", "location", "room"), "hall"),
    (("features",), {"other": {}}),
    (("features", "lamp"), {}),
    (("features", "lamp", "definition"), ["a:b:2"]),
    (("features", "lamp", "properties"), {}),
    (("features", "lamp", "properties", "on"), False),
    (("features", "lamp", "properties", "color", "r"), 255),
    (("features", "lamp", "desiredProperties"), {"on": True}),
    (("features", "lamp", "desiredProperties", "on"), True),
]


@pytest.mark.parametrize(("path", "value"), MODIFIED_PARTS)
def test_modify_of_an_existing_part_replaces_it_without_created(path: Pointer, value: JsonValue) -> None:
    applied = run(thing(), modify(path, value))
    assert not applied.created
    assert applied.event == ThingEvent(TID, "modified", path, value, 4, T2)
    assert applied.created_value == value
    assert applied.thing.revision == 4
    assert applied.thing.created == T0


def test_modify_of_an_attribute_leaves_its_siblings() -> None:
    doc = run(thing(), modify(("attributes", "serial"), 43)).thing.doc
    assert doc["attributes"] == {"location": {"room": "kitchen"}, "serial": 43}
    assert doc["features"] == FULL_DOC["features"]


def test_modify_below_a_scalar_attribute_replaces_it_with_an_object() -> None:
    applied = run(thing(), modify(("attributes", "serial", "x"), 1))
    assert applied.created
    assert applied.thing.doc["attributes"] == {"location": {"room": "kitchen"}, "serial": {"x": 1}}


def test_null_feature_is_stored_as_null() -> None:
    """Ditto's `ModifyFeature` of the null JSON keeps a `NullFeature`, which renders as null."""
    applied = run(thing(), modify(("features", "lamp"), None))
    assert applied.thing.doc["features"] == {"lamp": None}
    assert applied.event.value is None
    assert not applied.created


@pytest.mark.parametrize("value", [{"definition": None, "features": None},
                                   {"features": {"lamp": None, "fan": {"definition": None, "properties": None,
                                                                       "desiredProperties": None}}}])
def test_null_parts_of_a_new_thing_are_kept(value: JsonObject) -> None:
    """`ThingsModelFactory.newThingBuilder(JsonObject)`: NullThingDefinition, NullFeatures, NullFeature,
    NullFeatureDefinition and NullFeatureProperties all render back as null."""
    doc = run(None, modify((), value)).thing.doc
    assert {key: doc[key] for key in value} == value


def test_replaying_null_writes_rebuilds_the_same_thing() -> None:
    """A thing rebuilt from its journal keeps its nulls."""
    first = run(None, modify((), {"definition": None, "features": {"lamp": None}}), now=T0)
    second = run(first.thing, modify(("features", "fan"), None), now=T1)
    third = run(second.thing, modify(("features", "fan"), {"properties": None}), now=T2)
    assert replay(None, [first.event, second.event, third.event]) == third.thing


def test_modify_of_a_top_level_part_keeps_dittos_field_order() -> None:
    doc = run(thing({"thingId": TID, "policyId": "ns:p", "features": {}}), modify(("attributes",), {})).thing.doc
    assert list(doc) == ["thingId", "policyId", "attributes", "features"]


def test_creating_an_attribute_keeps_dittos_field_order() -> None:
    doc = run(thing({"thingId": TID, "policyId": "ns:p", "features": {}}), modify(("attributes", "a"), 1)).thing.doc
    assert list(doc) == ["thingId", "policyId", "attributes", "features"]


@pytest.mark.parametrize("path", [("features", "missing", "properties"), ("features", "missing", "properties", "x"),
                                  ("features", "missing", "desiredProperties", "x"),
                                  ("features", "missing", "definition")])
def test_modify_below_a_missing_feature_is_feature_notfound(path: Pointer) -> None:
    error = fails(thing(), modify(path, ["a:b:c"] if path[-1] == "definition" else {}))
    assert isinstance(error, ThingResourceNotFound)
    assert error.code == "things:feature.notfound"
    assert error.status == 404
    assert "'missing'" in error.message


@pytest.mark.parametrize(("path", "value", "error_type"), [
    (("policyId",), "bad", PolicyIdInvalid),
    (("policyId",), 5, ThingInvalid),
    (("definition",), "a:b", DefinitionInvalid),
    (("attributes",), 5, ThingInvalid),
    (("attributes", "a"), {"x/y": 1}, JsonKeyInvalid),
    (("features",), {"*": {}}, ThingInvalid),
    (("features", "lamp"), [], ThingInvalid),
    (("features", "lamp", "definition"), [], FeatureDefinitionEmpty),
    (("features", "lamp", "definition"), "a:b:c", ThingInvalid),
    (("features", "lamp", "properties"), [], ThingInvalid),
    (("features", "lamp", "desiredProperties"), "x", ThingInvalid),
    (("features", "lamp", "properties", "p"), {"\n": 1}, JsonKeyInvalid),
])
def test_invalid_part_values_are_rejected(path: Pointer, value: JsonValue, error_type: type[TwinhubError]) -> None:
    assert isinstance(fails(thing(), modify(path, value)), error_type)


@pytest.mark.parametrize("path", [("thingId",), ("_revision",), ("policyId", "x"), ("features", "f", "x")])
def test_commands_on_unroutable_paths_are_resource_notfound(path: Pointer) -> None:
    for command in (modify(path, 1), merge(path, 1), delete(path)):
        assert isinstance(fails(thing(), command), ResourceNotFound)


# --- merge (PATCH) --------------------------------------------------------------------------


def test_merge_of_the_thing_applies_the_patch_and_records_it() -> None:
    patch: JsonObject = {"attributes": {"serial": None, "new": 1}, "features": {"lamp": {"properties": {"on": False}}}}
    applied = run(thing(), merge((), patch))
    assert not applied.created
    assert applied.thing.doc["attributes"] == {"location": {"room": "kitchen"}, "new": 1}
    assert applied.thing.doc["features"]["lamp"]["properties"] == {"on": False, "color": {"r": 1, "g": 2}}  # type: ignore
    assert applied.event == ThingEvent(TID, "merged", (), patch, 4, T2)
    assert applied.thing.created == T0


@pytest.mark.parametrize(("path", "patch", "expected"), [
    (("policyId",), "ns:other", "ns:other"),
    (("definition",), "a:b:2", "a:b:2"),
    (("attributes",), {"serial": 1, "location": {"floor": 2}},
     {"serial": 1, "location": {"room": "kitchen", "floor": 2}}),
    (("attributes", "location"), {"room": None}, {}),
    (("attributes", "new"), {"a": {"b": None, "c": 1}}, {"a": {"c": 1}}),
    (("features", "lamp", "properties"), {"on": None}, {"color": {"r": 1, "g": 2}}),
    (("features", "lamp", "properties", "color"), {"b": 3}, {"r": 1, "g": 2, "b": 3}),
    (("features", "lamp", "desiredProperties", "on"), True, True),
    (("features", "lamp", "definition"), ["x:y:1"], ["x:y:1"]),
    (("features", "other"), {"properties": {"p": 1}}, {"properties": {"p": 1}}),
])
def test_merge_below_the_thing_merges_at_the_path(path: Pointer, patch: JsonValue, expected: JsonValue) -> None:
    applied = run(thing(), merge(path, patch))
    assert not applied.created
    assert applied.event == ThingEvent(TID, "merged", path, patch, 4, T2)
    assert applied.created_value == expected
    assert applied.thing.revision == 4


@pytest.mark.parametrize("path", [("attributes", "serial"), ("attributes",), ("definition",),
                                  ("features", "lamp"), ("features", "lamp", "properties", "on")])
def test_merge_null_below_the_thing_deletes_the_target(path: Pointer) -> None:
    applied = run(thing(), merge(path, None))
    node: JsonValue = applied.thing.doc
    for key in path[:-1]:
        assert isinstance(node, dict)
        node = node[key]
    assert isinstance(node, dict)
    assert path[-1] not in node


def test_merge_thing_id_null_is_not_deletable() -> None:
    error = fails(thing(), merge((), {"thingId": None}))
    assert isinstance(error, ThingIdNotDeletable)
    assert error.code == "things:id.notdeletable"
    assert error.status == 400
    assert isinstance(fails(None, merge((), {"thingId": None})), ThingIdNotDeletable)


def test_merge_with_another_thing_id_is_not_settable() -> None:
    assert isinstance(fails(thing(), merge((), {"thingId": "ns:other"})), ThingIdNotSettable)
    assert isinstance(fails(None, merge((), {"thingId": "ns:other"})), ThingIdNotSettable)


def test_merge_with_the_same_thing_id_is_fine() -> None:
    applied = run(thing(), merge((), {"thingId": TID, "attributes": {"serial": 1}}))
    assert applied.thing.doc["thingId"] == TID


@pytest.mark.parametrize("command", [merge((), {"policyId": None}), merge(("policyId",), None)])
def test_merge_cannot_delete_the_policy_id(command: ThingCommand) -> None:
    error = fails(thing(), command)
    assert isinstance(error, PolicyIdNotDeletable)
    assert error.code == "things:policyId.notdeletable"


def test_merge_with_invalid_keys_is_rejected() -> None:
    assert isinstance(fails(thing(), merge(("attributes",), {"a/b": 1})), JsonKeyInvalid)


def test_merge_leaving_the_thing_invalid_is_rejected() -> None:
    assert isinstance(fails(thing(), merge((), {"attributes": 5})), ThingInvalid)
    assert isinstance(fails(thing(), merge(("features", "lamp", "definition"), [])), FeatureDefinitionEmpty)


# --- delete ---------------------------------------------------------------------------------

DELETABLE: list[Pointer] = [
    ("definition",),
    ("attributes",),
    ("attributes", "serial"),
    ("attributes", "location", "room"),
    ("features",),
    ("features", "lamp"),
    ("features", "lamp", "definition"),
    ("features", "lamp", "properties"),
    ("features", "lamp", "properties", "color", "g"),
    ("features", "lamp", "desiredProperties"),
    ("features", "lamp", "desiredProperties", "on"),
]


@pytest.mark.parametrize("path", DELETABLE)
def test_delete_removes_the_part_and_records_it(path: Pointer) -> None:
    applied = run(thing(), delete(path))
    assert not applied.created
    assert applied.created_value is None
    assert applied.event == ThingEvent(TID, "deleted", path, None, 4, T2)
    assert not applied.thing.deleted
    assert applied.thing.revision == 4
    assert applied.thing.created == T0
    parent: JsonValue = applied.thing.doc
    for key in path[:-1]:
        assert isinstance(parent, dict)
        parent = parent[key]
    assert isinstance(parent, dict)
    assert path[-1] not in parent


NOT_FOUND: list[tuple[Pointer, str]] = [
    (("definition",), "things:definition.notfound"),
    (("attributes",), "things:attributes.notfound"),
    (("attributes", "nope"), "things:attribute.notfound"),
    (("features",), "things:features.notfound"),
    (("features", "nope"), "things:feature.notfound"),
    (("features", "f", "definition"), "things:feature.definition.notfound"),
    (("features", "f", "properties"), "things:feature.properties.notfound"),
    (("features", "f", "properties", "p"), "things:feature.property.notfound"),
    (("features", "f", "desiredProperties"), "things:feature.desiredProperties.notfound"),
    (("features", "f", "desiredProperties", "p"), "things:feature.desiredProperty.notfound"),
]


@pytest.mark.parametrize(("path", "code"), NOT_FOUND)
def test_deleting_a_missing_part_gives_dittos_notfound_code(path: Pointer, code: str) -> None:
    bare = thing({"thingId": TID, "policyId": "ns:p", "features": {"f": {}}} if len(path) > 2 else
                 {"thingId": TID, "policyId": "ns:p"})
    error = fails(bare, delete(path))
    assert error.code == code
    assert error.status == 404


@pytest.mark.parametrize("path", [("features", "missing", "definition"), ("features", "missing", "properties"),
                                  ("features", "missing", "properties", "p"),
                                  ("features", "missing", "desiredProperties"),
                                  ("features", "missing", "desiredProperties", "p")])
def test_deleting_a_part_of_a_missing_feature_is_feature_notfound(path: Pointer) -> None:
    # Ditto's Delete*Strategy looks the feature up first: ExceptionFactory.featureNotFound.
    error = fails(thing(), delete(path))
    assert error.code == "things:feature.notfound"
    assert error.status == 404


def test_delete_policy_id_is_not_deletable() -> None:
    error = fails(thing(), delete(("policyId",)))
    assert isinstance(error, PolicyIdNotDeletable)
    assert error.code == "things:policyId.notdeletable"
    assert error.status == 400


def test_deleting_the_thing_leaves_a_tombstone() -> None:
    applied = run(thing(revision=5), delete(()))
    assert not applied.created
    assert applied.thing == Thing(TID, {}, 6, T0, T2, deleted=True)
    assert applied.event == ThingEvent(TID, "deleted", (), None, 6, T2)
    assert not exists(applied.thing)


@pytest.mark.parametrize("command", [delete(()), delete(("attributes",)), modify(("attributes", "a"), 1),
                                     merge(("attributes",), {"a": 1})])
def test_a_tombstone_behaves_like_a_missing_thing(command: ThingCommand) -> None:
    tombstone = Thing(TID, {}, 6, T0, T1, deleted=True)
    assert isinstance(fails(tombstone, command), ThingNotAccessible)


@pytest.mark.parametrize("command", [modify((), {"attributes": {"a": 1}}), merge((), {"attributes": {"a": 1}})])
def test_recreating_after_delete_continues_the_revision_and_resets_created(command: ThingCommand) -> None:
    tombstone = run(thing(revision=5), delete(()), now=T2).thing
    applied = run(tombstone, command, now=T3)
    assert applied.created
    assert applied.thing.revision == 7
    assert applied.thing.created == T3
    assert applied.thing.modified == T3
    assert not applied.thing.deleted
    assert applied.thing.doc == {"thingId": TID, "policyId": TID, "attributes": {"a": 1}}
    assert applied.event.action == "created"
    assert applied.event.revision == 7


# --- size limit -----------------------------------------------------------------------------


def test_thing_over_max_size_is_too_large() -> None:
    body: JsonObject = {"attributes": {"blob": "x" * 200}}
    error = fails(None, modify((), body), max_size=100)
    assert isinstance(error, ThingTooLarge)
    assert error.code == "things:thing.toolarge"
    assert error.status == 413
    assert "'100'" in error.message


def test_size_limit_applies_to_the_resulting_thing_for_every_write() -> None:
    current = thing()
    limit = thing_size(current.doc) + 10
    run(current, modify(("attributes", "x"), "y"), max_size=limit)
    for command in (modify(("attributes", "x"), "y" * 20), merge(("attributes",), {"x": "y" * 20}),
                    modify(("features", "lamp", "properties", "big"), list(range(10)))):
        assert isinstance(fails(current, command, max_size=limit), ThingTooLarge)


def test_a_thing_of_exactly_max_size_is_accepted() -> None:
    doc = run(None, modify((), {})).thing.doc
    assert run(None, modify((), {}), max_size=thing_size(doc)).thing.doc == doc
    assert isinstance(fails(None, modify((), {}), max_size=thing_size(doc) - 1), ThingTooLarge)


def test_deletes_are_allowed_even_when_the_thing_is_over_the_limit() -> None:
    current = thing()
    small = thing_size(current.doc) - 1
    run(current, delete(("attributes", "serial")), max_size=small)
    run(current, delete(()), max_size=small)


def test_default_max_size_is_100k() -> None:
    assert DEFAULT_MAX_THING_SIZE == 100 * 1024


def _nested(levels: int) -> JsonValue:
    value: JsonValue = "leaf"
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("action", ["modify", "merge"])
def test_a_value_may_nest_the_thing_at_most_max_json_depth_levels_from_its_root(action: CommandAction) -> None:
    # {"attributes": {"x": V}}: the thing object and attributes are two levels, V the rest.
    current = thing()
    path = ("attributes", "x")
    applied = run(current, ThingCommand(action, TID, path, _nested(MAX_JSON_DEPTH - 2)))
    assert applied.thing.doc["attributes"]["x"] == _nested(MAX_JSON_DEPTH - 2)  # type: ignore[call-overload,index]
    error = fails(current, ThingCommand(action, TID, path, _nested(MAX_JSON_DEPTH - 1)))
    assert (error.code, error.status) == ("json.invalid", 400)
    assert f"limit of {MAX_JSON_DEPTH} levels" in error.message


def test_a_thing_stored_deeper_than_the_limit_can_still_be_changed_and_cleaned_up() -> None:
    # Stored before the limit existed (deeper than orjson writes): other parts change, the deep part goes.
    current = thing({**FULL_DOC, "attributes": {"deep": _nested(300), "serial": 42}})
    changed = run(current, modify(("attributes", "serial"), 43)).thing.doc["attributes"]
    assert isinstance(changed, dict) and changed["serial"] == 43
    cleaned = run(current, delete(("attributes", "deep"))).thing.doc["attributes"]
    assert cleaned == {"serial": 42}


def test_a_pointer_alone_may_not_nest_the_thing_deeper_than_the_limit() -> None:
    current = thing()
    run(current, modify(("attributes",) + ("a",) * (MAX_JSON_DEPTH - 1), 1))
    error = fails(current, modify(("attributes",) + ("a",) * MAX_JSON_DEPTH, 1))
    assert error.code == "json.invalid"
    error = fails(current, merge(("attributes",) + ("a",) * MAX_JSON_DEPTH, {"b": 1}))
    assert error.code == "json.invalid"


# --- if-equal -------------------------------------------------------------------------------


@pytest.mark.parametrize("if_equal", ["skip", "skip-minimizing-merge"])
@pytest.mark.parametrize("command_of", [
    lambda e: modify(("attributes", "serial"), 42, e),
    lambda e: modify(("features", "lamp", "properties"), {"on": True, "color": {"g": 2, "r": 1}}, e),
    lambda e: modify((), FULL_DOC, e),
    lambda e: merge(("attributes",), {"serial": 42}, e),
    lambda e: merge((), {"features": {"lamp": {"properties": {"on": True}}}}, e),
])
def test_if_equal_skip_rejects_a_write_that_changes_nothing(
        if_equal: IfEqual, command_of: Callable[[IfEqual], ThingCommand]) -> None:
    error = fails(thing(), command_of(if_equal))
    assert isinstance(error, ThingEqualitySkipped)
    assert error.code == "things:precondition.failed"
    assert error.status == 412


def test_if_equal_update_applies_a_write_that_changes_nothing() -> None:
    applied = run(thing(), modify(("attributes", "serial"), 42, "update"))
    assert applied.thing.revision == 4
    assert applied.event.action == "modified"


def test_if_equal_skip_applies_a_write_that_changes_something() -> None:
    applied = run(thing(), modify(("attributes", "serial"), 43, "skip"))
    assert applied.thing.doc["attributes"] == {"location": {"room": "kitchen"}, "serial": 43}


def test_if_equal_skip_tells_true_from_1() -> None:
    current = thing({"thingId": TID, "policyId": "ns:p", "attributes": {"flag": 1}})
    applied = run(current, modify(("attributes", "flag"), True, "skip"))
    assert applied.thing.doc["attributes"] == {"flag": True}


def test_if_equal_skip_does_not_apply_to_creating_the_thing() -> None:
    assert run(None, modify((), {}, "skip")).created


def test_if_equal_skip_keeps_the_whole_merge_patch_in_the_event() -> None:
    patch: JsonObject = {"serial": 42, "new": 1}
    applied = run(thing(), merge(("attributes",), patch, "skip"))
    assert applied.event.value == patch


def test_skip_minimizing_merge_strips_unchanged_members_from_the_events_patch() -> None:
    patch: JsonObject = {"attributes": {"serial": 42, "location": {"room": "kitchen", "floor": 1}, "gone": None},
                         "features": {"lamp": {"properties": {"on": True, "color": {"r": 9}}}}}
    applied = run(thing(), merge((), patch, "skip-minimizing-merge"))
    assert applied.event.value == {"attributes": {"location": {"floor": 1}},
                                   "features": {"lamp": {"properties": {"color": {"r": 9}}}}}
    assert applied.thing.doc == run(thing(), merge((), patch)).thing.doc


def test_skip_minimizing_merge_below_the_thing_minimizes_relative_to_the_path() -> None:
    applied = run(thing(), merge(("attributes",), {"serial": 42, "new": 1}, "skip-minimizing-merge"))
    assert applied.event.path == ("attributes",)
    assert applied.event.value == {"new": 1}


def test_skip_minimizing_merge_with_a_null_patch_deletes_an_existing_attribute() -> None:
    applied = run(thing(), merge(("attributes", "serial"), None, "skip-minimizing-merge"))
    assert "serial" not in applied.thing.doc["attributes"]  # type: ignore[operator]


# The issuer sees FULL_DOC without attributes/serial (its READ view).
HIDDEN_SERIAL: JsonObject = {**FULL_DOC, "attributes": {"location": {"room": "kitchen"}}}


@pytest.mark.parametrize("if_equal", ["skip", "skip-minimizing-merge"])
@pytest.mark.parametrize("command_of", [
    lambda e: modify(("attributes", "serial"), 42, e),
    lambda e: modify(("attributes",), {"location": {"room": "kitchen"}, "serial": 42}, e),
    lambda e: modify((), FULL_DOC, e),
    lambda e: merge(("attributes",), {"serial": 42}, e),
    lambda e: merge((), {"attributes": {"serial": 42, "location": {"room": "kitchen"}}}, e),
])
def test_if_equal_skip_is_not_decided_on_what_the_issuer_cannot_read(
        if_equal: IfEqual, command_of: Callable[[IfEqual], ThingCommand]) -> None:
    # the right guess of the hidden serial is applied (changing nothing), as a wrong guess would be
    applied = run(thing(), command_of(if_equal), visible=HIDDEN_SERIAL)
    assert applied.thing.revision == 4
    assert json_equal(applied.thing.doc, FULL_DOC)


@pytest.mark.parametrize("if_equal", ["skip", "skip-minimizing-merge"])
def test_if_equal_skip_still_skips_what_the_issuer_can_read(if_equal: IfEqual) -> None:
    for command in (modify(("attributes", "location"), {"room": "kitchen"}, if_equal),
                    merge((), {"attributes": {"location": {"room": "kitchen"}}}, if_equal)):
        assert isinstance(fails(thing(), command, visible=HIDDEN_SERIAL), ThingEqualitySkipped)


def test_skip_minimizing_merge_not_skipped_applies_the_patch_as_sent() -> None:
    applied = run(thing(), merge(("attributes",), {"serial": 42}, "skip-minimizing-merge"), visible=HIDDEN_SERIAL)
    assert applied.event.value == {"serial": 42}


def test_skip_minimizing_merge_with_a_null_patch_on_a_missing_attribute_is_skipped() -> None:
    assert isinstance(fails(thing(), merge(("attributes", "nope"), None, "skip-minimizing-merge")),
                      ThingEqualitySkipped)


# --- purity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["modify", "merge"])
def test_apply_never_mutates_the_command_value(action: str) -> None:
    value: JsonObject = {"attributes": {"serial": None, "a": {"b": 1}},
                         "features": {"lamp": {"properties": {"on": None, "p": [1]}}}}
    before = copy.deepcopy(value)
    run(thing(), ThingCommand(action, TID, (), value))  # type: ignore[arg-type]
    assert value == before


# --- journal replay -------------------------------------------------------------------------


def _events(current: Thing | None, commands: list[ThingCommand]) -> tuple[Thing | None, list[ThingEvent]]:
    events: list[ThingEvent] = []
    for index, command in enumerate(commands):
        applied = run(current, command, now=T0 + timedelta(seconds=index))
        current = applied.thing
        events.append(applied.event)
    return current, events


def _assert_same_thing(replayed: Thing | None, live: Thing | None) -> None:
    assert replayed is not None and live is not None
    assert (replayed.thing_id, replayed.revision, replayed.created, replayed.modified, replayed.deleted) == (
        live.thing_id, live.revision, live.created, live.modified, live.deleted)
    assert json_equal(replayed.doc, live.doc), (replayed.doc, live.doc)


def test_replay_of_a_created_modified_deleted_and_recreated_thing() -> None:
    live, events = _events(None, [
        modify((), {"attributes": {"a": 1}}),
        modify(("features", "f"), {"properties": {"p": 1}}),
        merge(("features", "f", "properties"), {"p": None, "q": 2}),
        delete(("attributes", "a")),
        delete(()),
        merge((), {"attributes": {"b": 2}}),
    ])
    replayed = replay(None, events)
    _assert_same_thing(replayed, live)
    assert replayed == live


@pytest.mark.parametrize("command", [modify(("attributes", "new"), 1), modify(("features", "new"), {}),
                                     modify(("features", "lamp", "properties", "new"), 1)])
def test_replay_keeps_created_when_an_event_creates_a_part(command: ThingCommand) -> None:
    live, events = _events(None, [modify((), FULL_DOC), command])
    assert live is not None and live.created == T0
    assert events[-1].action == "created"
    _assert_same_thing(replay(None, events), live)


def test_apply_event_on_a_tombstone_starts_from_an_empty_doc() -> None:
    tombstone = Thing(TID, {}, 4, T0, T1, deleted=True)
    event = ThingEvent(TID, "created", (), {"thingId": TID, "policyId": TID}, 5, T2)
    assert apply_event(tombstone, event) == Thing(TID, {"thingId": TID, "policyId": TID}, 5, T2, T2)


def test_replay_from_a_snapshot_continues_it() -> None:
    snapshot = thing(revision=3)
    live, events = _events(snapshot, [modify(("attributes", "x"), 1), delete(("attributes", "serial"))])
    _assert_same_thing(replay(snapshot, events), live)


def test_replay_of_nothing_is_the_snapshot() -> None:
    assert replay(None, []) is None
    snapshot = thing()
    assert replay(snapshot, []) is snapshot


def test_replay_drops_unknown_fields_of_a_merge_like_the_live_thing() -> None:
    live, events = _events(None, [modify((), {}), merge((), {"foo": 1, "attributes": {"a": 1}})])
    assert live is not None and "foo" not in live.doc
    _assert_same_thing(replay(None, events), live)


def test_replay_normalizes_merged_features_like_the_live_thing() -> None:
    live, events = _events(None, [modify((), {"features": {"f": {}}}),
                                  merge(("features", "f"), {"properties": {"p": 1}, "extra": True})])
    _assert_same_thing(replay(None, events), live)


# A small vocabulary keeps random commands colliding on the same keys so that sequences create,
# replace, merge into and delete the same parts. Bodies may carry fields Ditto ignores ("extra"),
# which the live write and the replay must both drop.
KEYS = st.sampled_from(["a", "b", "c"])
FEATURE_IDS = st.sampled_from(["f", "g"])
SCALARS = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["x", "y", 1.5])
PLAIN = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(KEYS, inner, max_size=3),
                     max_leaves=6)
OBJECTS = st.dictionaries(KEYS, PLAIN, max_size=3)
POLICY_IDS = st.sampled_from(["ns:p1", "ns:p2"])
DEFINITIONS = st.sampled_from(["a:b:1", "a:b:2", "https://example.com/tm.jsonld"])
FEATURE_DEFINITIONS = st.lists(DEFINITIONS, min_size=1, max_size=2, unique=True)
FEATURE = st.fixed_dictionaries({}, optional={"definition": FEATURE_DEFINITIONS, "properties": OBJECTS,
                                              "desiredProperties": OBJECTS, "extra": PLAIN})
FEATURES = st.dictionaries(FEATURE_IDS, FEATURE, max_size=2)
THING_BODY = st.fixed_dictionaries({}, optional={"policyId": POLICY_IDS, "definition": DEFINITIONS,
                                                 "attributes": OBJECTS, "features": FEATURES, "extra": PLAIN})


def _with_nulls(strategy: st.SearchStrategy[JsonValue]) -> st.SearchStrategy[JsonValue]:
    return st.none() | strategy


TARGETS: list[tuple[st.SearchStrategy[Pointer], st.SearchStrategy[Any]]] = [
    (st.just(()), THING_BODY),
    (st.just(("policyId",)), POLICY_IDS),
    (st.just(("definition",)), DEFINITIONS),
    (st.just(("attributes",)), OBJECTS),
    (st.lists(KEYS, min_size=1, max_size=3).map(lambda keys: ("attributes", *keys)), PLAIN),
    (st.just(("features",)), FEATURES),
    (FEATURE_IDS.map(lambda f: ("features", f)), FEATURE),
    (FEATURE_IDS.map(lambda f: ("features", f, "definition")), FEATURE_DEFINITIONS),
    (st.tuples(FEATURE_IDS, st.sampled_from(["properties", "desiredProperties"])).map(lambda t: ("features", *t)),
     OBJECTS),
    (st.tuples(FEATURE_IDS, st.sampled_from(["properties", "desiredProperties"]), st.lists(KEYS, min_size=1,
                                                                                           max_size=2))
     .map(lambda t: ("features", t[0], t[1], *t[2])), PLAIN),
]


@st.composite
def commands(draw: st.DrawFn) -> ThingCommand:
    path_strategy, value_strategy = draw(st.sampled_from(TARGETS))
    path = draw(path_strategy)
    action = draw(st.sampled_from(["modify", "merge", "delete"]))
    if_equal = draw(st.sampled_from(["update", "skip", "skip-minimizing-merge"]))
    if action == "delete":
        return ThingCommand("delete", TID, path)
    value = draw(_with_nulls(value_strategy)) if action == "merge" else draw(value_strategy)
    return ThingCommand(action, TID, path, value, if_equal)  # type: ignore[arg-type]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(THING_BODY, st.lists(commands(), min_size=1, max_size=12))
def test_replaying_the_events_rebuilds_the_thing_the_commands_produced(
        body: JsonObject, command_list: list[ThingCommand]) -> None:
    current: Thing | None = None
    events: list[ThingEvent] = []
    for index, command in enumerate([modify((), body), *command_list]):
        try:
            applied = run(current, command, now=T0 + timedelta(seconds=index))
        except TwinhubError:
            continue  # a refused command changes nothing and writes no event
        current = applied.thing
        events.append(applied.event)
        assert applied.event.revision == len(events)
        _assert_same_thing(replay(None, events), current)
    if current is None:
        assert replay(None, events) is None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(THING_BODY, st.lists(commands(), min_size=1, max_size=12))
def test_the_policy_id_followed_through_the_events_is_the_things(
        body: JsonObject, command_list: list[ThingCommand]) -> None:
    current: Thing | None = None
    policy_id: str | None = None
    for index, command in enumerate([modify((), body), *command_list, delete(()), merge((), body)]):
        try:
            applied = run(current, command, now=T0 + timedelta(seconds=index))
        except TwinhubError:
            continue
        current = applied.thing
        policy_id = policy_id_after(policy_id, applied.event)
        assert policy_id == (current.doc["policyId"] if exists(current) else None)


def test_a_migration_is_a_merge_whose_event_is_migrated_and_replays_as_one() -> None:
    """Ditto's MigrateThingDefinitionStrategy publishes `ThingDefinitionMigrated` with the patch as a thing with its
    id; ThingDefinitionMigratedStrategy merges that thing into the thing when the journal is replayed. A migration
    patch changes the thing exactly as the same merge, nulls included."""
    patch: JsonObject = {"definition": "https://models/lamp-2.tm.jsonld", "attributes": {"serial": None, "v": 2}}
    migrated = run(thing(), ThingCommand("merge", TID, (), patch, migrates=True))
    merged = run(thing(), ThingCommand("merge", TID, (), patch))
    assert migrated.thing == merged.thing
    assert (migrated.event.action, migrated.event.path) == ("migrated", ())
    assert migrated.event.value == {"thingId": TID, **patch}
    assert isinstance(migrated.event.value, dict) and next(iter(migrated.event.value)) == "thingId"
    assert apply_event(thing(), migrated.event) == migrated.thing
    assert policy_id_after(TID, migrated.event) == TID
    moved = run(thing(), ThingCommand("merge", TID, (), {"policyId": "org.example:other"}, migrates=True))
    assert policy_id_after(TID, moved.event) == "org.example:other"
