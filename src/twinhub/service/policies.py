"""The policy service: policy documents (read, write) and the enforcers that things are checked with.

Policies are cached with their enforcers; the write path keeps the cache exact, so a policy change
takes effect on the very next request. An enforcer is dropped when its policy, or a policy it imports,
changes (each policy knows the enforcers built from it, as long as they are cached), and rebuilt when one
of its subjects expires. Policies of the same rules share one enforcer (every thing's default policy names
its own id but grants the same): an enforcer is a function of its rules only, so the rules are its key.

A write runs `twinhub.model.policy.apply_policy_command` between the checks that need I/O: authorization,
preconditions, the creator's WRITE and what it references before, what it imports after (`policy_imports`);
`EntityWriter` orders, retries and commits it.
"""

# size: one cache of policies and their enforcers, which the write path keeps exact; what a write checks or schedules
# beyond that lives beside it (policy_imports, announcement_plans)
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from twinhub.bus.base import EventBus
from twinhub.model.errors import (
    NotFound,
    PolicyConflict,
    PolicyHistoryNotFound,
    PolicyNotAccessible,
    PolicyNotCreatable,
    PolicyTooManyModifying,
    TwinhubError,
)
from twinhub.model.etag import NO_PRECONDITIONS, Preconditions, check_preconditions, revision_tag
from twinhub.model.events import Policy, PolicyWrite
from twinhub.model.headers import historical_point
from twinhub.model.lru import Lru
from twinhub.model.pointer import get_at
from twinhub.model.policy import (
    DEFAULT_EXPIRY_GRANULARITY,
    MAX_TRANSITIVE_DEPTH,
    POLICY,
    READ,
    WRITE,
    PolicyApplied,
    PolicyCommand,
    apply_policy_command,
    classify_policy_path,
    drop_expired_subjects,
    imported_policy_ids,
    missing_imports,
    next_expiry,
    policy_command_resource,
    policy_not_found,
    policy_not_modifiable,
    policy_part_tag,
    replay_policy,
    resolved_entries,
    retrieve_policy_part,
    unchanged_by,
    validate_policy,
    with_requester,
)
from twinhub.model.types import MISSING, JsonObject, JsonValue, Pointer
from twinhub.policy import Enforcer, Rule, policy_rules
from twinhub.service.announcement_plans import announcement_changes
from twinhub.service.compact_cache import CompactCache
from twinhub.service.policy_imports import check_import_references, check_imports
from twinhub.service.sizes import document_bytes
from twinhub.service.writer import DEFAULT_MAX_PENDING_PER_ENTITY, EntityWriter
from twinhub.store.base import Store
from twinhub.store.commit import Commit
from twinhub.store.index import PolicyIndex, policy_index_rows

DEFAULT_POLICY_CACHE_SIZE = 100_000
DEFAULT_POLICY_CACHE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PolicyResult:
    policy: Policy
    created: bool
    value: JsonValue
    etag: str | None


@dataclass(frozen=True, slots=True)
class _CachedEnforcer:
    enforcer: Enforcer
    # each policy it was built from (its own first) at the revision read (None: never existed); kept iff current
    revisions: tuple[tuple[str, int | None], ...]
    valid_until: datetime | None  # the earliest subject expiry it depends on
    size: int  # the estimated bytes of the documents it was built from

    def sources(self, policy_id: str) -> set[str]:
        """The policies whose change drops it: its own and every one it imports."""
        return {policy_id, *(source_id for source_id, _revision in self.revisions)}


