"""migrateDefinition, pure (Ditto `MigrateThingDefinition.java`, `MigrateThingDefinitionStrategy.java`)."""

from __future__ import annotations

import pytest

from twinhub.model.errors import JsonFieldMissing, JsonParseInvalid, PlaceholderUnresolved, SkeletonGenerationFailed
from twinhub.wot.migration import (
    definitions_of,
    migration_patch,
    parse_migration,
    remove_conflicts,
    resolve_placeholders,
)

URL = "https://models.example.com/lamp-2.0.0.tm.jsonld"


def test_the_request_takes_dittos_fields_and_defaults() -> None:
    migration = parse_migration({"thingDefinitionUrl": URL})
    assert (migration.payload, migration.conditions, migration.initialize_defaults) == ({}, (), False)
    migration = parse_migration({"thingDefinitionUrl": URL, "patchConditions": {"thing:/attributes/a": "exists(a)"},
                                 "initializeMissingPropertiesFromDefaults": True})
    assert migration.conditions == ((("attributes", "a"), "exists(a)"),)
    assert migration.initialize_defaults


@pytest.mark.parametrize(("body", "error"), [
    ({}, JsonFieldMissing), ([], JsonParseInvalid), ({"thingDefinitionUrl": 1}, JsonParseInvalid),
    ({"thingDefinitionUrl": URL, "patchConditions": {"a": 1}}, JsonParseInvalid),
    ({"thingDefinitionUrl": URL, "initializeMissingPropertiesFromDefaults": "yes"}, JsonParseInvalid),
    ({"thingDefinitionUrl": "ns:lamp:1"}, SkeletonGenerationFailed)])
def test_bad_requests_are_refused(body: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_migration(body)  # type: ignore[arg-type]


def test_without_defaults_only_the_skeletons_definitions_are_kept() -> None:
    skeleton = {"definition": URL, "attributes": {"a": 1},
                "features": {"s": {"definition": ["https://m/s.tm.jsonld", "https://m/base.tm.jsonld"],
                                   "properties": {"p": 0}}}}
    assert definitions_of(skeleton) == {
        "definition": URL, "features": {"s": {"definition": ["https://m/s.tm.jsonld", "https://m/base.tm.jsonld"]}}}


def test_defaults_already_set_are_left_out_but_definitions_kept() -> None:
    defaults = {"definition": URL, "attributes": {"a": 1, "b": 2, "c": {}},
                "features": {"f": {"definition": ["x"], "properties": {"p": 0}}}}
    existing = {"definition": "old", "attributes": {"a": 5}, "features": {"f": {"properties": {"p": 3}}}}
    assert remove_conflicts(defaults, existing) == {"definition": URL, "attributes": {"b": 2},
                                                    "features": {"f": {"definition": ["x"]}}}


def test_placeholders_keep_types_alone_and_splice_text_inside() -> None:
    thing = {"attributes": {"n": 3, "on": True, "s": "x"}}
    value = {"a": "{{ thing-json:attributes/n }}",
             "b": "n={{thing-json:attributes/n}}, on={{ thing-json:attributes/on }}",
             "c": ["{{ thing-json:attributes/s }}"], "d": 1}
    assert resolve_placeholders(value, thing) == {"a": 3, "b": "n=3, on=true", "c": ["x"], "d": 1}
    with pytest.raises(PlaceholderUnresolved):
        resolve_placeholders("{{ thing-json:attributes/none }}", thing)


def test_the_payload_wins_over_the_skeleton_deeply() -> None:
    assert migration_patch({"definition": URL, "features": {"f": {"definition": ["x"]}}},
                           {"features": {"f": {"properties": {"p": 1}}}, "attributes": {"a": 1}}) == {
        "definition": URL, "features": {"f": {"definition": ["x"], "properties": {"p": 1}}}, "attributes": {"a": 1}}
