"""amqp-10 connections end to end: a real twinhub server, a connection made over /api/2/connections to a
RabbitMQ node of the tests' own with its AMQP 1.0 plugin (`rabbit_node.py`), queues made by a peer channel.

A command the source's subjects may not do and a malformed payload are rejected (dead-lettered), logged and
counted while the connection keeps working; /status follows the broker's outage and its recovery; a dry run
says why not; a broker killed mid-stream loses no message. What amqp-091 does alike is in test_e2e_amqp.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aio_pika
import httpx
import pytest

from tests.connectivity.amqp_side import Side, amqp10
from tests.connectivity.e2e import AFTER_OUTAGE, OWNER, Connections, inbound, merge, new_thing_id, value_at, value_is
from tests.connectivity.peer import Channel, dead_lettered_queue, send, take_several
from tests.connectivity.polling import until
from tests.connectivity.rabbit_node import RabbitNode

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("rabbit_node")]


@pytest.fixture
def amqp_side(running_node: RabbitNode) -> Side:
    return amqp10(running_node)


async def test_an_unauthorized_command_and_a_malformed_payload_are_dead_lettered_logged_and_counted(
        e2e_api: httpx.AsyncClient, e2e_other: httpx.AsyncClient, e2e_connections: Connections,
        running_node: RabbitNode, amqp_peer: Channel) -> None:
    mine, theirs = new_thing_id("mine"), new_thing_id("theirs")
    assert (await e2e_api.put(f"/things/{mine}", json={"attributes": {}})).status_code == 201
    assert (await e2e_other.put(f"/things/{theirs}", json={"attributes": {"x": 0}})).status_code == 201
    queue, dead = await dead_lettered_queue(amqp_peer)
    connection_id = await amqp10(running_node).open_source(e2e_connections, queue)
    await send(amqp_peer, queue, merge(theirs, "/attributes/x", 666), correlation_id="refused-1")
    await send(amqp_peer, queue, b"[1, 2", correlation_id="broken-1")
    assert sorted(message.correlation_id or "" for message in await take_several(amqp_peer, dead, 2)) == [
        "broken-1", "refused-1"]
    refusal = await e2e_connections.wait_logged(connection_id, "the refusal", correlationId="refused-1",
                                                level="failure")
    assert refusal["entityId"] == theirs and refusal["type"] == "acknowledged"
    junk = await e2e_connections.wait_logged(connection_id, "the junk", correlationId="broken-1")
    assert (junk["level"], junk["type"]) == ("failure", "mapped")
    assert await value_at(e2e_other, theirs, "attributes/x") == 0
    await send(amqp_peer, queue, merge(mine, "/attributes/after", True))
    await until(lambda: value_is(e2e_api, mine, "attributes/after", True), "the next message's change")
    metrics = await e2e_connections.metrics(connection_id)
    assert metrics["containsFailures"] is True
    assert inbound(metrics, "mapped", "failure") == 1
    assert inbound(metrics, "acknowledged", "failure") == 2 and inbound(metrics, "acknowledged") == 1


async def test_status_shows_the_brokers_outage_and_the_recovery(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, running_node: RabbitNode) -> None:
    thing = new_thing_id("outage")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    queue = running_node.durable_queue()  # declared before an orderly restart: on disk for sure
    connection_id = await amqp10(running_node).open_source(e2e_connections, queue)
    running_node.stop()
    status = await e2e_connections.wait_failed(connection_id)
    assert status["sourceStatus"][0]["status"] == "failed"
    running_node.start()
    await e2e_connections.wait_open(connection_id, within=AFTER_OUTAGE)
    async with await aio_pika.connect(running_node.uri()) as after:
        await send(await after.channel(), queue, merge(thing, "/attributes/after", "recovery"))
    await until(lambda: value_is(e2e_api, thing, "attributes/after", "recovery"), "a message after the recovery")


async def test_a_dry_run_connects_to_the_node_and_says_why_not_with_wrong_credentials(
        e2e_api: httpx.AsyncClient, running_node: RabbitNode) -> None:
    body = {"connectionType": "amqp-10", "connectionStatus": "open", "uri": running_node.uri(), "targets": [
        {"address": "/exchange/amq.topic/x", "topics": ["_/_/things/twin/events"], "authorizationContext": [OWNER]}]}
    before = (await e2e_api.get("/connections", params={"ids-only": "true"})).json()
    response = await e2e_api.post("/connections", params={"dry-run": "true"}, json=body)
    assert response.status_code == 200, response.text
    refused = await e2e_api.post("/connections", params={"dry-run": "true"},
                                 json={**body, "uri": running_node.uri(password="wrong-secret")})
    assert refused.status_code == 504 and refused.json()["error"] == "connectivity:connection.failed"
    assert "wrong-secret" not in refused.text
    assert (await e2e_api.get("/connections", params={"ids-only": "true"})).json() == before


async def test_a_broker_killed_mid_stream_loses_no_message(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, running_node: RabbitNode) -> None:
    thing = new_thing_id("stream")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    async with await aio_pika.connect(running_node.uri()) as before:
        channel = await before.channel()
        queue = running_node.durable_queue()  # declared before an orderly restart: it outlives the kill
        for n in range(STREAMED):  # persistent, in a durable queue: they outlive the broker's crash
            await send(channel, queue, merge(thing, f"/attributes/m{n}", n),
                       delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
    connection_id = await amqp10(running_node).open_source(e2e_connections, queue)

    async def landed() -> int:
        attributes = await value_at(e2e_api, thing, "attributes")
        return len(attributes) if isinstance(attributes, dict) else 0

    await until(lambda: _some(landed), "the first changes")
    running_node.kill()  # mid-stream (unless the machine was quick): unsettled deliveries are not lost
    await e2e_connections.wait_failed(connection_id)
    running_node.start()
    await e2e_connections.wait_open(connection_id, within=AFTER_OUTAGE)

    async def all_landed() -> bool:
        return await landed() == STREAMED

    await until(all_landed, "every message's change", within=60)
    assert await value_at(e2e_api, thing, "attributes") == {f"m{n}": n for n in range(STREAMED)}


STREAMED = 300


async def _some(count: Callable[[], Awaitable[int]]) -> bool:
    return await count() > 0
