"""Policies in the store, and units of writes (a thing with its new policy) committed all or nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.contract.conftest import StoreOpener
from tests.contract.helpers import POLICY_DOC, create, create_policy, delete, unit
from twinhub.model.events import Policy, PolicyEvent, PolicyWrite
from twinhub.model.pointer import set_at
from twinhub.model.policy import replay_policy
from twinhub.model.types import JsonValue, Pointer
from twinhub.store.base import RevisionConflict, Store
from twinhub.store.index import PolicyIndex

pytestmark = pytest.mark.anyio


async def test_unknown_policy_loads_as_none(store: Store) -> None:
    assert await store.load_policy("ns:none") is None


async def test_policy_commit_then_load(store: Store) -> None:
    write = create_policy("ns:p")
    await store.commit(unit(write))
    assert await store.load_policy("ns:p") == write.policy


async def test_policy_and_thing_with_the_same_id_are_separate(store: Store) -> None:
    await store.commit(unit(create("ns:same"), create_policy("ns:same")))
    thing, policy = await store.load("ns:same"), await store.load_policy("ns:same")
    assert thing is not None and thing.doc["thingId"] == "ns:same"
    assert policy is not None and policy.doc["policyId"] == "ns:same"


async def test_unit_with_a_conflicting_policy_writes_nothing(store: Store) -> None:
    await store.commit(unit(create_policy("ns:taken")))
    with pytest.raises(RevisionConflict):
        await store.commit(unit(create("ns:new-thing"), create_policy("ns:taken")))
    assert await store.load("ns:new-thing") is None
    policy = await store.load_policy("ns:taken")
    assert policy is not None and policy.revision == 1


async def test_units_in_one_batch_fail_alone(store: Store) -> None:
    await store.commit(unit(create_policy("ns:busy")))
    results = await asyncio.gather(
        store.commit(unit(create("ns:a"), create_policy("ns:pa"))),
        store.commit(unit(create("ns:b"), create_policy("ns:busy"))),
        store.commit(unit(create("ns:c"))),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], RevisionConflict)
    assert await store.load("ns:a") is not None and await store.load_policy("ns:pa") is not None
    assert await store.load("ns:b") is None


async def test_a_policy_index_written_again_keeps_replacing_its_imports(store: Store) -> None:
    """A policy's index is committed again whenever it or a policy it imports changes, mostly with the same imports:
    they are replaced, never duplicated (PostgreSQL wrote them in one statement that conflicted with itself)."""
    await store.commit(unit(PolicyIndex("ns:importer", (), ("ns:a", "ns:b"))))
    await store.commit(unit(PolicyIndex("ns:importer", (), ("ns:a", "ns:b"))))
    assert await store.importers_of("ns:a") == ["ns:importer"]
    await store.commit(unit(PolicyIndex("ns:importer", (), ("ns:b", "ns:c"))))
    assert (await store.importers_of("ns:a"), await store.importers_of("ns:b"), await store.importers_of("ns:c")) \
        == ([], ["ns:importer"], ["ns:importer"])


async def test_policies_survive_reopening(open_store: StoreOpener) -> None:
    async with open_store() as store:
        await store.commit(unit(create_policy("ns:kept")))
    async with open_store() as store:
        policy = await store.load_policy("ns:kept")
        assert policy is not None and policy.doc == {**POLICY_DOC, "policyId": "ns:kept"}


# -- a thing with its policy, in one read ------------------------------------------------------------


async def test_load_with_policy_reads_the_thing_and_the_policy_it_names(store: Store) -> None:
    thing_write, policy_write = create("ns:t", {"policyId": "ns:p"}), create_policy("ns:p")
    await store.commit(unit(thing_write, policy_write))
    assert await store.load_with_policy("ns:t") == (thing_write.thing, policy_write.policy)


async def test_load_with_policy_of_a_thing_whose_policy_is_missing_or_deleted(store: Store) -> None:
    await store.commit(unit(create("ns:orphan", {"policyId": "ns:never"})))
    orphan = await store.load("ns:orphan")
    assert await store.load_with_policy("ns:orphan") == (orphan, None)
    policy = create_policy("ns:gone")
    deleted = create_policy("ns:gone", after=policy.policy)
    tombstone = replace(deleted.policy, doc={}, deleted=True)
    await store.commit(unit(create("ns:t", {"policyId": "ns:gone"}), policy))
    await store.commit(unit(replace(deleted, policy=tombstone, event=replace(deleted.event, action="deleted",
                                                                            value=None))))
    thing, loaded = await store.load_with_policy("ns:t")
    assert thing == await store.load("ns:t") and loaded == await store.load_policy("ns:gone")
    assert loaded is not None and loaded.deleted


async def test_load_with_policy_of_an_unknown_or_deleted_thing(store: Store) -> None:
    assert await store.load_with_policy("ns:unknown") == (None, None)
    write = create("ns:t", {"policyId": "ns:p"})
    await store.commit(unit(write, create_policy("ns:p")))
    await store.commit(unit(delete(write.thing)))
    tombstone = await store.load("ns:t")
    assert tombstone is not None and tombstone.deleted
    assert await store.load_with_policy("ns:t") == (tombstone, None)  # a tombstone names no policy


def _modify_policy(before: Policy, path: Pointer, value: JsonValue) -> PolicyWrite:
    """A write of the part `path` of `before`, one second after it, as the policy service commits it."""
    revision = before.revision + 1
    moment = before.modified + timedelta(seconds=1)
    doc = set_at(before.doc, path, value)
    return PolicyWrite(Policy(before.policy_id, doc, revision, before.created, moment),
                       PolicyEvent(before.policy_id, "modified", path, value, revision, moment), before.revision)


async def test_policy_journal_rebuilds_a_policy_at_a_revision_or_time(store: Store) -> None:
    """The policy journal answers as the thing journal does (`Store.policy_journal`): from the latest snapshot at
    or before the bound (a creation, or every SNAPSHOT_INTERVAL-th revision) through the bound."""
    writes = [create_policy("ns:journal")]
    for number in range(2, 103):
        writes.append(_modify_policy(writes[-1].policy, ("entries", "e", "subjects"), {f"s:{number}": {"type": "t"}}))
    for write in writes:
        await store.commit(unit(write))
    assert await store.policy_journal("ns:none") == []
    assert await store.policy_journal("ns:journal", to_revision=0) == []
    for bound in (1, 2, 99, 100, 101, 102):
        entries = await store.policy_journal("ns:journal", to_revision=bound)
        snapshot = entries[0].snapshot
        assert snapshot is not None and snapshot == writes[(1 if bound < 100 else 100) - 1].policy
        assert [entry.event for entry in entries[1:]] == [write.event for write in writes[snapshot.revision:bound]]
        assert replay_policy(snapshot, [entry.event for entry in entries[1:]]) == writes[bound - 1].policy
    by_time = await store.policy_journal("ns:journal", to_timestamp=writes[4].policy.modified + timedelta(seconds=0.5))
    assert [entry.event.revision for entry in by_time] == [1, 2, 3, 4, 5]
