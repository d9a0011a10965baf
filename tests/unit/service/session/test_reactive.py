"""Search and history as reactive streams of a session, in process: items only as the demand allows."""

from __future__ import annotations

import pytest

from tests.unit.service.live_world import THING_ID
from tests.unit.service.session.world import Client, Frame, client, topic, write
from twinhub.service.session import SessionServices

pytestmark = pytest.mark.anyio

SEARCH = "_/_/things/twin/search"


async def subscribe(session: Client, subscribe_topic: str, value: Frame, **extra: object) -> str:
    await session.send({"topic": subscribe_topic, "path": "/", "headers": {}, "value": value, **extra})
    created = await session.frame()
    assert created["topic"].endswith("/created"), created
    subscription: str = created["value"]["subscriptionId"]
    return subscription


async def request(session: Client, request_topic: str, subscription: str, demand: int) -> None:
    await session.send({"topic": request_topic, "path": "/", "headers": {},
                        "value": {"subscriptionId": subscription, "demand": demand}})


async def test_search_pages_come_as_the_demand_allows(world: SessionServices) -> None:
    for n in range(4):
        await write(world, (), {"policyId": THING_ID, "attributes": {"n": n}}, thing_id=f"org.twinhub.search:t{n}")
    async with client(world) as owner:
        subscription = await subscribe(owner, f"{SEARCH}/subscribe", {
            "filter": "ge(attributes/n,1)", "options": "sort(+thingId),size(2)",
            "namespaces": ["org.twinhub.search"]}, fields="thingId")
        await request(owner, f"{SEARCH}/request", subscription, 1)
        first = await owner.frame()
        await request(owner, f"{SEARCH}/request", subscription, 5)
        second, done = await owner.frame(), await owner.frame()
    assert first["topic"] == second["topic"] == f"{SEARCH}/next"
    assert [item["thingId"] for item in first["value"]["items"]] == ["org.twinhub.search:t1", "org.twinhub.search:t2"]
    assert second["value"]["items"] == [{"thingId": "org.twinhub.search:t3"}]
    assert (done["topic"], done["value"]["subscriptionId"]) == (f"{SEARCH}/complete", subscription)


async def test_a_search_that_cannot_run_fails_after_it_was_created(world: SessionServices) -> None:
    async with client(world) as owner:
        subscription = await subscribe(owner, f"{SEARCH}/subscribe", {"filter": "eq(attributes/n"})
        await request(owner, f"{SEARCH}/request", subscription, 1)
        failed = await owner.frame()
    assert (failed["topic"], failed["value"]["error"]["status"]) == (f"{SEARCH}/failed", 400)


async def test_a_cancelled_or_unknown_subscription_takes_no_demand(world: SessionServices) -> None:
    async with client(world) as owner:
        subscription = await subscribe(owner, f"{SEARCH}/subscribe", {})
        await owner.send({"topic": f"{SEARCH}/cancel", "path": "/", "headers": {},
                          "value": {"subscriptionId": subscription}})
        await request(owner, f"{SEARCH}/request", subscription, 1)
        unknown = await owner.frame()
        other = await subscribe(owner, f"{SEARCH}/subscribe", {})
        await request(owner, f"{SEARCH}/request", other, 0)
        non_positive = await owner.frame()
    assert unknown["topic"] == f"{SEARCH}/failed"
    assert unknown["value"]["error"]["error"] == "thing-search:subscription.not.found"
    assert unknown["value"]["error"]["message"] == f"No subscription with ID '{subscription}' exists."
    assert non_positive["value"]["error"]["error"] == "thing-search:subscription.protocol.error"


async def test_persisted_events_stream_as_the_demand_allows(world: SessionServices) -> None:
    for value in (1, 2, 3):
        await write(world, ("attributes", "v"), value)
    streaming = topic("things/twin/streaming")
    async with client(world) as owner:
        subscription = await subscribe(owner, f"{streaming}/subscribeForPersistedEvents", {
            "fromHistoricalRevision": 2, "toHistoricalRevision": 4}, path="/attributes")
        await request(owner, f"{streaming}/request", subscription, 10)
        frames = [await owner.frame() for _ in range(4)]
    assert [frame["topic"] for frame in frames] == [f"{streaming}/next"] * 3 + [f"{streaming}/complete"]
    assert [(frame["value"]["item"]["revision"], frame["value"]["item"]["value"]) for frame in frames[:3]] == [
        (2, 1), (3, 2), (4, 3)]
