"""The Store contract on lives and identity: where a thing's latest life starts in its journal, and the
store's epoch on the event bus (made with the database, kept across restarts, renewed once on request)."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.contract.conftest import StoreOpener
from tests.contract.helpers import create, delete, history, modify, unit
from twinhub.model.events import Thing, ThingEvent, ThingWrite
from twinhub.store.base import Store

pytestmark = pytest.mark.anyio

EPOCH = re.compile(r"[0-9a-f]{16}")


def create_part(thing: Thing, key: str) -> ThingWrite:
    """A `created` event below the root (a new attribute): not a creation of the thing."""
    write = modify(thing, ("attributes", key), 1)
    event = write.event
    return ThingWrite(write.thing, ThingEvent(event.thing_id, "created", event.path, event.value, event.revision,
                                              event.timestamp), write.expected_revision)


async def test_an_unknown_thing_has_no_life(store: Store) -> None:
    assert await store.life_start("org.twinhub:unknown") == 0


async def test_a_life_starts_at_the_creation_of_the_whole_thing(store: Store) -> None:
    writes = history("org.twinhub:a", 120)  # past a snapshot kept at the interval (100), which is no creation
    writes.append(create_part(writes[-1].thing, "new"))
    for write in writes:
        await store.commit(unit(write))
    assert await store.life_start("org.twinhub:a") == 1
    assert await store.life_start("org.twinhub:other") == 0


async def test_a_thing_created_again_starts_a_new_life(store: Store) -> None:
    created = create("org.twinhub:a")
    changed = modify(created.thing, ("attributes", "n"), 2)
    deleted = delete(changed.thing)
    for write in (created, changed, deleted):
        await store.commit(unit(write))
    assert await store.life_start("org.twinhub:a") == 1  # a deleted thing: its last life
    again = create("org.twinhub:a", after=deleted.thing)
    await store.commit(unit(again))
    await store.commit(unit(modify(again.thing, ("attributes", "n"), 5)))
    assert await store.life_start("org.twinhub:a") == 4


async def test_the_epoch_is_made_with_the_database_and_kept(open_store: StoreOpener) -> None:
    async with open_store() as store:
        epoch = await store.epoch()
    assert EPOCH.fullmatch(epoch)
    async with open_store() as store:
        assert await store.epoch() == epoch


async def test_renewing_the_epoch_replaces_it_for_good(open_store: StoreOpener) -> None:
    async with open_store() as store:
        old = await store.epoch()
        renewed = await store.renew_epoch(old)
        assert EPOCH.fullmatch(renewed) and renewed != old
        assert await store.epoch() == renewed
    async with open_store() as store:
        assert await store.epoch() == renewed


async def test_renewing_a_stale_epoch_returns_the_current_one(store: Store) -> None:
    current = await store.renew_epoch(await store.epoch())
    assert await store.renew_epoch("0123456789abcdef") == current
    assert await store.epoch() == current


async def test_concurrent_renewals_of_one_epoch_renew_it_once(open_store: StoreOpener) -> None:
    async with open_store() as first, open_store() as second:
        old = await first.epoch()
        results = await asyncio.gather(*(store.renew_epoch(old) for store in (first, second, first, second)))
        assert len(set(results)) == 1 and results[0] != old
        assert await second.epoch() == results[0]
