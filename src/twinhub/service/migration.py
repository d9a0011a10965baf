"""`POST /things/{thingId}/migrateDefinition` (Ditto 3.7+): move a thing to another Thing Model.

Ditto: `things/service/.../strategies/commands/MigrateThingDefinitionStrategy.java`. Authorized as a write of
the whole thing (Ditto enforces it like any modify command at `/`); the patch (`twinhub.wot.migration`, on the
new model's skeleton as things are created with) is checked against the new model and, unless a dry run,
merged into the thing through the one write path, into the revision it was computed from only (Ditto computes
it in the thing's actor): a write meanwhile has the patch computed again, so that neither a patch condition nor
a default filling what was missing acts on a stale thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from twinhub.model.commands import ThingCommand, exists
from twinhub.model.errors import (
    SkeletonGenerationFailed,
    ThingNotAccessible,
    ThingPreconditionFailed,
    ThingTooManyModifying,
)
from twinhub.model.etag import NO_PRECONDITIONS, Preconditions, check_preconditions, revision_tag
from twinhub.model.events import NO_HEADERS, EventHeaders, Thing
from twinhub.model.fields import parse_fields
from twinhub.model.merge import merge_patch
from twinhub.model.thing import SPECIAL_FIELDS
from twinhub.model.types import JsonObject, JsonValue
from twinhub.service.conditions import parse_condition
from twinhub.service.enforcement import authorize_write
from twinhub.service.model_validation import ModelValidator
from twinhub.service.patch_conditions import PatchCondition, filter_patch
from twinhub.service.skeletons import SkeletonSource
from twinhub.service.things import ThingService
from twinhub.service.views import with_special_fields
from twinhub.wot.migration import (
    Migration,
    definitions_of,
    migration_patch,
    parse_migration,
    remove_conflicts,
    resolve_placeholders,
)

__all__ = ["DefinitionMigration", "Migrated"]

# Placeholders see the thing as Ditto's `Thing.toJson(FieldType.all())`: with `_revision`, `_modified`, ...
ALL_SPECIAL_FIELDS = parse_fields(",".join(SPECIAL_FIELDS))
MAX_ATTEMPTS = 5  # a migration computed again this often when other writes keep changing the thing meanwhile


@dataclass(frozen=True, slots=True)
class Migrated:
    """What a migration did or would do: the merge patch, whether it was applied, the thing's new ETag."""

    thing_id: str
    patch: JsonObject
    applied: bool
    etag: str | None = None


class DefinitionMigration:
    def __init__(self, things: ThingService, skeletons: SkeletonSource, validator: ModelValidator | None, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._things = things
        self._skeletons = skeletons
        self._validator = validator
        self._clock = clock

    async def migrate(self, thing_id: str, body: JsonValue, subjects: tuple[str, ...], *, dry_run: bool,
                      headers: EventHeaders = NO_HEADERS,
                      preconditions: Preconditions = NO_PRECONDITIONS) -> Migrated:
        """Migrate the thing as `body` asks (a dry run only computes and checks the patch). Raises the 400s of
        `parse_migration`, 404 for a thing the subjects cannot read, 403 without WRITE on the whole thing,
        `things:condition.invalid` for a patch condition that is no RQL, `placeholder:unresolved` for a
        `thing-json` placeholder naming nothing, `wot:skeleton.generation.failed` when the new model gives no
        skeleton (cannot be fetched or resolved), and `wot:payload.validation.error` when the migrated thing
        would break the new model; 412 when `preconditions` (If-Match / If-None-Match on the thing's ETag, as
        Ditto's `previousEntityTag`) fail."""
        migration = parse_migration(body)
        conditions = tuple(PatchCondition(pointer, parse_condition(text)) for pointer, text in migration.conditions)
        skeleton: JsonObject | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            thing = await self._things.current(thing_id)
            if thing is None or not exists(thing):
                raise ThingNotAccessible(thing_id)
            enforcer = await self._things.command_enforcer(thing_id, modifying=True)  # 403 too when its policy is gone
            authorize_write(enforcer, subjects, ThingCommand("modify", thing_id, (), {}))
            tag = revision_tag(thing.revision)
            check_preconditions(if_match=preconditions.if_match, if_none_match=preconditions.if_none_match,
                                current=tag, is_read=False)
            if skeleton is None:  # only for a caller that may migrate the thing
                skeleton = await self._skeleton(migration.definition_url)
            patch = self._patch(migration, conditions, skeleton, thing)
            command = ThingCommand("merge", thing_id, (), patch, migrates=True)  # its event: `migrated`
            if dry_run:
                if self._validator is not None:
                    preview = merge_patch(thing.doc, patch)
                    await self._validator.check_write(command, thing.doc,
                                                      preview if isinstance(preview, dict) else None, headers)
                return Migrated(thing_id, patch, applied=False)
            try:  # the patch was computed from this revision: merged only into it, else computed again
                executed = await self._things.execute(command, subjects, headers=headers,
                                                      preconditions=Preconditions(if_match=tag))
            except ThingPreconditionFailed:
                if attempt == MAX_ATTEMPTS:
                    raise ThingTooManyModifying(thing_id) from None
                continue
            return Migrated(thing_id, patch, applied=True, etag=executed.etag)
        raise AssertionError("unreachable")

    async def _skeleton(self, url: str) -> JsonObject:
        skeleton = await self._skeletons.thing_skeleton(url)
        if skeleton is None:
            raise SkeletonGenerationFailed(url)
        return {**skeleton, "definition": url}

    def _patch(self, migration: Migration, conditions: tuple[PatchCondition, ...], skeleton: JsonObject,
               thing: Thing) -> JsonObject:
        """The merge patch migrating `thing`: its conditions and placeholders evaluated on it, the skeleton's
        defaults under the payload (only where the thing has nothing, when asked)."""
        payload = filter_patch(migration.payload, conditions, thing, self._clock())
        payload = resolve_placeholders(payload, with_special_fields(thing, thing.doc, ALL_SPECIAL_FIELDS))
        assert isinstance(payload, dict)
        base = remove_conflicts(skeleton, thing.doc) if migration.initialize_defaults else definitions_of(skeleton)
        return migration_patch(base, payload)
