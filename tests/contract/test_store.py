"""The Store contract: what every backend must do, tested through the protocol only."""

from __future__ import annotations

import asyncio

import pytest

from tests.contract.conftest import StoreOpener
from tests.contract.helpers import at, create, delete, history, modify, unit
from twinhub.model.commands import ThingCommand, apply, replay
from twinhub.model.events import JournalEntry, Thing, ThingWrite
from twinhub.model.types import JsonObject
from twinhub.store.base import RevisionConflict, Store

pytestmark = pytest.mark.anyio

SNAPSHOT_INTERVAL = 100  # every backend keeps a snapshot on each creation and every 100th revision


async def commit_all(store: Store, writes: list[ThingWrite]) -> None:
    """Commit concurrently, in order: writes to one thing may chain within one group commit."""
    await asyncio.gather(*(store.commit(unit(write)) for write in writes))


# -- load and commit ---------------------------------------------------------------------------------


async def test_load_of_unknown_thing_is_none(store: Store) -> None:
    assert await store.load("org.twinhub:unknown") is None


async def test_commit_then_load_returns_the_committed_thing(store: Store) -> None:
    write = create("org.twinhub:a", {"attributes": {"on": True, "nothing": None}})
    await store.commit(unit(write))
    assert await store.load("org.twinhub:a") == write.thing


async def test_new_thing_conflicts_when_a_row_exists(store: Store) -> None:
    first = create("org.twinhub:a", {"attributes": {"n": 1}})
    await store.commit(unit(first))
    with pytest.raises(RevisionConflict):
        await store.commit(unit(create("org.twinhub:a", {"attributes": {"n": 2}})))
    assert await store.load("org.twinhub:a") == first.thing


async def test_stale_expected_revision_conflicts(store: Store) -> None:
    first = create("org.twinhub:a")
    second = modify(first.thing, ("attributes", "n"), 2)
    await commit_all(store, [first, second])
    with pytest.raises(RevisionConflict):
        await store.commit(unit(modify(first.thing, ("attributes", "n"), 3)))  # still expects revision 1
    assert await store.load("org.twinhub:a") == second.thing


async def test_a_conflict_fails_only_its_own_write(store: Store) -> None:
    await store.commit(unit(create("org.twinhub:taken")))
    writes = [create("org.twinhub:before"), create("org.twinhub:taken"), create("org.twinhub:after")]
    outcomes = await asyncio.gather(*(store.commit(unit(write)) for write in writes), return_exceptions=True)
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], RevisionConflict)
    assert await store.load("org.twinhub:before") == writes[0].thing
    assert await store.load("org.twinhub:after") == writes[2].thing


async def test_later_writes_see_earlier_ones_in_queue_order(store: Store) -> None:
    create_a, create_a_again = create("org.twinhub:a"), create("org.twinhub:a", {"attributes": {"x": 1}})
    chain = history("org.twinhub:b", 5)
    outcomes = await asyncio.gather(*(store.commit(unit(w)) for w in [create_a, create_a_again, *chain]),
                                    return_exceptions=True)
    assert outcomes[0] is None and isinstance(outcomes[1], RevisionConflict)
    assert outcomes[2:] == [None] * 5
    assert await store.load("org.twinhub:a") == create_a.thing
    assert await store.load("org.twinhub:b") == chain[-1].thing


async def test_many_concurrent_commits_all_succeed_and_are_durable(open_store: StoreOpener) -> None:
    writes = [create(f"org.twinhub:many-{i}", {"attributes": {"i": i}}) for i in range(3_000)]
    async with open_store() as store:
        await commit_all(store, writes)
    async with open_store() as store:
        loaded = await asyncio.gather(*(store.load(write.thing.thing_id) for write in writes))
    assert loaded == [write.thing for write in writes]


async def test_deleted_thing_loads_as_tombstone_and_recreation_continues_revisions(store: Store) -> None:
    created = create("org.twinhub:a")
    deleted = delete(created.thing)
    await commit_all(store, [created, deleted])
    tombstone = await store.load("org.twinhub:a")
    assert tombstone == deleted.thing
    assert tombstone is not None and tombstone.deleted and tombstone.doc == {}
    with pytest.raises(RevisionConflict):
        await store.commit(unit(create("org.twinhub:a")))  # a tombstone is a row: expected revision 0 is stale
    again = create("org.twinhub:a", after=tombstone)
    await store.commit(unit(again))
    assert await store.load("org.twinhub:a") == again.thing
    assert again.thing.revision == 3


async def test_data_survives_close_and_reopen(open_store: StoreOpener) -> None:
    writes = history("org.twinhub:a", 3)
    async with open_store() as store:
        await commit_all(store, writes)
    async with open_store() as store:
        assert await store.load("org.twinhub:a") == writes[-1].thing
        assert [entry.event for entry in await store.journal("org.twinhub:a")] == [w.event for w in writes]


async def test_store_refuses_use_after_close(open_store: StoreOpener) -> None:
    opener = open_store()
    async with opener as store:
        await store.commit(unit(create("org.twinhub:a")))
    with pytest.raises(RuntimeError, match="closed"):
        await store.load("org.twinhub:a")
    with pytest.raises(RuntimeError, match="closed"):
        await store.commit(unit(create("org.twinhub:b")))
    with pytest.raises(RuntimeError, match="closed"):
        await store.journal("org.twinhub:a")
    with pytest.raises(RuntimeError, match="reopen"):
        async with opener:
            pass
    await store.aclose()  # closing twice is harmless


