"""The entity writer in process, on a real SQLite store: per-entity order, bounded lanes freed when idle,
conflict retries on fresh state, and what a commit stores, remembers and publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from tests.contract.helpers import create, create_policy, modify, unit
from twinhub.bus.inprocess import InProcessBus
from twinhub.model.errors import PolicyTooManyModifying, ThingTooManyModifying, TwinhubError
from twinhub.service.writer import MAX_CONFLICT_RETRIES, EntityWriter
from twinhub.store.base import RevisionConflict, Store
from twinhub.store.commit import Commit
from twinhub.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.anyio

THING_ID = "org.twinhub.test:lamp"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Caches:
    """What the writer told the service: the entities to forget and the units to remember."""

    forgotten: list[str] = field(default_factory=list)
    remembered: list[Commit] = field(default_factory=list)


@dataclass
class World:
    store: Store
    bus: InProcessBus
    caches: Caches
    writer: EntityWriter


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with open_sqlite_store(tmp_path / "twinhub.db") as store:
        bus, caches = InProcessBus(), Caches()
        writer = EntityWriter(store, bus, too_many=ThingTooManyModifying, forget=caches.forgotten.append,
                              remember=caches.remembered.append, max_pending=3)
        yield World(store, bus, caches, writer)


async def test_commands_on_one_entity_run_one_at_a_time_in_arrival_order(world: World) -> None:
    log: list[str] = []
    started, gate = asyncio.Event(), asyncio.Event()

    async def command(name: str) -> str:
        log.append(f"start {name}")
        if name == "first":
            started.set()
            await gate.wait()  # the others arrive meanwhile, and must wait
        await asyncio.sleep(0)
        log.append(f"end {name}")
        return name

    tasks = [asyncio.create_task(world.writer.execute(THING_ID, partial(command, name)))
             for name in ("first", "second", "third")]
    await started.wait()
    gate.set()
    assert await asyncio.gather(*tasks) == ["first", "second", "third"]
    assert log == ["start first", "end first", "start second", "end second", "start third", "end third"]


async def test_commands_on_different_entities_do_not_wait_for_each_other(world: World) -> None:
    gate = asyncio.Event()

    async def blocked() -> None:
        await gate.wait()

    async def quick() -> str:
        return "done"

    first = asyncio.create_task(world.writer.execute("org.twinhub.test:a", blocked))
    assert await world.writer.execute("org.twinhub.test:b", quick) == "done"
    assert not first.done()
    gate.set()
    await first


async def test_a_full_lane_is_refused_with_the_services_error_and_freed_when_idle(tmp_path: Path) -> None:
    gate = asyncio.Event()

    async def blocked() -> None:
        await gate.wait()

    async with open_sqlite_store(tmp_path / "twinhub.db") as store:
        writer = EntityWriter(store, InProcessBus(), too_many=PolicyTooManyModifying, forget=lambda _: None,
                              remember=lambda _: None, max_pending=2)
        waiting = [asyncio.create_task(writer.execute("ns:policy", blocked)) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(TwinhubError) as refused:
            await writer.execute("ns:policy", blocked)
        assert (refused.value.code, refused.value.status) == ("policies:policy.toomanymodifyingrequests", 429)
        assert writer.busy == 1
        gate.set()
        await asyncio.gather(*waiting)
        assert writer.busy == 0


async def test_lanes_are_freed_when_commands_fail(world: World) -> None:
    async def failing() -> None:
        raise ThingTooManyModifying(THING_ID)  # any error of the command itself

    with pytest.raises(TwinhubError):
        await world.writer.execute(THING_ID, failing)
    assert world.writer.busy == 0


async def test_a_revision_conflict_is_retried_on_fresh_state(world: World) -> None:
    created = create(THING_ID, {"attributes": {"n": 0}})
    await world.store.commit(unit(created))
    attempts = 0

    async def increment() -> int:
        nonlocal attempts
        attempts += 1
        thing = await world.store.load(THING_ID)
        assert thing is not None
        if attempts == 1:  # another worker writes the thing between our load and our commit
            await world.store.commit(unit(modify(thing, ("attributes", "n"), 100)))
        counter = thing.doc["attributes"]["n"]  # type: ignore[call-overload,index]
        await world.writer.commit(unit(modify(thing, ("attributes", "n"), counter + 1)))
        return thing.revision + 1

    assert await world.writer.execute(THING_ID, increment) == 3
    assert attempts == 2
    assert world.caches.forgotten == [THING_ID]
    stored = await world.store.load(THING_ID)
    assert stored is not None and (stored.revision, stored.doc["attributes"]) == (3, {"n": 101})


async def test_a_command_that_loses_every_retry_is_answered_too_many_modifying_never_conflict(
        world: World) -> None:
    await world.store.commit(unit(create(THING_ID, {"attributes": {"n": 0}})))
    # Another worker on the same store, which wins the thing's revision between each of our loads and commits.
    other_worker = EntityWriter(world.store, world.bus, too_many=ThingTooManyModifying, forget=lambda _: None,
                                remember=lambda _: None)

    async def bump() -> None:
        thing = await world.store.load(THING_ID)
        assert thing is not None
        await other_worker.commit(unit(modify(thing, ("attributes", "n"), thing.revision)))

    async def always_late() -> None:
        thing = await world.store.load(THING_ID)
        assert thing is not None
        await other_worker.execute(THING_ID, bump)
        await world.writer.commit(unit(modify(thing, ("attributes", "n"), -1)))

    with pytest.raises(TwinhubError) as refused:
        await world.writer.execute(THING_ID, always_late)

    assert isinstance(refused.value, ThingTooManyModifying)
    assert refused.value.to_json()["error"] == "things:thing.toomanymodifyingrequests"
    assert refused.value.status == 429
    assert world.caches.forgotten == [THING_ID] * MAX_CONFLICT_RETRIES
    assert world.writer.busy == 0
    stored = await world.store.load(THING_ID)
    assert stored is not None and stored.revision == 1 + MAX_CONFLICT_RETRIES
    assert stored.doc["attributes"] == {"n": MAX_CONFLICT_RETRIES}  # only the other worker's writes


async def test_a_commit_is_stored_remembered_and_published_policies_first(world: World) -> None:
    subscription = world.bus.subscribe()
    thing, policy = create(THING_ID), create_policy(THING_ID)
    committed = unit(thing, policy)

    await world.writer.commit(committed)

    assert await world.store.load(THING_ID) == thing.thing
    assert await world.store.load_policy(THING_ID) == policy.policy
    assert world.caches.remembered == [committed]
    assert [await subscription.next(), await subscription.next()] == [policy.event, thing.event]


async def test_a_conflicting_commit_is_neither_remembered_nor_published(world: World) -> None:
    await world.store.commit(unit(create(THING_ID)))
    subscription = world.bus.subscribe()

    with pytest.raises(RevisionConflict):
        await world.writer.commit(unit(create(THING_ID)))

    assert world.caches.remembered == []
    subscription.close()
    assert await subscription.next() is None
