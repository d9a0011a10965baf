"""Policies in the store, and units of writes (a thing with its new policy) committed all or nothing."""

from __future__ import annotations

import asyncio

import pytest

from tests.contract.conftest import StoreOpener
from tests.contract.helpers import POLICY_DOC, create, create_policy, unit
from twinhub.store.base import RevisionConflict, Store

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


async def test_policies_survive_reopening(open_store: StoreOpener) -> None:
    async with open_store() as store:
        await store.commit(unit(create_policy("ns:kept")))
    async with open_store() as store:
        policy = await store.load_policy("ns:kept")
        assert policy is not None and policy.doc == {**POLICY_DOC, "policyId": "ns:kept"}
