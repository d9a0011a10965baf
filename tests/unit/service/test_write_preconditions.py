"""The thing and policy services tag the part a write touches only when the write carries conditional headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import twinhub.service.things as things_module
from twinhub.bus.inprocess import InProcessBus
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import PreconditionFailed
from twinhub.model.etag import Preconditions
from twinhub.model.policy import PolicyCommand
from twinhub.service.policies import PolicyService
from twinhub.service.things import ThingService
from twinhub.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.anyio

OWNER = ("nginx:owner",)
THING = "org.twinhub.test:sensor"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def things(tmp_path: Path) -> AsyncIterator[ThingService]:
    bus = InProcessBus()
    async with open_sqlite_store(tmp_path / "things.db") as store:
        yield ThingService(store, bus, PolicyService(store, bus))
    await bus.aclose()


@pytest.fixture
async def policies(tmp_path: Path) -> AsyncIterator[PolicyService]:
    bus = InProcessBus()
    async with open_sqlite_store(tmp_path / "policies.db") as store:
        yield PolicyService(store, bus)
    await bus.aclose()


@pytest.fixture
def tagged(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The paths `entity_tag` was asked to tag, in order."""
    calls: list[tuple[str, ...]] = []
    real = things_module.entity_tag

    def counting(*args: object, **kwargs: object) -> str | None:
        calls.append(args[1])  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(things_module, "entity_tag", counting)
    return calls


async def test_a_write_without_preconditions_tags_only_its_result(things: ThingService,
                                                                   tagged: list[tuple[str, ...]]) -> None:
    await things.execute(ThingCommand("modify", THING, (), {"attributes": {"a": 1}}), OWNER)
    tagged.clear()
    executed = await things.execute(ThingCommand("modify", THING, ("attributes", "a"), 2), OWNER)
    assert tagged == [("attributes", "a")]  # the response's ETag, not a tag of the part before the write
    assert executed.etag is not None and executed.etag.startswith('"hash:')


async def test_a_write_with_preconditions_compares_the_tag_of_the_part_before_it(
        things: ThingService, tagged: list[tuple[str, ...]]) -> None:
    await things.execute(ThingCommand("modify", THING, (), {"attributes": {"a": 1}}), OWNER)
    before = (await things.retrieve(THING, ("attributes", "a"), OWNER)).etag
    tagged.clear()
    with pytest.raises(PreconditionFailed):
        await things.execute(ThingCommand("modify", THING, ("attributes", "a"), 2), OWNER,
                             preconditions=Preconditions(if_none_match=before))
    assert tagged == [("attributes", "a")]
    executed = await things.execute(ThingCommand("modify", THING, ("attributes", "a"), 3), OWNER,
                                    preconditions=Preconditions(if_match=before))
    assert executed.etag != before


POLICY = "org.twinhub.test:policy"
ENTRY = {"subjects": {"nginx:owner": {"type": "owner"}},
         "resources": {"policy:/": {"grant": ["READ", "WRITE"], "revoke": []},
                       "thing:/": {"grant": ["READ", "WRITE"], "revoke": []}}}


async def test_a_policy_write_without_preconditions_tags_only_its_result(
        policies: PolicyService, monkeypatch: pytest.MonkeyPatch) -> None:
    tagged: list[tuple[str, ...]] = []
    real = PolicyService._tag

    def counting(self: PolicyService, *args: object, **kwargs: object) -> str | None:
        tagged.append(args[1])  # type: ignore[arg-type]
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PolicyService, "_tag", counting)
    await policies.execute(PolicyCommand("modify", POLICY, (), {"entries": {"owner": ENTRY}}), OWNER)
    tagged.clear()
    path = ("entries", "owner", "subjects")
    await policies.execute(PolicyCommand("modify", POLICY, path, ENTRY["subjects"]), OWNER)
    assert tagged == [path]  # the response's ETag only
    tagged.clear()
    before = (await policies.retrieve(POLICY, path, OWNER))[2]
    with pytest.raises(PreconditionFailed):
        await policies.execute(PolicyCommand("modify", POLICY, path, ENTRY["subjects"]), OWNER,
                               preconditions=Preconditions(if_none_match=before))
    assert tagged == [path]  # compared before the write
