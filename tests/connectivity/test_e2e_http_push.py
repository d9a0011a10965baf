"""http-push connections end to end: a real twinhub server, a connection made over /api/2/connections to an
HTTP receiver the test runs (`http_receiver.py`).

A target gets the twin events its topic's namespaces and filter select and its subjects may READ, at its
resolved path with its mapped headers; a webhook that refuses a request fails the acknowledgement the change
requested (its status reaches the HTTP caller) and is counted and logged, while the connection stays open;
a live message sent over the HTTP API is answered by the webhook's Ditto Protocol response; /status shows an
endpoint that cannot be reached, and the recovery once it can."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from tests.connectivity.e2e import NAMESPACE, OWNER, Connections, new_thing_id, outbound
from tests.connectivity.http_receiver import HttpReceiver
from tests.connectivity.polling import until
from tests.integration.conftest import TcpProxy

pytestmark = pytest.mark.anyio

EVENTS = f"_/_/things/twin/events?namespaces={NAMESPACE}&filter=gt(attributes/counter,1)"


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    async with HttpReceiver() as running:
        yield running


async def webhook(connections: Connections, receiver: HttpReceiver, address: str, *, topics: list[str],
                  **target: object) -> str:
    connection_id = await connections.create({"connectionType": "http-push", "uri": receiver.base, "targets": [
        {"address": address, "topics": topics, "authorizationContext": [OWNER], **target}]})
    await connections.wait_open(connection_id)
    return connection_id


async def test_a_target_gets_the_events_its_topic_selects_and_its_subjects_may_read(
        e2e_api: httpx.AsyncClient, e2e_other: httpx.AsyncClient, e2e_connections: Connections,
        receiver: HttpReceiver) -> None:
    mine, theirs = new_thing_id("mine"), new_thing_id("theirs")
    elsewhere = new_thing_id("elsewhere", namespace="org.twinhub.elsewhere")
    for api, thing in ((e2e_api, mine), (e2e_other, theirs), (e2e_api, elsewhere)):
        assert (await api.put(f"/things/{thing}", json={"attributes": {"counter": 0}})).status_code == 201
    connection_id = await webhook(e2e_connections, receiver, "PUT:/echo/{{ thing:namespace }}/{{ thing:name }}",
                                  topics=[EVENTS], headerMapping={"x-thing": "{{ thing:id }}", "x-static": "yes"})
    assert (await e2e_other.put(f"/things/{theirs}/attributes/counter", json=5)).status_code == 204
    assert (await e2e_api.put(f"/things/{elsewhere}/attributes/counter", json=5)).status_code == 204
    assert (await e2e_api.put(f"/things/{mine}/attributes/counter", json=1)).status_code == 204
    assert (await e2e_api.put(f"/things/{mine}/attributes/counter", json=2)).status_code == 204

    async def arrived() -> bool:
        return bool(receiver.received)

    await until(arrived, "the event at the webhook")
    [request] = receiver.received  # nothing came before it (events are pushed in commit order)
    assert (request.method, request.target) == ("PUT", f"/echo/{mine.replace(':', '/')}")
    assert (request.headers["x-thing"], request.headers["x-static"]) == (mine, "yes")
    event = orjson.loads(request.body)
    assert event["topic"] == f"{mine.replace(':', '/')}/things/twin/events/modified"
    assert (event["path"], event["value"]) == ("/attributes/counter", 2)
    metrics = await e2e_connections.metrics(connection_id)
    assert outbound(metrics, "published") == 1 and metrics["containsFailures"] is False


async def test_a_refusing_webhook_fails_the_requested_acknowledgement_and_the_connection_stays_open(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, receiver: HttpReceiver) -> None:
    thing = new_thing_id("refused")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {"counter": 0}})).status_code == 201
    connection_id = await webhook(e2e_connections, receiver, "POST:/status/500", topics=[EVENTS],
                                  issuedAcknowledgementLabel="{{ connection:id }}:webhook")
    label = f"{connection_id}:webhook"
    response = await e2e_api.put(f"/things/{thing}/attributes/counter", json=2,
                                 headers={"requested-acks": f'["twin-persisted", "{label}"]', "timeout": "10s"})
    assert response.status_code == 424, response.text
    acks = response.json()
    assert acks["twin-persisted"]["status"] == 204
    assert acks[label]["status"] == 500
    metrics = await e2e_connections.metrics(connection_id)
    assert outbound(metrics, "published", "failure") == 1
    assert any(entry["level"] == "failure" and entry["category"] == "target"
               for entry in await e2e_connections.logs(connection_id))
    # The connection did not fail over it: still open, and the next event is pushed too.
    status = await e2e_connections.status(connection_id)
    assert status["liveStatus"] == "open" and status["clientStatus"][0]["statusDetails"] == "connected"
    assert not any("failed" in entry["message"] for entry in await e2e_connections.logs(connection_id)
                   if entry["category"] == "connection")
    assert (await e2e_api.put(f"/things/{thing}/attributes/counter", json=3)).status_code == 204

    async def pushed_again() -> bool:
        return len(receiver.received) == 2

    await until(pushed_again, "the next event at the webhook")


async def test_a_live_message_is_answered_by_the_webhooks_response(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, receiver: HttpReceiver) -> None:
    thing = new_thing_id("device")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    await webhook(e2e_connections, receiver, "POST:/respond", topics=["_/_/things/live/messages"])
    response = await e2e_api.post(f"/things/{thing}/inbox/messages/ask", json={"q": 1},
                                  params={"timeout": "10"})
    assert response.status_code == 200, response.text
    assert response.json() == {"answer": {"q": 1}}
    [request] = receiver.received
    assert orjson.loads(request.body)["topic"] == f"{thing.replace(':', '/')}/things/live/messages/ask"


async def test_status_shows_an_unreachable_endpoint_and_the_recovery(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, receiver: HttpReceiver) -> None:
    thing = new_thing_id("outage")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {"counter": 0}})).status_code == 201
    async with TcpProxy("127.0.0.1", receiver.port) as proxy:
        connection_id = await e2e_connections.create({
            "connectionType": "http-push", "uri": f"http://127.0.0.1:{proxy.port}",
            "targets": [{"address": "POST:/echo", "topics": [EVENTS], "authorizationContext": [OWNER]}]})
        await e2e_connections.wait_open(connection_id)
        await proxy.cut()
        counter = iter(range(2, 1_000_000))

        async def failed() -> bool:  # an event the endpoint cannot take ends the link; reconnecting fails
            assert (await e2e_api.put(f"/things/{thing}/attributes/counter", json=next(counter))).status_code == 204
            status = await e2e_connections.status(connection_id)
            return bool(status["liveStatus"] == "failed" and status["targetStatus"][0]["status"] == "failed")

        await until(failed, "the unreachable endpoint in /status")
        assert outbound(await e2e_connections.metrics(connection_id), "published", "failure") >= 1
        await proxy.restore()
        await e2e_connections.wait_open(connection_id)
        assert (await e2e_api.put(f"/things/{thing}/attributes/counter", json=1_000_001)).status_code == 204

        async def pushed() -> bool:
            return any(orjson.loads(request.body)["value"] == 1_000_001 for request in receiver.received)

        await until(pushed, "an event after the recovery")
