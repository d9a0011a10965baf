"""The thing service: the one write path (authorize -> load -> apply -> commit -> publish) and reads.

Commands on one thing run one at a time, in arrival order, and meet other things' in the store's group
commit (`EntityWriter`). Hot things are served from a least-recently-used cache bounded in entries and in
bytes, that the write path keeps exact; a thing not cached is read with its policy in one round trip.
"""

# size: the one write path and the reads the cache it keeps exact serves; what a write checks (enforcement,
# creation, conditions, models) and what it answers (thing_answers) live beside it
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from twinhub.bus.base import EventBus
from twinhub.history import HistoryRules, Point, changed_points
from twinhub.model.commands import DEFAULT_MAX_THING_SIZE, ThingCommand, apply, exists, replay
from twinhub.model.errors import (
    PolicyNotAccessible,
    ThingHistoryNotFound,
    ThingNotAccessible,
    ThingNotCreatable,
    ThingTooManyModifying,
    TwinhubError,
)
from twinhub.model.etag import NO_PRECONDITIONS, Preconditions, check_preconditions, hash_tag, revision_tag
from twinhub.model.events import (
    NO_HEADERS,
    EventHeaders,
    JournalEntry,
    Thing,
    ThingWrite,
    thing_document,
    thing_from_document,
)
from twinhub.model.headers import historical_point
from twinhub.model.ids import parse_policy_id
from twinhub.model.live import LiveMessage, LiveResponse
from twinhub.model.metadata import MetadataHeaders
from twinhub.model.pointer import get_at
from twinhub.model.policy import READ, WRITE
from twinhub.model.resources import classify, missing_part
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing, Pointer
from twinhub.policy import Enforcer
from twinhub.service.announcement_plans import announcement_changes
from twinhub.service.compact_cache import CompactCache
from twinhub.service.conditions import Condition, check_condition, require_readable_condition
from twinhub.service.creation import changed_policy_id, plan_creation, refuse_inline_policy, thing_policy_id
from twinhub.service.enforcement import (
    authorize_write,
    condition_view,
    ensure_readable,
    metadata_view,
    policy_gone,
    readable_view,
    with_metadata,
)
from twinhub.service.historical import HistoryAccess
from twinhub.service.model_validation import ModelValidator, links_model
from twinhub.service.patch_conditions import PatchCondition, filter_patch
from twinhub.service.policies import PolicyService
from twinhub.service.skeletons import SkeletonSource, creates, skeleton_candidate, with_skeleton
from twinhub.service.thing_answers import Executed, Retrieved, entity_tag
from twinhub.service.writer import DEFAULT_MAX_PENDING_PER_ENTITY, EntityWriter
from twinhub.store.base import Store
from twinhub.store.commit import Commit
from twinhub.store.index import thing_index_change

log = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 100_000
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_PENDING_PER_THING = DEFAULT_MAX_PENDING_PER_ENTITY  # Ditto's per-thing mailbox capacity
RECORD_EVERY_LEAF = HistoryRules()
_Answer = TypeVar("_Answer")  # a live response, or why none came


