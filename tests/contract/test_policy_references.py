"""Search sees what entry references grant, on both stores: the policy index rows are built from the resolved
entries (Ditto indexes the resolved policy and re-indexes things of every policy that references a changed one
through `__referencedPolicies`: `basic-policy.md` "Key rules", `thingsearch/service/.../PersistenceConstants.java`).
twinhub commits the index of a policy and of its importers with the change, so search is consistent at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from twinhub.bus.inprocess import InProcessBus
from twinhub.model.commands import ThingCommand
from twinhub.model.policy import PolicyCommand
from twinhub.model.types import JsonObject
from twinhub.service.policies import PolicyService
from twinhub.service.search import SearchQuery, SearchService
from twinhub.service.things import ThingService
from twinhub.store.base import Store

pytestmark = pytest.mark.anyio

NS = "org.twinhub.refs"
OWNER, BOB = ("nginx:owner",), ("nginx:bob",)
GRANT_ALL: JsonObject = {"grant": ["READ", "WRITE"], "revoke": []}
OWNER_ENTRY: JsonObject = {"subjects": {"nginx:owner": {"type": "t"}},
                           "resources": {"thing:/": GRANT_ALL, "policy:/": GRANT_ALL}}


@dataclass
class World:
    policies: PolicyService
    things: ThingService
    search: SearchService

    async def policy(self, name: str, value: JsonObject) -> None:
        await self.policies.execute(PolicyCommand("modify", f"{NS}:{name}", (), value), OWNER)

    async def found_by(self, subjects: tuple[str, ...]) -> dict[str, JsonObject]:
        page = await self.search.search(SearchQuery(filters=("exists(attributes/a)",)), subjects)
        return {thing.thing_id: view for thing, view in page.things}


@pytest.fixture
async def world(store: Store) -> AsyncIterator[World]:
    bus = InProcessBus()
    policies = PolicyService(store, bus)
    things = ThingService(store, bus, policies)
    yield World(policies, things, SearchService(store, things))
    await bus.aclose()


async def test_search_follows_local_and_imported_references_and_their_changes(world: World) -> None:
    """Local reference: bob's entry inherits READ on the attributes; import reference: READ on the features of a
    template; a change of the template (or of the referencing entry) is searchable at once."""
    template_role: JsonObject = {"subjects": {}, "resources": {"thing:/features": {"grant": ["READ"], "revoke": []}}}
    await world.policy("template", {"entries": {"owner": OWNER_ENTRY, "role": template_role}})
    await world.policy("thing", {"imports": {f"{NS}:template": {}}, "entries": {
        "owner": OWNER_ENTRY,
        "attributes": {"subjects": {}, "resources": {"thing:/attributes": {"grant": ["READ"], "revoke": []}}},
        "bob": {"subjects": {"nginx:bob": {"type": "t"}}, "resources": {},
                "references": [{"entry": "attributes"}, {"import": f"{NS}:template", "entry": "role"}]}}})
    thing: JsonObject = {"policyId": f"{NS}:thing", "attributes": {"a": 1}, "features": {"f": {"properties": {}}}}
    await world.things.execute(ThingCommand("modify", f"{NS}:thing", (), thing), OWNER)

    found = await world.found_by(BOB)
    assert found == {f"{NS}:thing": {"thingId": f"{NS}:thing", "attributes": {"a": 1},
                                     "features": {"f": {"properties": {}}}}}

    await world.policies.execute(PolicyCommand("modify", f"{NS}:template", ("entries", "role", "resources"), {}),
                                 OWNER)
    assert (await world.found_by(BOB))[f"{NS}:thing"] == {"thingId": f"{NS}:thing", "attributes": {"a": 1}}

    await world.policies.execute(PolicyCommand("modify", f"{NS}:thing", ("entries", "bob", "references"),
                                               [{"import": f"{NS}:template", "entry": "role"}]), OWNER)
    assert await world.found_by(BOB) == {}
    assert f"{NS}:thing" in await world.found_by(OWNER)
