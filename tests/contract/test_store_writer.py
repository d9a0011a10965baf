"""The group commit of every store: bounded queues, closing, malformed writes, order within a batch,
states. Runs once per backend (see conftest.py)."""

from __future__ import annotations

import asyncio

import pytest

from tests.contract.conftest import StoreOpener
from tests.contract.helpers import create, history, unit
from twinhub.model.events import ThingWrite
from twinhub.store.base import RevisionConflict
from twinhub.store.commit import Commit

pytestmark = pytest.mark.anyio


async def test_commits_beyond_the_queue_bound_wait_for_a_slot(open_store: StoreOpener) -> None:
    writes = [create(f"org.twinhub:bounded-{i}") for i in range(500)]
    async with open_store(batch_max=8, max_pending=16) as store:
        await asyncio.gather(*(store.commit(unit(write)) for write in writes))
        loaded = await asyncio.gather(*(store.load(write.thing.thing_id) for write in writes))
    assert loaded == [write.thing for write in writes]


async def test_close_commits_what_is_queued(open_store: StoreOpener) -> None:
    writes = [create(f"org.twinhub:queued-{i}") for i in range(200)]
    async with open_store() as store:
        pending = [asyncio.ensure_future(store.commit(unit(write))) for write in writes]
        await asyncio.sleep(0)  # each task puts its write on the queue
    assert [task.result() for task in pending] == [None] * len(writes)
    async with open_store() as store:
        assert await store.load(writes[-1].thing.thing_id) == writes[-1].thing


async def test_a_malformed_write_is_refused_before_it_reaches_a_batch(open_store: StoreOpener) -> None:
    good = create("org.twinhub:a")
    skewed = ThingWrite(good.thing, good.event, expected_revision=5)
    async with open_store() as store:
        with pytest.raises(ValueError, match="revisions do not line up"):
            await store.commit(unit(skewed))
        await store.commit(unit(good))


async def test_writes_to_one_thing_in_one_batch_conflict_by_queue_order(open_store: StoreOpener) -> None:
    chain = history("org.twinhub:a", 3)
    async with open_store(batch_max=1_000) as store:
        outcomes = await asyncio.gather(*(store.commit(unit(w)) for w in [chain[0], chain[2], chain[1]]),
                                        return_exceptions=True)
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], RevisionConflict)


async def test_store_is_not_usable_before_it_is_opened(open_store: StoreOpener) -> None:
    store = open_store()
    with pytest.raises(RuntimeError, match="not open"):
        await store.load("org.twinhub:a")
    await store.aclose()
    with pytest.raises(RuntimeError, match="reopen"):
        await store.__aenter__()


async def test_a_commit_cancelled_while_waiting_for_a_slot_gives_no_slot_away(open_store: StoreOpener) -> None:
    writes = [create(f"org.twinhub:slot-{i}") for i in range(6)]
    async with open_store(max_pending=1) as store:
        tasks = [asyncio.ensure_future(store.commit(unit(write))) for write in writes]
        await asyncio.sleep(0)  # the first holds the only slot; the others wait for it
        tasks[2].cancel()
        tasks[3].cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert [type(outcome).__name__ for outcome in outcomes] == [
            "NoneType", "NoneType", "CancelledError", "CancelledError", "NoneType", "NoneType"]
        assert await store.load("org.twinhub:slot-2") is None
        await asyncio.gather(*(store.commit(unit(create(f"org.twinhub:after-{i}"))) for i in range(20)))


def test_an_empty_commit_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one write"):
        Commit()
