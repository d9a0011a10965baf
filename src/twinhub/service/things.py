"""The thing service: the one write path (authorize -> load -> apply -> commit -> publish) and reads.

Commands on one thing run one at a time, in arrival order (a per-thing lane with a bounded number
of waiters); commands on different things run concurrently and meet in the store's group commit.
Hot things are served from an LRU cache that the write path keeps exact.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from twinhub.bus.base import EventBus
from twinhub.model.commands import DEFAULT_MAX_THING_SIZE, Applied, ThingCommand, apply, exists, replay
from twinhub.model.errors import ThingHistoryNotFound, ThingNotAccessible, ThingTooManyModifying
from twinhub.model.etag import check_preconditions, hash_tag, revision_tag
from twinhub.model.events import Thing, ThingWrite, format_timestamp
from twinhub.model.pointer import MISSING, get_at
from twinhub.model.resources import classify, missing_part
from twinhub.model.types import JsonValue, Pointer
from twinhub.store.base import RevisionConflict, Store

DEFAULT_CACHE_SIZE = 100_000
DEFAULT_MAX_PENDING_PER_THING = 100  # Ditto's per-thing mailbox capacity
_MAX_CONFLICT_RETRIES = 5


@dataclass(frozen=True, slots=True)
class Preconditions:
    if_match: str | None = None
    if_none_match: str | None = None


NO_PRECONDITIONS = Preconditions()


@dataclass(frozen=True, slots=True)
class Retrieved:
    thing: Thing
    value: JsonValue
    etag: str


@dataclass(frozen=True, slots=True)
class Executed:
    applied: Applied
    etag: str | None


def entity_tag(thing: Thing | None, path: Pointer) -> str | None:
    """The tag of the part of `thing` at `path`, or None when it does not exist."""
    if not exists(thing):
        return None
    assert thing is not None
    if not path:
        return revision_tag(thing.revision)
    found = get_at(thing.doc, path)
    return None if found is MISSING else hash_tag(found)  # type: ignore[arg-type]


class _Lane:
    __slots__ = ("lock", "pending")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.pending = 0


class ThingService:
    def __init__(self, store: Store, bus: EventBus, *, max_thing_size: int = DEFAULT_MAX_THING_SIZE,
                 cache_size: int = DEFAULT_CACHE_SIZE,
                 max_pending_per_thing: int = DEFAULT_MAX_PENDING_PER_THING,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._bus = bus
        self._max_thing_size = max_thing_size
        self._cache: OrderedDict[str, Thing] = OrderedDict()
        self._cache_size = cache_size
        self._max_pending = max_pending_per_thing
        self._lanes: dict[str, _Lane] = {}
        self._clock = clock

    # -- reads -------------------------------------------------------------------------------------

    async def retrieve(self, thing_id: str, path: Pointer, *,
                       preconditions: Preconditions = NO_PRECONDITIONS) -> Retrieved:
        """The part of the current thing at `path`; raises Ditto's 404s, 412 or 304."""
        classify(path)
        thing = await self._load(thing_id)
        return self._read(thing_id, thing, path, preconditions)

    async def retrieve_historical(self, thing_id: str, path: Pointer, *, revision: int | None = None,
                                  timestamp: str | None = None) -> Retrieved:
        """The part at `path` of the thing as it was at `revision` or at `timestamp` (from the journal)."""
        classify(path)
        if not exists(await self._load(thing_id)) and revision is None and timestamp is None:
            raise ThingNotAccessible(thing_id)
        entries = await self._store.journal(thing_id, to_revision=revision, to_timestamp=timestamp)
        snapshot = entries[0].snapshot if entries else None
        events = [entry.event for entry in entries[1:]] if snapshot else [entry.event for entry in entries]
        thing = replay(snapshot, events)
        at = f"revision {revision}" if revision is not None else f"timestamp {timestamp}"
        if thing is None or thing.deleted or (revision is not None and thing.revision != revision):
            raise ThingHistoryNotFound(thing_id, at)
        return self._read(thing_id, thing, path, NO_PRECONDITIONS)

    def _read(self, thing_id: str, thing: Thing | None, path: Pointer,
              preconditions: Preconditions) -> Retrieved:
        tag = entity_tag(thing, path)
        check_preconditions(if_match=preconditions.if_match, if_none_match=preconditions.if_none_match,
                            current=tag, is_read=True)
        if not exists(thing):
            raise ThingNotAccessible(thing_id)
        assert thing is not None
        if tag is None:
            raise missing_part(thing.doc, thing_id, path)
        value = thing.doc if not path else get_at(thing.doc, path)
        return Retrieved(thing, value, tag)  # type: ignore[arg-type]

    # -- the write path ----------------------------------------------------------------------------

    async def execute(self, command: ThingCommand, *,
                      preconditions: Preconditions = NO_PRECONDITIONS) -> Executed:
        """Apply `command` and commit it with its event; returns once the write is durable."""
        classify(command.path)
        lane = self._lanes.get(command.thing_id)
        if lane is None:
            lane = self._lanes[command.thing_id] = _Lane()
        if lane.pending >= self._max_pending:
            raise ThingTooManyModifying(command.thing_id)
        lane.pending += 1
        try:
            async with lane.lock:
                return await self._execute_in_lane(command, preconditions)
        finally:
            lane.pending -= 1
            if lane.pending == 0:
                del self._lanes[command.thing_id]

    async def _execute_in_lane(self, command: ThingCommand, preconditions: Preconditions) -> Executed:
        for _attempt in range(_MAX_CONFLICT_RETRIES):
            current = await self._load(command.thing_id)
            check_preconditions(if_match=preconditions.if_match, if_none_match=preconditions.if_none_match,
                                current=entity_tag(current, command.path), is_read=False)
            applied = apply(current, command, now=format_timestamp(self._clock()),
                            max_size=self._max_thing_size)
            write = ThingWrite(applied.thing, applied.event, current.revision if current else 0)
            try:
                await self._store.commit(write)
            except RevisionConflict:
                # Another worker wrote first: forget what we knew and reapply on the fresh state.
                self._cache.pop(command.thing_id, None)
                continue
            self._remember(applied.thing)
            await self._bus.publish(applied.event)
            etag = None if applied.event.action == "deleted" else entity_tag(applied.thing, command.path)
            return Executed(applied, etag)
        raise RevisionConflict(command.thing_id, -1)

    # -- cache -------------------------------------------------------------------------------------

    async def _load(self, thing_id: str) -> Thing | None:
        thing = self._cache.get(thing_id)
        if thing is not None:
            self._cache.move_to_end(thing_id)
            return thing
        thing = await self._store.load(thing_id)
        if thing is not None:
            self._remember(thing)
        return thing

    def _remember(self, thing: Thing) -> None:
        cached = self._cache.get(thing.thing_id)
        if cached is not None and cached.revision > thing.revision:
            return
        self._cache[thing.thing_id] = thing
        self._cache.move_to_end(thing.thing_id)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