class ThingService:
    def __init__(self, store: Store, bus: EventBus, policies: PolicyService, *,
                 max_thing_size: int = DEFAULT_MAX_THING_SIZE,
                 cache_size: int = DEFAULT_CACHE_SIZE, cache_bytes: int = DEFAULT_CACHE_BYTES,
                 max_pending_per_thing: int = DEFAULT_MAX_PENDING_PER_THING,
                 history_rules: HistoryRules = RECORD_EVERY_LEAF,
                 model_validator: ModelValidator | None = None,
                 skeletons: SkeletonSource | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._history_rules = history_rules
        self._writer = EntityWriter(store, bus, too_many=ThingTooManyModifying, forget=self._forget,
                                    remember=self._remember_commit, max_pending=max_pending_per_thing)
        self._policies = policies
        self._max_thing_size = max_thing_size
        self._cache = CompactCache(thing_from_document, max_entries=cache_size, max_bytes=cache_bytes,
                                   keep=thing_document)
        self._clock = clock
        self._model_validator = model_validator  # None: WoT Thing Model validation is off
        self._point_listeners: list[Callable[[tuple[Point, ...]], None]] = []
        self._skeletons = skeletons

    # -- reads -------------------------------------------------------------------------------------

    async def retrieve(self, thing_id: str, path: Pointer, subjects: tuple[str, ...], *,
                       preconditions: Preconditions = NO_PRECONDITIONS,
                       condition: Condition | None = None, metadata: bool = False) -> Retrieved:
        """The readable part of the current thing at `path` (with its readable metadata if `metadata`); raises
        Ditto's 404s, 412 or 304."""
        classify(path)
        thing = await self._load(thing_id)
        if not exists(thing):
            raise ThingNotAccessible(thing_id)
        assert thing is not None
        enforcer = await self.enforcer(thing)
        if enforcer is None:
            raise policy_gone(thing, modifying=False)
        return self._read(thing, path, subjects, enforcer, preconditions, condition, metadata)

    async def retrieve_many(self, thing_ids: Sequence[str], subjects: tuple[str, ...], *,
                            metadata: bool = False) -> list[tuple[Thing, JsonObject]]:
        """Each of the things the subjects may READ, in the order asked, with their views (and readable
        `_metadata` if `metadata`: only a selection of it pays for it); the others (unknown or unreadable) are
        left out, as Ditto's RetrieveThings leaves them out."""
        found: list[tuple[Thing, JsonObject]] = []
        for thing_id in thing_ids:
            try:
                retrieved = await self.retrieve(thing_id, (), subjects, metadata=metadata)
            except TwinhubError as error:
                if error.status == 404:
                    continue
                raise
            view = retrieved.value if isinstance(retrieved.value, dict) else {}
            found.append((retrieved.thing, with_metadata(view, retrieved.metadata)))
        return found

    async def retrieve_historical(self, thing_id: str, path: Pointer, subjects: tuple[str, ...], *,
                                  revision: int | None = None, timestamp: datetime | None = None,
                                  metadata: bool = False) -> Retrieved:
        """The readable part at `path` of the thing as it was at `revision` or at `timestamp`, in its current
        life and through the policies `twinhub.service.historical` names; raises ThingHistoryNotFound (404)
        for a revision before the current life, of a deleted thing, or that the caller may not read."""
        classify(path)
        at = historical_point(revision, timestamp)
        current = await self._load(thing_id)
        now = await self.enforcer(current) if exists(current) and current is not None else None
        if current is None or now is None:
            raise ThingHistoryNotFound(thing_id, at)
        thing = await self.historical(thing_id, revision=revision, timestamp=timestamp)
        if thing is None or thing.deleted or (revision is not None and thing.revision != revision) \
                or thing.revision < await self._store.life_start(thing_id):
            raise ThingHistoryNotFound(thing_id, at)
        enforcer = await self.history_access(current, now).enforcer_at(thing.doc.get("policyId"), thing.modified)
        if enforcer is None or not enforcer.has_partial(subjects, "thing", (), [READ]):
            raise ThingHistoryNotFound(thing_id, at)
        return self._read(thing, path, subjects, enforcer, NO_PRECONDITIONS, metadata=metadata)

    def _read(self, thing: Thing, path: Pointer, subjects: tuple[str, ...], enforcer: Enforcer | None,
              preconditions: Preconditions, condition: Condition | None = None, metadata: bool = False) -> Retrieved:
        enforcer = ensure_readable(enforcer, subjects, thing.thing_id, path)
        if condition is not None:
            require_readable_condition((condition,), enforcer, subjects, thing.thing_id)
        value = thing.doc if not path else get_at(thing.doc, path)
        if value is MISSING:  # as Ditto: a missing resource is 404 whatever the conditional headers say
            raise missing_part(thing.doc, thing.thing_id, path)
        view = readable_view(enforcer, subjects, thing.thing_id, path, value)  # 404 when none of it is readable
        tag = revision_tag(thing.revision) if not path else hash_tag(view)
        check_preconditions(if_match=preconditions.if_match, if_none_match=preconditions.if_none_match,
                            current=tag, is_read=True)
        if condition is not None:
            root = condition_view(enforcer, subjects, thing)
            check_condition(condition, thing, root, self._clock())
        readable = metadata_view(enforcer, subjects, thing.metadata) if metadata and thing.metadata else None
        return Retrieved(thing, view, tag, readable)

    async def view(self, thing: Thing, subjects: tuple[str, ...]) -> JsonObject:
        """What the subjects may READ of `thing` (as GET shows it, with its readable `_metadata` for a `fields`
        selection to keep or drop: see `twinhub.service.views`); 404 when nothing."""
        enforcer = ensure_readable(await self.enforcer(thing), subjects, thing.thing_id, ())
        view = readable_view(enforcer, subjects, thing.thing_id, (), thing.doc)
        view = view if isinstance(view, dict) else {"thingId": thing.thing_id}
        return with_metadata(view, metadata_view(enforcer, subjects, thing.metadata)) if thing.metadata else view

    async def command_enforcer(self, thing_id: str, *, modifying: bool) -> Enforcer:
        """The enforcer a command on the existing thing `thing_id` is checked with (a live one too, as Ditto's
        ThingEnforcerActor serves both): 404 `things:thing.notfound` when there is no such thing, and the errors of
        `policy_gone` when its policy is gone."""
        thing = await self._load(thing_id)
        if thing is None or not exists(thing):
            raise ThingNotAccessible(thing_id)
        enforcer = await self.enforcer(thing)
        if enforcer is None:
            raise policy_gone(thing, modifying=modifying)
        return enforcer

    async def enforcer(self, thing: Thing | str) -> Enforcer | None:
        """The enforcer of a thing's policy, for the thing given or for the current thing of that id; None
        when the thing does not exist (or is a tombstone), names no policy, or its policy is missing."""
        if isinstance(thing, str):
            loaded = await self._load(thing)
            if loaded is None:
                return None
            thing = loaded
        policy_id = thing.doc.get("policyId")  # a tombstone names none
        if not isinstance(policy_id, str):
            return None
        return await self._policies.enforcer(policy_id, namespace=thing.thing_id.split(":", 1)[0])

    # -- unchecked accessors for the event hub (they answer whoever asks: callers enforce) -------------

    async def current(self, thing_id: str, *, min_revision: int = 0) -> Thing | None:
        """The thing as last committed (a tombstone if deleted, None if the id was never used); a cached
        copy older than `min_revision` (another worker wrote since) is reloaded from the store."""
        thing = await self._load(thing_id)
        if thing is not None and thing.revision >= min_revision:
            return thing
        self.forget_older(thing_id, min_revision)
        return await self._load(thing_id)

    async def historical(self, thing_id: str, *, revision: int | None = None,
                         timestamp: datetime | None = None) -> Thing | None:
        """The thing as it was at `revision` / `timestamp` (its latest revision up to them), replayed from
        the journal; None when it had no revision by then."""
        entries = await self._store.journal(thing_id, to_revision=revision, to_timestamp=timestamp)
        snapshot = entries[0].snapshot if entries else None
        events = [entry.event for entry in entries[1:]] if snapshot else [entry.event for entry in entries]
        return replay(snapshot, events)

    async def journal(self, thing_id: str, *, to_revision: int | None = None,
                      to_timestamp: datetime | None = None) -> list[JournalEntry]:
        """The store's journal entries of a thing (see `Store.journal`)."""
        return await self._store.journal(thing_id, to_revision=to_revision, to_timestamp=to_timestamp)

    async def life_start(self, thing_id: str) -> int:
        """The first revision of the thing's current (or last) life (see `Store.life_start`)."""
        return await self._store.life_start(thing_id)

    @property
    def history_rules(self) -> HistoryRules:
        """Which leaves this service records as history points."""
        return self._history_rules

    def history_access(self, current: Thing, enforcer: Enforcer) -> HistoryAccess:
        """What the past revisions of `current` (an existing thing, `enforcer` its policy's) are read through."""
        return HistoryAccess(self._policies, current, enforcer)

    # -- the write path ----------------------------------------------------------------------------

    async def execute(self, command: ThingCommand, subjects: tuple[str, ...], *,
                      preconditions: Preconditions = NO_PRECONDITIONS,
                      allow_policy_lockout: bool = False, condition: Condition | None = None,
                      headers: EventHeaders = NO_HEADERS, history_time: datetime | None = None,
                      patch_conditions: Sequence[PatchCondition] = (),
                      metadata: MetadataHeaders | None = None) -> Executed:
        """Authorize `command`, apply it and commit it with its event and its history points; returns once the
        write is durable. `headers` (the command's Ditto headers) travel with the published event;
        `history_time` (a device's own timestamp) is the points' time instead of the event's; `patch_conditions`
        (of a merge) cut the parts of its patch whose conditions do not hold; `metadata` (its metadata headers)
        changes the thing's metadata."""
        classify(command.path)
        skeleton = None  # the command with a WoT skeleton merged in, for when it creates what it writes
        if self._skeletons is not None and skeleton_candidate(command) \
                and creates(command, await self._load(command.thing_id)):
            skeleton = await with_skeleton(self._skeletons, command)  # fetched outside the thing's turn
        validator = self._model_validator
        if validator is not None and (docs := self._model_docs(command, skeleton)):
            validator = await validator.prefetch(command, headers, *docs)  # downloaded outside the turn too
        return await self._writer.execute(command.thing_id, lambda: self._execute_once(
            command, subjects, preconditions, allow_policy_lockout, condition, headers, history_time,
            patch_conditions if command.action == "merge" else (), skeleton, metadata, validator))

    def _may_link_model(self, thing_id: str) -> bool:
        """False when the thing is cached and its JSON names no definition at all: no model to check against,
        known without decoding it (a thing not cached may link one)."""
        encoded = self._cache.encoded(thing_id)
        return encoded is None or b'"definition":' in encoded

    def _model_docs(self, command: ThingCommand, skeleton: ThingCommand | None) -> list[JsonObject]:
        """The documents whose WoT models `command` will likely be checked against: the thing as cached (its
        JSON looked at before it is decoded) and the command's value shaped as a thing. A thing not cached is
        not read for it: its models are resolved in the turn."""
        docs: list[JsonObject] = []
        encoded = self._cache.encoded(command.thing_id)
        cached = self._cache.get(command.thing_id) if encoded and b'"definition":' in encoded else None
        if cached is not None and links_model(cached.doc):
            docs.append(cached.doc)
        value = (skeleton or command).value
        for key in reversed(command.path):
            value = {key: value}
        if isinstance(value, dict) and links_model(value):
            docs.append(value)
        return docs

    async def _execute_once(self, command: ThingCommand, subjects: tuple[str, ...], preconditions: Preconditions,
                            allow_policy_lockout: bool, condition: Condition | None,
                            headers: EventHeaders, history_time: datetime | None,
                            patch_conditions: Sequence[PatchCondition], skeleton: ThingCommand | None,
                            metadata: MetadataHeaders | None, validator: ModelValidator | None) -> Executed:
        current = await self._load(command.thing_id)
        if skeleton is not None and creates(command, current):
            command = skeleton
        creating = not exists(current) and not command.path and command.action != "delete"
        policy_write = None
        enforcer: Enforcer | None = None
        if creating:
            async def thing_field(other_id: str, field: Pointer) -> JsonValue | Missing:
                return get_at((await self.retrieve(other_id, (), subjects)).value, field)  # 404 when unreadable

            command, policy_write, enforcer = await plan_creation(
                self._policies, command, subjects, allow_lockout=allow_policy_lockout, thing_field=thing_field)
            if not enforcer.has_unrestricted(subjects, "thing", (), [WRITE]):
                raise ThingNotCreatable(command.thing_id, thing_policy_id(command))
        elif exists(current):
            assert current is not None
            refuse_inline_policy(command)
            enforcer = await self.enforcer(current)
            if enforcer is None:
                raise policy_gone(current, modifying=True)
            conditions = [*([condition] if condition else []), *(each.condition for each in patch_conditions)]
            if conditions:
                # Ditto checks the conditions' fields before the command's own permission: 412 before 403.
                require_readable_condition(conditions, enforcer, subjects, current.thing_id)
            authorize_write(enforcer, subjects, command)
            await self._check_new_policy_id(current, command, subjects)
        if preconditions != NO_PRECONDITIONS:  # the tag of a part hashes a READ view: only when compared
            tag = entity_tag(current, command.path, enforcer, subjects)
            if tag is not None or command.action != "delete":  # deleting what is missing is 404, not 412
                check_preconditions(if_match=preconditions.if_match, if_none_match=preconditions.if_none_match,
                                    current=tag, is_read=False)
        visible: JsonObject | None = None  # what the issuer may read of the thing, if not all and it matters
        if exists(current) and current is not None and enforcer is not None:
            partial = not enforcer.has_unrestricted(subjects, "thing", (), [READ])
            if condition is not None or (partial and command.if_equal != "update"):
                root = readable_view(enforcer, subjects, current.thing_id, (), current.doc)
                if condition is not None:
                    check_condition(condition, current, condition_view(enforcer, subjects, current, root),
                                    self._clock())
                if partial and isinstance(root, dict):
                    visible = root
            if patch_conditions:
                command = replace(command, value=filter_patch(command.value, patch_conditions, current, self._clock()))
        applied = apply(current, command, now=self._clock(), max_size=self._max_thing_size,
                        visible=visible, metadata=metadata)
        event = replace(applied.event, headers=headers) if headers else applied.event  # not stored, published
        if metadata is not None and (metadata.put or metadata.delete) and not applied.thing.deleted:
            shown = MISSING if applied.thing.metadata is None else get_at(applied.thing.metadata, command.path)
            event = replace(event, metadata=shown if isinstance(shown, dict) else {})
        write = ThingWrite(applied.thing, event, current.revision if current else 0, applied.encoded)
        before = current.doc if exists(current) and current is not None else None
        if validator is not None:
            after = None if applied.thing.deleted else applied.thing.doc
            if links_model(before) or links_model(after):
                await validator.check_write(command, before, after, headers)
        points = self._history_rules.select(changed_points(
            command.thing_id, before, None if applied.thing.deleted else applied.thing.doc,
            time=history_time or applied.event.timestamp, revision=applied.thing.revision, under=command.path))
        before_metadata = current.metadata if exists(current) and current is not None else None
        # the search index rows of what changed, not all
        index_changes = (thing_index_change(write, before, before_metadata),)
        if policy_write is not None:  # created with the thing, in the same transaction
            policy = policy_write.policy
            indexes = await self._policies.search_indexes(policy.policy_id, policy.doc)
            await self._writer.commit(Commit(things=(write,), policies=(policy_write,), policy_indexes=tuple(indexes),
                                             points=points, index_changes=index_changes,
                                             announcements=announcement_changes(None, policy, policy.modified)))
        else:
            await self._writer.commit(Commit(things=(write,), points=points, index_changes=index_changes))
        etag = None
        if applied.event.action != "deleted":
            enforcer = await self.enforcer(applied.thing) if command.path else None
            etag = entity_tag(applied.thing, command.path, enforcer, subjects)
        return Executed(applied, etag)

    async def check_message(self, message: LiveMessage) -> None:
        """Raise WotPayloadInvalid (400) when `message` breaks the WoT model of its thing or feature."""
        if self._model_validator is not None and self._may_link_model(message.thing_id):
            thing = await self.current(message.thing_id)
            await self._model_validator.check_message(message, thing.doc if thing is not None else None)

    async def check_response(self, message: LiveMessage, response: _Answer) -> _Answer:
        """`response` (a LiveResponse to `message`, or why none came), or WotPayloadInvalid (400) instead when it
        is the answer to an inbox message whose payload breaks the `output` of the model's action (Ditto
        `ThingEnforcerActor.performWotBasedMessageCommandResponseValidation`)."""
        if self._model_validator is not None and isinstance(response, LiveResponse) \
                and self._may_link_model(message.thing_id):
            thing = await self.current(message.thing_id)
            await self._model_validator.check_message(message, thing.doc if thing is not None else None, response)
        return response

    async def _check_new_policy_id(self, current: Thing, command: ThingCommand, subjects: tuple[str, ...]) -> None:
        """A thing may only be moved to a policy that exists."""
        new_policy_id = changed_policy_id(current.doc, command)
        if new_policy_id is not None and await self._policies.load(str(parse_policy_id(new_policy_id))) is None:
            raise PolicyNotAccessible(new_policy_id)

    # -- cache -------------------------------------------------------------------------------------

    async def _load(self, thing_id: str) -> Thing | None:
        thing = self._cache.get(thing_id)
        if thing is not None:
            return thing
        thing, policy = await self._store.load_with_policy(thing_id)
        if policy is not None:
            self._policies.remember(policy)
        if thing is not None:
            self._cache.remember(thing.thing_id, thing)
        return thing

    def forget_older(self, thing_id: str, revision: int) -> None:
        """Drop the cached thing if it is older than `revision` (another worker changed it)."""
        self._cache.forget_older(thing_id, revision)

    def forget_all(self) -> None:
        self._cache.clear()

    def _forget(self, thing_id: str) -> None:
        self._cache.forget(thing_id)

    def follow_points(self, listener: Callable[[tuple[Point, ...]], None]) -> Callable[[], None]:
        """Call `listener` with the history points of each write this service commits (this worker's, not other
        workers'), as soon as they are durable and before their event is published; it must return at once.
        Returns what stops it."""
        self._point_listeners.append(listener)
        return lambda: self._point_listeners.remove(listener)

    def _remember_commit(self, unit: Commit) -> None:
        for policy_write in unit.policies:
            self._policies.remember(policy_write.policy)
        for thing_write in unit.things:
            self._cache.remember(thing_write.thing.thing_id, thing_write.thing, thing_write.encoded)
        if unit.points:
            for listener in self._point_listeners:
                try:
                    listener(unit.points)
                except Exception:  # the write is durable: its event is published and its sender answered anyway
                    log.exception("a listener of committed history points failed")