class PolicyService:
    def __init__(self, store: Store, bus: EventBus, *, expiry_granularity: timedelta = DEFAULT_EXPIRY_GRANULARITY,
                 cache_size: int = DEFAULT_POLICY_CACHE_SIZE, cache_bytes: int = DEFAULT_POLICY_CACHE_BYTES,
                 max_pending_per_policy: int = DEFAULT_MAX_PENDING_PER_ENTITY,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._writer = EntityWriter(store, bus, too_many=PolicyTooManyModifying, forget=self._forget,
                                    remember=self._remember_commit, max_pending=max_pending_per_policy)
        self._granularity = expiry_granularity
        self._clock = clock
        self._policies = CompactCache(Policy, max_entries=cache_size, max_bytes=cache_bytes)
        self._enforcers: Lru[tuple[str, str | None], _CachedEnforcer] = Lru(
            max_entries=cache_size, max_bytes=cache_bytes, on_evict=self._unlink)
        # policy id -> the cached enforcers built from it (its own, and its importers'), dropped when it changes;
        # an enforcer leaving the cache leaves this table too (`_unlink`)
        self._dependents: dict[str, set[tuple[str, str | None]]] = {}
        # The enforcers in use by rules: weak, so one lives as long as a cached entry (or a caller) holds it.
        self._shared: weakref.WeakValueDictionary[tuple[Rule, ...], Enforcer] = weakref.WeakValueDictionary()
        self.enforcer_builds = 0  # enforcers built so far (for tests and metrics: a cached one is not rebuilt)

    # -- enforcers ---------------------------------------------------------------------------------

    async def enforcer(self, policy_id: str, *, namespace: str | None = None) -> Enforcer | None:
        """The enforcer of `policy_id` (imports and references resolved) for an entity in `namespace`; None if the
        policy does not exist. Every enforcer comes from here (a thing's through `ThingService.enforcer`)."""
        now = self._clock()
        key = (policy_id, namespace)
        # A cached enforcer is current without reading its policy: every change of it or of what it imports,
        # committed here or heard from the bus, drops it (`_drop_enforcers`).
        cached = self._enforcers.get(key)
        if cached is not None and (cached.valid_until is None or now < cached.valid_until):
            return cached.enforcer
        policy = await self.load(policy_id)
        if policy is None:
            return None
        self._enforcers.pop(key)  # an expired one: unlinked before its successor is linked
        built = await self._build(policy.doc, namespace, now, own=(policy_id, policy.revision))
        if any(self._policies.revision(source_id) != revision for source_id, revision in built.revisions):
            return built.enforcer  # a source changed (or left the cache) while it was built: maybe outdated
        self._enforcers.put(key, built, built.size)
        if key in self._enforcers:  # not when too large to cache
            for source_id in built.sources(policy_id):
                self._dependents.setdefault(source_id, set()).add(key)
        return built.enforcer

    async def enforcer_for_doc(self, doc: JsonObject, *, namespace: str | None = None) -> Enforcer:
        """The enforcer of a policy document not stored yet (its imports are loaded from the store)."""
        return (await self._build(doc, namespace, self._clock())).enforcer

    async def _build(self, doc: JsonObject, namespace: str | None, now: datetime,
                     own: tuple[str, int] | None = None) -> _CachedEnforcer:
        loaded, revisions = await self._load_imports(doc, {})
        revisions[:0] = [own] if own is not None else []
        self.enforcer_builds += 1
        rules = tuple(policy_rules(doc, loaded, now=now, namespace=namespace))
        enforcer = self._shared.get(rules)
        if enforcer is None:
            enforcer = self._shared[rules] = Enforcer(rules)
        sources = [source for source in [doc, *loaded.values()] if source is not None]
        expiries = [moment for source in sources if (moment := next_expiry(source)) is not None and moment > now]
        size = sum(document_bytes(source) for source in sources)
        return _CachedEnforcer(enforcer, tuple(revisions), min(expiries, default=None), size)

    async def _load_imports(self, doc: JsonObject, pending: dict[str, JsonObject | None]
                            ) -> tuple[dict[str, JsonObject | None], list[tuple[str, int | None]]]:
        """Every policy `doc` imports (transitively), `pending` (uncommitted) states first; the revisions read."""
        loaded: dict[str, JsonObject | None] = {}
        revisions: list[tuple[str, int | None]] = []
        while needed := missing_imports(doc, loaded):
            for imported_id in sorted(needed):
                if imported_id in pending:
                    loaded[imported_id] = pending[imported_id]
                    continue
                imported = await self._load_any(imported_id)
                loaded[imported_id] = imported.doc if imported is not None and not imported.deleted else None
                revisions.append((imported_id, imported.revision if imported is not None else None))
        return loaded, revisions

    async def search_indexes(self, policy_id: str, doc: JsonObject | None) -> list[PolicyIndex]:
        """The search index of `policy_id` in its new state `doc` (None: deleted), and of every policy
        importing it (transitively), to commit together with the change."""
        pending: dict[str, JsonObject | None] = {policy_id: doc}
        indexes = [await self._index(policy_id, doc, pending)]
        seen = {policy_id}
        frontier = [policy_id]
        for _depth in range(MAX_TRANSITIVE_DEPTH):
            importers = [importer for imported in frontier for importer in await self._store.importers_of(imported)
                         if importer not in seen]
            if not importers:
                break
            for importer in importers:
                seen.add(importer)
                policy = await self.load(importer)
                indexes.append(await self._index(importer, policy.doc if policy else None, pending))
            frontier = importers
        return indexes

    async def _index(self, policy_id: str, doc: JsonObject | None, pending: dict[str, JsonObject | None]
                     ) -> PolicyIndex:
        if doc is None:
            return PolicyIndex(policy_id, (), ())
        loaded, _revisions = await self._load_imports(doc, pending)
        rows = policy_index_rows(resolved_entries(doc, loaded))
        return PolicyIndex(policy_id, tuple(rows), tuple(imported_policy_ids(doc)))

    def validate_new(self, policy_id: str, value: JsonValue, subjects: tuple[str, ...]) -> JsonObject:
        """`value` validated as the new policy `policy_id`, the requester's placeholders resolved."""
        command = with_requester(PolicyCommand("modify", policy_id, (), value), subjects[0])
        return validate_policy(command.value, policy_id, now=self._clock(), expiry_granularity=self._granularity)

    async def prepare_create(self, policy_id: str, value: JsonValue, subjects: tuple[str, ...], *,
                             allow_lockout: bool) -> PolicyWrite:
        """A validated write creating `policy_id` (for a thing created with it); 409 if it exists."""
        # the requester's placeholders in its subject ids resolved, as Ditto's CreateThingSubstitutionStrategy
        command = with_requester(PolicyCommand("modify", policy_id, (), value, allow_lockout), subjects[0])
        now = self._clock()
        await self._check_creatable(command, subjects, now)
        await check_import_references(self, command, subjects, now=now, expiry_granularity=self._granularity)
        # only now, as Ditto's PolicyEnforcerActor enforces a CreatePolicy on the new policy before persisting it
        stored = await self._store.load_policy(policy_id)
        if stored is not None and not stored.deleted:
            raise PolicyConflict(policy_id)
        applied = apply_policy_command(stored, command, now=now, expiry_granularity=self._granularity)
        return _write(applied, stored)

    # -- reads -------------------------------------------------------------------------------------

    async def load(self, policy_id: str) -> Policy | None:
        """The current policy, or None when it does not exist (tombstones count as missing)."""
        policy = await self._load_any(policy_id)
        if policy is None or policy.deleted:
            return None
        return policy

    async def _load_any(self, policy_id: str) -> Policy | None:
        """The policy as cached or stored, tombstones included."""
        policy = self._policies.get(policy_id)
        if policy is None:
            policy = await self._store.load_policy(policy_id)
            if policy is not None:
                self._remember(policy)
        return policy

    async def retrieve(self, policy_id: str, path: Pointer, subjects: tuple[str, ...], *,
                       preconditions: Preconditions = NO_PRECONDITIONS, revision: int | None = None,
                       timestamp: datetime | None = None) -> tuple[Policy, JsonValue, str]:
        """The part of the policy at `path` that the subjects may READ; 404 when none of it. With `revision` or
        `timestamp` (`at-historical-*`, preconditions unused), the part as it was then (`_historical`)."""
        classify_policy_path(path)
        policy = await self.load(policy_id)
        enforcer = await self.enforcer(policy_id) if policy is not None else None
        if policy is None or enforcer is None or not enforcer.has_partial(subjects, POLICY, (), [READ]):
            raise PolicyNotAccessible(policy_id)
        historical = revision is not None or timestamp is not None
        if historical:
            policy = await self._historical(policy, revision, timestamp)
        doc = drop_expired_subjects(policy.doc, policy.modified if historical else self._clock())  # as it was
        if not enforcer.has_partial(subjects, POLICY, path, [READ]):
            raise policy_not_found(policy_id, path)
        view = enforcer.view(subjects, POLICY, path, retrieve_policy_part(doc, policy_id, path))
        if view is MISSING:
            raise policy_not_found(policy_id, path)
        tag = revision_tag(policy.revision) if not path else policy_part_tag(doc, path, view)  # see `model.etag`
        if not historical:
            check_preconditions(if_match=preconditions.if_match, if_none_match=preconditions.if_none_match,
                                current=tag, is_read=True, entity="Policy")
        if not path and isinstance(view, dict):
            view = {"policyId": policy_id, **view}
        return policy, view, tag

    async def _historical(self, current: Policy, revision: int | None, timestamp: datetime | None) -> Policy:
        """`current` as it was at `revision` or `timestamp`, from its journal (read through the current policy, as
        Ditto's PolicyCommandEnforcement does); 404 `policies:policy.history.notfound` for a revision it never had,
        or of an earlier life of its id (deleted and created again: new owners may not read the old policy)."""
        entries = await self._store.policy_journal(current.policy_id, to_revision=revision, to_timestamp=timestamp)
        snapshot = entries[0].snapshot if entries else None
        past = replay_policy(snapshot, [entry.event for entry in entries[1 if snapshot else 0:]])
        if past is None or past.deleted or (revision is not None and past.revision != revision) \
                or past.created != current.created:
            raise PolicyHistoryNotFound(current.policy_id, historical_point(revision, timestamp))
        return past

    async def inlined(self, policy_id: str, subjects: tuple[str, ...]) -> JsonObject | None:
        """The policy as a thing's `_policy` field shows it: what a retrieve of the whole policy answers the
        subjects, without its preconditions; None when they may not READ it, or it is gone (Ditto's
        SupervisorInlinePolicyEnrichment leaves the field out then)."""
        try:
            _policy, view, _tag = await self.retrieve(policy_id, (), subjects)
        except NotFound:
            return None
        return view if isinstance(view, dict) else None

    def _tag(self, policy: Policy, path: Pointer, enforcer: Enforcer | None, subjects: tuple[str, ...], *,
             stored: bool = True) -> str | None:
        """The tag a GET of `path` shows the subjects (see `twinhub.model.etag`); None when a GET finds nothing,
        or with `stored`, when nothing is stored there (a part shown with its default does not exist for a write)."""
        if not path:
            return revision_tag(policy.revision)
        if stored and get_at(policy.doc, path) is MISSING:
            return None
        try:
            value = retrieve_policy_part(drop_expired_subjects(policy.doc, self._clock()), policy.policy_id, path)
        except TwinhubError:  # only expired subjects there: a GET finds nothing either
            return None
        return policy_part_tag(policy.doc, path, enforcer.view(subjects, POLICY, path, value) if enforcer else MISSING)

    # -- the write path ----------------------------------------------------------------------------

    async def execute(self, command: PolicyCommand, subjects: tuple[str, ...], *,
                      preconditions: Preconditions = NO_PRECONDITIONS) -> PolicyResult:
        """Authorize `command`, apply it and commit it with its event; returns once the write is durable."""
        policy_command_resource(command)  # a path without a route (404) or a DELETE it has not (405) first
        command = with_requester(command, subjects[0])
        return await self._writer.execute(command.policy_id,
                                          lambda: self._execute_once(command, subjects, preconditions))

    async def _execute_once(self, command: PolicyCommand, subjects: tuple[str, ...],
                            preconditions: Preconditions) -> PolicyResult:
        stored = await self._store.load_policy(command.policy_id)
        current = stored if stored is not None and not stored.deleted else None
        if current is not None:
            enforcer = await self.enforcer(command.policy_id)
            if enforcer is None or not enforcer.has_unrestricted(subjects, POLICY, command.path, [WRITE]):
                # Ditto checks WRITE alone here: a policy's existence is no secret to someone who may not write it.
                raise policy_not_modifiable(command.policy_id, command.path)
        if preconditions != NO_PRECONDITIONS:  # the tag of a part hashes a READ view: only when compared
            # Only now, and against what the caller may read: a 412 must not tell a guessed tag from a wrong one.
            tag = self._tag(current, command.path, enforcer, subjects) if current is not None else None
            if tag is not None or command.action != "delete":
                check_preconditions(if_match=preconditions.if_match, if_none_match=preconditions.if_none_match,
                                    current=tag, is_read=False, entity="Policy")
        if current is not None and unchanged_by(current, command):  # Ditto's idempotent deletes: no event
            return PolicyResult(current, False, None, None)
        now = self._clock()
        creating = current is None and not command.path and command.action == "modify"
        if creating:  # checks its imports already
            await self._check_creatable(command, subjects, now)
        await check_import_references(self, command, subjects, now=now, expiry_granularity=self._granularity)
        applied = apply_policy_command(stored, command, now=now, expiry_granularity=self._granularity)
        if current is not None and command.action != "delete":
            await check_imports(self, applied.policy.doc, current.doc, subjects)
        policy = applied.policy
        indexes = await self.search_indexes(policy.policy_id, None if policy.deleted else policy.doc)
        await self._writer.commit(Commit(policies=(_write(applied, stored),), policy_indexes=tuple(indexes),
                                         announcements=announcement_changes(current, policy, now)))
        etag = None
        if not command.path:
            etag = None if policy.deleted else revision_tag(policy.revision)
        elif command.action != "delete":
            # the written part's tag as the writer may now read it (the write may have changed that)
            etag = self._tag(policy, command.path, await self.enforcer(policy.policy_id), subjects, stored=False)
        return PolicyResult(policy, applied.created, applied.event.value, etag)

    async def _check_creatable(self, command: PolicyCommand, subjects: tuple[str, ...], now: datetime) -> None:
        """Its imports readable (PolicyImportsPreEnforcer), the creator of a policy must, unless `allow-policy-lockout`,
        WRITE it with its imports resolved (PolicyEnforcerActor, PolicyCommandEnforcement.authorizeCreatePolicy):
        else 403 `policies:policy.notcreatable`, before its references and lock-out are checked (as in Ditto)."""
        doc = validate_policy(command.value, command.policy_id, now=now, expiry_granularity=self._granularity)
        await check_imports(self, doc, None, subjects)
        if not command.allow_lockout and not (await self._build(doc, None, now)).enforcer.has_unrestricted(
                subjects, POLICY, (), [WRITE]):
            raise PolicyNotCreatable(command.policy_id)

    # -- cache -------------------------------------------------------------------------------------

    def forget_older(self, policy_id: str, revision: int) -> None:
        """Drop the cached policy (and the enforcers built from it) if older than `revision`."""
        if self._policies.forget_older(policy_id, revision):
            self._drop_enforcers(policy_id)

    def forget_all(self) -> None:
        self._policies.clear()
        self._enforcers.clear()
        self._dependents.clear()

    def _drop_enforcers(self, policy_id: str) -> None:
        """Drop the enforcers built from `policy_id` (each unlinks itself from `_dependents`)."""
        for key in list(self._dependents.get(policy_id, ())):
            self._enforcers.pop(key)

    def _unlink(self, key: tuple[str, str | None], cached: _CachedEnforcer) -> None:
        """An enforcer left the cache: it is no dependent of its sources any more."""
        for source_id in cached.sources(key[0]):
            dependents = self._dependents.get(source_id)
            if dependents is not None:
                dependents.discard(key)
                if not dependents:
                    del self._dependents[source_id]

    def remember(self, policy: Policy) -> None:
        """Take a policy committed elsewhere (created together with a thing) into the cache."""
        self._remember(policy)

    def _remember_commit(self, unit: Commit) -> None:
        for write in unit.policies:
            self._remember(write.policy)

    def _forget(self, policy_id: str) -> None:
        self._policies.forget(policy_id)
        self._drop_enforcers(policy_id)  # the write may have committed: what was built before may be outdated

    def _remember(self, policy: Policy) -> None:
        cached = self._policies.revision(policy.policy_id)
        if cached is not None and cached > policy.revision:
            return
        if cached != policy.revision:
            self._drop_enforcers(policy.policy_id)
        self._policies.remember(policy.policy_id, policy)


def _write(applied: PolicyApplied, stored: Policy | None) -> PolicyWrite:
    return PolicyWrite(applied.policy, applied.event, stored.revision if stored is not None else 0)
