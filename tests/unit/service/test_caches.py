"""The thing and policy caches in process on a real SQLite store: bounded in bytes with least-recently-used
eviction, no side table outliving the enforcers it points at, and enforcers shared by policies of the same
rules without one policy's grants reaching another after a change.

Whether a thing is still cached shows by writing a newer revision to the store behind the service's back:
a cached thing is served as it was, an evicted one is read anew."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from tests.contract.helpers import modify, unit
from twinhub.bus.inprocess import InProcessBus
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import ThingNotAccessible
from twinhub.model.types import JsonObject
from twinhub.service.compact_cache import COMPACT_ENTRY_BYTES
from twinhub.service.policies import PolicyCommand, PolicyService
from twinhub.service.things import ThingService
from twinhub.store.base import Store
from twinhub.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.anyio

NS = "org.twinhub.cache"
OWNER, GUEST = ("nginx:owner",), ("nginx:guest",)


def policy(*guests: str) -> JsonObject:
    entries: JsonObject = {"owner": {"subjects": {"nginx:owner": {"type": "t"}},
                                     "resources": {"thing:/": {"grant": ["READ", "WRITE"]},
                                                   "policy:/": {"grant": ["READ", "WRITE"]}}}}
    for guest in guests:
        entries[guest] = {"subjects": {f"nginx:{guest}": {"type": "t"}}, "resources": {"thing:/": {"grant": ["READ"]}}}
    return {"entries": entries}


@dataclass
class World:
    store: Store
    bus: InProcessBus
    path: Path

    def services(self, *, cache_size: int = 1000, cache_bytes: int = 10**8) -> tuple[PolicyService, ThingService]:
        policies = PolicyService(self.store, self.bus, cache_size=cache_size, cache_bytes=cache_bytes)
        return policies, ThingService(self.store, self.bus, policies, cache_size=cache_size, cache_bytes=cache_bytes)

    async def create(self, policies: PolicyService, things: ThingService, name: str, *guests: str) -> None:
        await policies.execute(PolicyCommand("modify", f"{NS}:{name}", (), policy(*guests)), OWNER)
        await things.execute(ThingCommand("modify", f"{NS}:{name}", (), {"policyId": f"{NS}:{name}",
                                                                          "attributes": {"v": 1}}), OWNER)

    async def change_behind_the_back(self, name: str) -> None:
        """Attribute v of the stored thing becomes 2, without any service or event knowing."""
        stored = await self.store.load(f"{NS}:{name}")
        assert stored is not None
        await self.store.commit(unit(modify(stored, ("attributes", "v"), 2)))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    bus = InProcessBus()
    async with open_sqlite_store(tmp_path / "things.db") as store:
        yield World(store, bus, tmp_path)
    await bus.aclose()


async def v(things: ThingService, name: str, subjects: tuple[str, ...] = OWNER) -> object:
    return (await things.retrieve(f"{NS}:{name}", ("attributes", "v"), subjects)).value


async def test_the_thing_cache_evicts_the_least_recently_used_past_its_bytes(world: World) -> None:
    one_thing = COMPACT_ENTRY_BYTES + len(orjson.dumps({"thingId": f"{NS}:a", "policyId": f"{NS}:a",
                                                        "attributes": {"v": 1}}))
    policies, _ = world.services()  # policies cached without limit: only things are evicted here
    things = ThingService(world.store, world.bus, policies, cache_bytes=2 * one_thing + one_thing // 2)
    await world.create(policies, things, "a")
    await world.create(policies, things, "b")
    assert await v(things, "a") == 1  # a is now more recently used than b
    await world.create(policies, things, "c")  # three do not fit in the bytes: b leaves
    for name in "abc":
        await world.change_behind_the_back(name)
    assert await v(things, "a") == 1  # still cached
    assert await v(things, "c") == 1  # still cached
    assert await v(things, "b") == 2  # evicted, read anew


async def test_a_thing_larger_than_the_cache_is_served_but_not_kept(world: World) -> None:
    policies, _ = world.services()
    things = ThingService(world.store, world.bus, policies, cache_bytes=COMPACT_ENTRY_BYTES + 10)
    await world.create(policies, things, "big")
    await world.change_behind_the_back("big")
    assert await v(things, "big") == 2


async def test_the_enforcers_side_table_is_pruned_as_enforcers_leave_the_cache(world: World) -> None:
    policies, things = world.services(cache_size=3)
    for number in range(10):
        await world.create(policies, things, f"t{number}", f"guest{number}")  # ten different policies
        assert await v(things, f"t{number}") == 1
    assert len(policies._enforcers) == 3  # the side table is private; its bound is the point
    cached = {key[0] for key in policies._enforcers._entries}
    assert set(policies._dependents) == cached
    policies.forget_all()
    assert not policies._dependents


async def test_policies_of_the_same_rules_share_one_enforcer(world: World) -> None:
    policies, things = world.services()
    await world.create(policies, things, "a", "guest")
    await world.create(policies, things, "b", "guest")
    await world.create(policies, things, "c")
    a, b, c = [await policies.enforcer(f"{NS}:{name}", namespace=NS) for name in "abc"]
    assert a is b and a is not c


async def test_a_change_of_one_policy_sharing_an_enforcer_leaves_the_others_grants_alone(world: World) -> None:
    policies, things = world.services()
    await world.create(policies, things, "a", "guest")
    await world.create(policies, things, "b", "guest")
    assert await v(things, "a", GUEST) == 1 and await v(things, "b", GUEST) == 1
    await policies.execute(PolicyCommand("delete", f"{NS}:a", ("entries", "guest"), None), OWNER)
    with pytest.raises(ThingNotAccessible):
        await v(things, "a", GUEST)
    assert await v(things, "b", GUEST) == 1
    await policies.execute(PolicyCommand("modify", f"{NS}:b", ("entries", "guest"),
                                         policy("guest")["entries"]["guest"]), OWNER)  # type: ignore[index]
    assert await v(things, "b", GUEST) == 1  # the same rules again: still readable
    with pytest.raises(ThingNotAccessible):
        await v(things, "a", GUEST)


async def test_a_cold_read_caches_the_thing_and_its_policy(world: World) -> None:
    policies, things = world.services()
    await world.create(policies, things, "a")
    fresh_policies, fresh_things = world.services()  # another worker's caches: empty
    assert await v(fresh_things, "a") == 1
    assert fresh_policies._policies.revision(f"{NS}:a") is not None  # read with the thing


async def test_a_policy_with_imports_builds_its_enforcer_once(world: World) -> None:
    """Loading the imported policy while the enforcer is built is no change of it: the enforcer is cached at the
    first use and not built again (each source's revision is checked, not a count of all changes)."""
    policies, _things = world.services()
    await policies.execute(PolicyCommand("modify", f"{NS}:template", (), policy("guest")), OWNER)
    importing = {**policy(), "imports": {f"{NS}:template": {}}}
    await policies.execute(PolicyCommand("modify", f"{NS}:importing", (), importing), OWNER)
    cold, _things = world.services()  # nothing cached
    first = await cold.enforcer(f"{NS}:importing")
    assert cold.enforcer_builds == 1
    assert await cold.enforcer(f"{NS}:importing") is first
    assert cold.enforcer_builds == 1
    assert first is not None and first.has_permission(GUEST, "thing", (), ["READ"])
    await cold.execute(PolicyCommand("delete", f"{NS}:template", ("entries", "guest")), OWNER)
    builds = cold.enforcer_builds  # with the template's own, built to authorize the change
    changed = await cold.enforcer(f"{NS}:importing")  # the import changed: built again, once
    assert changed is not None and not changed.has_permission(GUEST, "thing", (), ["READ"])
    assert await cold.enforcer(f"{NS}:importing") is changed
    assert cold.enforcer_builds == builds + 1
