"""`migrateDefinition` (Ditto 3.7+), pure: the request, and the merge patch that moves a thing to a new model.

Ditto: `things/model/.../MigrateThingDefinition.java` (the request), `things/service/.../strategies/commands/
MigrateThingDefinitionStrategy.java` (the patch: the new model's skeleton, reduced to its definitions unless
`initializeMissingPropertiesFromDefaults`, under the `migrationPayload` with its `{{ thing-json:<pointer> }}`
placeholders resolved against the current thing and the parts whose `patchConditions` fail cut away).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from twinhub.model.errors import (
    JsonFieldMissing,
    JsonParseInvalid,
    PlaceholderUnresolved,
    SkeletonGenerationFailed,
)
from twinhub.model.pointer import get_at, parse_pointer
from twinhub.model.types import MISSING, JsonObject, JsonValue, Pointer
from twinhub.wot.validation.model_parts import is_model_url

__all__ = ["Migration", "definitions_of", "migration_patch", "parse_migration", "remove_conflicts",
           "resolve_placeholders"]


@dataclass(frozen=True, slots=True)
class Migration:
    """A `migrateDefinition` request: the new model's URL, the payload merged on top, the conditions (pointer
    into the payload -> RQL) under which its parts apply, and whether to fill in the model's defaults."""

    definition_url: str
    payload: JsonObject
    conditions: tuple[tuple[Pointer, str], ...]
    initialize_defaults: bool


def parse_migration(body: JsonValue) -> Migration:
    """The request in `body`; raises Ditto's 400s: `json.field.missing` without `thingDefinitionUrl`, `json.invalid`
    for a field of the wrong type, `wot:skeleton.generation.failed` for a definition that is no model URL."""
    if not isinstance(body, dict):
        raise JsonParseInvalid("The migrateDefinition payload must be a JSON object.")
    url = body.get("thingDefinitionUrl", MISSING)
    if url is MISSING:
        raise JsonFieldMissing("JSON did not include required </thingDefinitionUrl> field!")
    payload = body.get("migrationPayload", {})
    conditions = body.get("patchConditions", {})
    initialize = body.get("initializeMissingPropertiesFromDefaults", False)
    for name, value, kind in (("thingDefinitionUrl", url, str), ("migrationPayload", payload, dict),
                              ("patchConditions", conditions, dict), ("initializeMissingPropertiesFromDefaults",
                                                                      initialize, bool)):
        if not isinstance(value, kind):
            raise JsonParseInvalid(f"Value <{str(value)[:100]}> for <{name}> is not of type <{kind.__name__}>!")
    assert isinstance(url, str) and isinstance(payload, dict) and isinstance(conditions, dict)
    if not is_model_url(url):
        raise SkeletonGenerationFailed(url)
    parsed: list[tuple[Pointer, str]] = []
    for key, condition in conditions.items():
        if not isinstance(condition, str):
            raise JsonParseInvalid(f"Value <{str(condition)[:100]}> for <patchConditions/{key}> is not of type "
                                   "<string>!")
        parsed.append((parse_pointer(key.removeprefix("thing:")), condition))
    return Migration(url, payload, tuple(parsed), bool(initialize))


def definitions_of(skeleton: JsonObject) -> JsonObject:
    """What the migration sets without defaults: the skeleton's definition and its features with their
    definitions only (Ditto `MigrateThingDefinitionStrategy.extractDefinitions`)."""
    reduced: JsonObject = {"definition": skeleton.get("definition")}
    features = skeleton.get("features")
    if isinstance(features, dict) and features:
        reduced["features"] = {feature_id: {"definition": feature["definition"]}
                               if isinstance(feature, dict) and "definition" in feature else {}
                               for feature_id, feature in features.items()}
    return reduced


def remove_conflicts(defaults: JsonObject, existing: JsonObject) -> JsonObject:
    """The defaults not already set in `existing` (objects compared key by key), keeping every `definition`
    (Ditto `MigrateThingDefinitionStrategy.removeConflicts`)."""
    kept: JsonObject = {}
    for key, value in defaults.items():
        if "definition" in key:
            kept[key] = value
            continue
        if key in existing:
            current = existing[key]
            if isinstance(value, dict) and isinstance(current, dict):
                nested = remove_conflicts(value, current)
                if nested:
                    kept[key] = nested
        elif not (isinstance(value, dict) and not value):
            kept[key] = value
    return kept


_PLACEHOLDER = re.compile(r"\{\{\s*thing-json:\s*([^}|]*?)\s*}}")


def resolve_placeholders(value: JsonValue, thing: JsonObject) -> JsonValue:
    """`value` with `{{ thing-json:<pointer> }}` replaced by what the thing holds there: a string that is one
    placeholder becomes the value itself (its JSON type kept), others have the values spliced in as text;
    raises PlaceholderUnresolved (400) for a pointer to nothing."""
    if isinstance(value, dict):
        return {key: resolve_placeholders(item, thing) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_placeholders(item, thing) for item in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = _PLACEHOLDER.fullmatch(value.strip())
    if whole is not None:
        return _lookup(whole.group(1), thing)

    def text(match: re.Match[str]) -> str:
        found = _lookup(match.group(1), thing)
        return found if isinstance(found, str) else str(found).lower() if isinstance(found, bool) else str(found)

    return _PLACEHOLDER.sub(text, value)


def _lookup(pointer: str, thing: JsonObject) -> JsonValue:
    found = get_at(thing, parse_pointer(pointer))
    if found is MISSING:
        raise PlaceholderUnresolved("{{ thing-json:" + pointer + " }}")
    return found


def migration_patch(base: JsonObject, payload: JsonObject) -> JsonObject:
    """The merge patch of a migration: `payload` deep-merged over `base` (payload wins; Ditto
    `JsonFactory.newObject(migrationPayload, thingJson)`)."""
    merged = dict(base)
    for key, value in payload.items():
        current = merged.get(key)
        merged[key] = migration_patch(current, value) \
            if isinstance(current, dict) and isinstance(value, dict) else value
    return merged