# -- journal -----------------------------------------------------------------------------------------


def revisions(entries: list[JournalEntry]) -> list[int]:
    return [entry.event.revision for entry in entries]


def counter(thing: Thing | None) -> object:
    assert thing is not None
    attributes = thing.doc["attributes"]
    assert isinstance(attributes, dict)
    return attributes["counter"]


async def test_journal_of_unknown_thing_is_empty(store: Store) -> None:
    assert await store.journal("org.twinhub:unknown") == []
    assert await store.journal("org.twinhub:unknown", to_revision=3) == []


async def test_journal_round_trips_events_and_starts_with_the_creation_snapshot(store: Store) -> None:
    created = create("org.twinhub:a", {"attributes": {"x": {"y": 1}}})
    nulled = modify(created.thing, ("attributes", "x", "y"), None)
    tilde = modify(nulled.thing, ("attributes", "a~1b~0"), [1, {"c": "d"}])
    deleted = delete(tilde.thing)
    await commit_all(store, [created, nulled, tilde, deleted])
    entries = await store.journal("org.twinhub:a")
    assert [entry.event for entry in entries] == [created.event, nulled.event, tilde.event, deleted.event]
    assert entries[0].snapshot == created.thing
    assert entries[1].event.path == ("attributes", "x", "y") and entries[1].event.value is None
    assert entries[2].event.path == ("attributes", "a~1b~0")
    assert entries[3].event.path == () and entries[3].event.value is None


async def test_journal_keeps_a_migrated_event_and_replays_it_as_the_merge_it_was(store: Store) -> None:
    """A definition migration's `migrated` event (its patch, nulls included, as a thing with its id: Ditto's
    ThingDefinitionMigrated) is stored as committed and rebuilds the migrated thing (ThingDefinitionMigratedStrategy
    merges it into the thing)."""
    created = create("org.twinhub:m", {"definition": "https://m/lamp-1.tm.jsonld", "attributes": {"old": 1}})
    patch: JsonObject = {"definition": "https://m/lamp-2.tm.jsonld", "attributes": {"old": None, "new": 2}}
    applied = apply(created.thing, ThingCommand("merge", "org.twinhub:m", (), patch, migrates=True), now=at(2))
    migrated = ThingWrite(applied.thing, applied.event, created.thing.revision)
    await commit_all(store, [created, migrated])
    entries = await store.journal("org.twinhub:m")
    assert [entry.event for entry in entries] == [created.event, migrated.event]
    assert entries[1].event.action == "migrated"
    assert entries[1].event.value == {"thingId": "org.twinhub:m", **patch}
    assert replay(entries[0].snapshot, [entries[1].event]) == applied.thing
    assert applied.thing.doc["attributes"] == {"new": 2}


async def test_journal_by_revision_starts_at_the_latest_snapshot(store: Store) -> None:
    writes = history("org.twinhub:a", 250)
    await commit_all(store, writes)
    for bound, first in [(250, 200), (199, 100), (200, 200), (100, 100), (99, 1), (1, 1), (1_000, 200)]:
        entries = await store.journal("org.twinhub:a", to_revision=bound)
        last = min(bound, 250)
        assert revisions(entries) == list(range(first, last + 1)), bound
        snapshot = entries[0].snapshot
        assert snapshot is not None and snapshot.revision == first and counter(snapshot) == first
        assert snapshot == writes[first - 1].thing
        assert all(entry.snapshot is None for entry in entries[1:])
    assert await store.journal("org.twinhub:a", to_revision=0) == []


async def test_journal_by_timestamp_is_inclusive_and_starts_at_a_snapshot(store: Store) -> None:
    await commit_all(store, history("org.twinhub:a", 250))  # revision r happens at at(r)
    assert revisions(await store.journal("org.twinhub:a", to_timestamp=at(150.5))) == list(range(100, 151))
    assert revisions(await store.journal("org.twinhub:a", to_timestamp=at(200))) == [200]
    assert revisions(await store.journal("org.twinhub:a", to_timestamp=at(1))) == [1]
    assert revisions(await store.journal("org.twinhub:a", to_timestamp=at(9_999))) == list(range(200, 251))
    assert await store.journal("org.twinhub:a", to_timestamp=at(0.5)) == []
    both = await store.journal("org.twinhub:a", to_revision=120, to_timestamp=at(150))
    assert revisions(both) == list(range(100, 121))


async def test_journal_after_recreation_starts_at_the_new_creation(store: Store) -> None:
    created = create("org.twinhub:a")
    deleted = delete(created.thing)
    again = create("org.twinhub:a", {"attributes": {"back": True}}, after=deleted.thing)
    await commit_all(store, [created, deleted, again])
    entries = await store.journal("org.twinhub:a")
    assert revisions(entries) == [3] and entries[0].snapshot == again.thing
    assert revisions(await store.journal("org.twinhub:a", to_revision=2)) == [1, 2]


async def test_snapshot_at_the_interval_keeps_a_tombstone(store: Store) -> None:
    writes = history("org.twinhub:a", SNAPSHOT_INTERVAL - 1)
    writes.append(delete(writes[-1].thing))
    await commit_all(store, writes)
    entries = await store.journal("org.twinhub:a", to_revision=SNAPSHOT_INTERVAL)
    assert revisions(entries) == [SNAPSHOT_INTERVAL]
    assert entries[0].snapshot == writes[-1].thing
