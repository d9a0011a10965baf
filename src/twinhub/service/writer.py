"""The write path the entity services share: lanes, conflict retries, and the commit.

Commands on one entity run one at a time, in arrival order (a lane per entity, with a bounded number of
waiters, freed as soon as the entity is idle); commands on different entities run concurrently and meet
in the store's group commit. A command that loses its entity's revision to another worker (the store's
RevisionConflict, an internal signal) is run again on fresh state; one that keeps losing is answered as
Ditto answers too many concurrent modifications of one entity (`too_many`, 429), never as a conflict.
A commit is stored, then taken into the service's caches, then published: in that order, so that whoever
hears an event finds its state.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from twinhub.bus.base import EventBus
from twinhub.model.errors import TwinhubError
from twinhub.model.events import ThingEvent
from twinhub.model.points import Point
from twinhub.service.publishing import Publisher
from twinhub.store.base import RevisionConflict, Store
from twinhub.store.commit import Commit

__all__ = ["DEFAULT_MAX_PENDING_PER_ENTITY", "MAX_CONFLICT_RETRIES", "EntityWriter"]

DEFAULT_MAX_PENDING_PER_ENTITY = 100  # Ditto's per-entity mailbox capacity
# Another worker may win the same entity's revision; the loser reloads and reapplies after a short,
# growing, random pause, so that two busy workers do not keep colliding in lockstep.
MAX_CONFLICT_RETRIES = 20
_CONFLICT_BACKOFF = 0.002  # seconds, times the attempt number, times a random factor in [0.5, 1.5)

_T = TypeVar("_T")


class _Lane:
    __slots__ = ("lock", "pending")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # FIFO: waiters are served in arrival order
        self.pending = 0


class EntityWriter:
    """Runs the writes of one kind of entity (things, or policies) and commits them.

    `too_many(entity_id)` is the error raised when `max_pending` commands already wait for (or run on) one
    entity, or when a command lost the entity's revision to other writers on every retry; `forget(entity_id)`
    drops what the service cached of an entity whose revision moved under it;
    `remember(unit)` takes a committed unit into the service's caches before its events are published.
    """

    def __init__(self, store: Store, bus: EventBus, *, too_many: Callable[[str], TwinhubError],
                 forget: Callable[[str], None], remember: Callable[[Commit], None],
                 max_pending: int = DEFAULT_MAX_PENDING_PER_ENTITY) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self._store = store
        self._publisher = Publisher(bus)
        self._too_many = too_many
        self._forget = forget
        self._remember = remember
        self._max_pending = max_pending
        self._lanes: dict[str, _Lane] = {}

    @property
    def busy(self) -> int:
        """How many entities have commands running or waiting (each holds a lane until it is idle)."""
        return len(self._lanes)

    async def execute(self, entity_id: str, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """Run `attempt` (load, apply, `commit`) in the entity's lane, after the commands that came before it;
        on a RevisionConflict, forget the entity and run it again, up to MAX_CONFLICT_RETRIES times.

        Raises `too_many(entity_id)` when the lane is full or every retry lost, and whatever else `attempt`
        raises.
        """
        lane = self._lanes.get(entity_id)
        if lane is None:
            lane = self._lanes[entity_id] = _Lane()
        if lane.pending >= self._max_pending:
            raise self._too_many(entity_id)
        lane.pending += 1
        try:
            async with lane.lock:
                for retry in range(1, MAX_CONFLICT_RETRIES + 1):
                    try:
                        return await attempt()
                    except RevisionConflict:
                        # Another worker wrote first: forget what we knew and reapply on the fresh state.
                        self._forget(entity_id)
                        await asyncio.sleep(_CONFLICT_BACKOFF * retry * (0.5 + random.random()))
                raise self._too_many(entity_id)
        finally:
            lane.pending -= 1
            if lane.pending == 0:
                del self._lanes[entity_id]

    async def commit(self, unit: Commit) -> None:
        """Store `unit` (raises RevisionConflict when an entity's revision moved), remember it, and publish its
        events: the policies' first, as a thing created with its policy depends on it; connections' last. A
        thing event carries the points committed with it (live history and sinks take them from the bus)."""
        await self._store.commit(unit)
        self._remember(unit)
        for policy_write in unit.policies:
            await self._publisher.publish(policy_write.event)
        for thing_write in unit.things:
            await self._publisher.publish(_with_points(thing_write.event, unit.points))
        for connection_write in unit.connections:
            await self._publisher.publish(connection_write.event)


def _with_points(event: ThingEvent, points: tuple[Point, ...]) -> ThingEvent:
    """`event` carrying the points of its thing and revision among `points`."""
    own = tuple(point for point in points if point.revision == event.revision and point.thing_id == event.thing_id)
    return replace(event, points=own) if own else event
