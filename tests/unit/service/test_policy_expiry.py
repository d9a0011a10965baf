"""A subject's expiry, in process on the services' injected clock: access ends the moment the clock reaches the
rounded expiry, with no waiting (tests/api/test_enforcement.py shows the same over HTTP, in real time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from twinhub.bus.inprocess import InProcessBus
from twinhub.model.commands import ThingCommand
from twinhub.model.errors import ThingNotAccessible
from twinhub.model.types import JsonObject
from twinhub.service.policies import PolicyCommand, PolicyService
from twinhub.service.things import ThingService
from twinhub.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.anyio

THING_ID = "org.twinhub.test:expiring"
OWNER, GINA = ("nginx:owner",), ("nginx:gina",)
START = datetime(2030, 1, 1, 12, 0, 0, 250_000, tzinfo=UTC)
ROUNDED_EXPIRY = datetime(2030, 1, 1, 12, 0, 2, tzinfo=UTC)  # START + 1.5 s, up to the whole second


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def entry(subject: str, grant: list[str], **subject_fields: str) -> JsonObject:
    return {"subjects": {subject: {"type": "test", **subject_fields}},
            "resources": {"thing:/": {"grant": grant}, "policy:/": {"grant": grant}}}  # type: ignore[dict-item]


async def test_an_expired_subject_loses_access_when_the_clock_reaches_its_rounded_expiry(tmp_path: Path) -> None:
    clock = Clock(START)
    events = InProcessBus()
    async with open_sqlite_store(tmp_path / "things.db") as store:
        policies = PolicyService(store, events, expiry_granularity=timedelta(seconds=1), clock=clock)
        things = ThingService(store, events, policies, clock=clock)
        expiry = (START + timedelta(seconds=1.5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        await policies.execute(PolicyCommand("modify", THING_ID, (), {"entries": {
            "owner": entry("nginx:owner", ["READ", "WRITE"]),
            "temporary": entry("nginx:gina", ["READ"], expiry=expiry)}}), OWNER)
        await things.execute(ThingCommand("modify", THING_ID, (), {"policyId": THING_ID, "attributes": {"v": 1}}),
                             OWNER)
        assert (await things.retrieve(THING_ID, ("attributes",), GINA)).value == {"v": 1}

        clock.now = ROUNDED_EXPIRY - timedelta(microseconds=1)
        assert (await things.retrieve(THING_ID, ("attributes",), GINA)).value == {"v": 1}  # the enforcer is cached

        clock.now = ROUNDED_EXPIRY
        with pytest.raises(ThingNotAccessible) as caught:
            await things.retrieve(THING_ID, ("attributes",), GINA)
        assert (caught.value.code, caught.value.status) == ("things:thing.notfound", 404)
        _, subjects, _ = await policies.retrieve(THING_ID, ("entries", "temporary", "subjects"), OWNER)
        assert subjects == {}
    await events.aclose()
