"""`POST /things/{thingId}/migrateDefinition` (Ditto 3.7+): move a thing to another Thing Model.

Ditto: `things/service/.../strategies/commands/MigrateThingDefinitionStrategy.java`. Authorized as a write of
the whole thing (Ditto enforces it like any modify command at `/`); the patch (`twinhub.wot.migration`) is
checked against the new model and, unless a dry run, merged into the thing through the one write path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from twinhub.model.commands import ThingCommand, exists
from twinhub.model.errors import ThingNotAccessible
from twinhub.model.events import NO_HEADERS, EventHeaders
from twinhub.model.fields import parse_fields
from twinhub.model.merge import merge_patch
from twinhub.model.thing import SPECIAL_FIELDS
from twinhub.model.types import JsonObject, JsonValue
from twinhub.service.conditions import parse_condition
from twinhub.service.enforcement import authorize_write
from twinhub.service.model_validation import ModelResolver, ModelValidator
from twinhub.service.patch_conditions import PatchCondition, filter_patch
from twinhub.service.things import ThingService
from twinhub.service.views import with_special_fields
from twinhub.wot.migration import (
    definitions_skeleton,
    migration_patch,
    parse_migration,
    remove_conflicts,
    resolve_placeholders,
)

__all__ = ["DefinitionMigration", "Migrated", "SkeletonSource"]

# Placeholders see the thing as Ditto's `Thing.toJson(FieldType.all())`: with `_revision`, `_modified`, ...
ALL_SPECIAL_FIELDS = parse_fields(",".join(SPECIAL_FIELDS))


class SkeletonSource:
    """The skeleton of a new thing of a model, with the model's defaults (`initializeMissingPropertiesFromDefaults`):
    here the thing's definitions and each property's `default`, thing properties as attributes and submodels as
    features."""

    def __init__(self, resolver: ModelResolver) -> None:
        self._resolver = resolver

    async def skeleton(self, url: str, model: JsonObject) -> JsonObject:
        skeleton = definitions_skeleton(url, model)
        attributes = _defaults(model)
        if attributes:
            skeleton["attributes"] = attributes
        features = skeleton.get("features")
        if isinstance(features, dict):
            for feature in features.values():
                assert isinstance(feature, dict) and isinstance(feature["definition"], list)
                properties = _defaults(await self._resolver.resolve(str(feature["definition"][0])))
                if properties:
                    feature["properties"] = properties
        return skeleton


def _defaults(model: JsonObject) -> JsonObject:
    found = model.get("properties")
    if not isinstance(found, dict):
        return {}
    return {name: schema["default"] for name, schema in found.items()
            if isinstance(schema, dict) and "default" in schema}


@dataclass(frozen=True, slots=True)
class Migrated:
    """What a migration did or would do: the merge patch, whether it was applied, the thing's new ETag."""

    thing_id: str
    patch: JsonObject
    applied: bool
    etag: str | None = None


class DefinitionMigration:
    def __init__(self, things: ThingService, resolver: ModelResolver, validator: ModelValidator | None, *,
                 skeletons: SkeletonSource | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._things = things
        self._resolver = resolver
        self._validator = validator
        self._skeletons = skeletons or SkeletonSource(resolver)
        self._clock = clock

    async def migrate(self, thing_id: str, body: JsonValue, subjects: tuple[str, ...], *, dry_run: bool,
                      headers: EventHeaders = NO_HEADERS) -> Migrated:
        """Migrate the thing as `body` asks (a dry run only computes and checks the patch). Raises the 400s of
        `parse_migration`, 404 for a thing the subjects cannot read, 403 without WRITE on the whole thing,
        `things:condition.invalid` for a patch condition that is no RQL, `placeholder:unresolved` for a
        `thing-json` placeholder naming nothing, the model resolver's errors, and `wot:payload.validation.error`
        when the migrated thing would break the new model."""
        migration = parse_migration(body)
        conditions = tuple(PatchCondition(pointer, parse_condition(text)) for pointer, text in migration.conditions)
        thing = await self._things.current(thing_id)
        if thing is None or not exists(thing):
            raise ThingNotAccessible(thing_id)
        whole = ThingCommand("modify", thing_id, (), {})
        authorize_write(await self._things.enforcer(thing), subjects, whole)
        payload = filter_patch(migration.payload, conditions, thing, self._clock())
        assert isinstance(payload, dict)
        payload = resolve_placeholders(payload, with_special_fields(thing, thing.doc, ALL_SPECIAL_FIELDS))
        assert isinstance(payload, dict)
        model = await self._resolver.resolve(migration.definition_url)
        if migration.initialize_defaults:
            base = remove_conflicts(await self._skeletons.skeleton(migration.definition_url, model), thing.doc)
        else:
            base = definitions_skeleton(migration.definition_url, model)
        patch = migration_patch(base, payload)
        command = ThingCommand("merge", thing_id, (), patch)
        if dry_run:
            if self._validator is not None:
                preview = merge_patch(thing.doc, patch)
                await self._validator.check_write(command, thing.doc, preview if isinstance(preview, dict) else None)
            return Migrated(thing_id, patch, applied=False)
        executed = await self._things.execute(command, subjects, headers=headers)
        return Migrated(thing_id, patch, applied=True, etag=executed.etag)
