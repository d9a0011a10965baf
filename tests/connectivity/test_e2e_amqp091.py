"""amqp-091 connections end to end: a real twinhub server, a connection made over /api/2/connections to the
machine's RabbitMQ (a throwaway virtual host), queues and a peer channel of the test's own.

A message whose command is not acknowledged in time stays with the broker (redelivered); the reply target
answers the device at its reply-to, errors included; a command the source's subjects may not do and a
malformed payload are rejected (dead-lettered), logged and counted while the connection keeps working;
/status follows a network outage and its end. What amqp-10 does alike is in test_e2e_amqp.py."""

from __future__ import annotations

import dataclasses

import httpx
import orjson
import pytest

from tests.connectivity.amqp_side import Side, amqp091
from tests.connectivity.e2e import OWNER, Connections, inbound, merge, new_thing_id, value_at, value_is
from tests.connectivity.peer import Channel, dead_lettered_queue, new_queue, ready, send, take, take_several
from tests.connectivity.polling import until
from tests.integration.conftest import TcpProxy
from tests.integration.services import RABBITMQ

pytestmark = pytest.mark.anyio


@pytest.fixture
def amqp_side(vhost: str) -> Side:
    return amqp091(vhost)


async def test_an_unauthorized_command_is_dead_lettered_logged_and_counted(
        e2e_api: httpx.AsyncClient, e2e_other: httpx.AsyncClient, e2e_connections: Connections, amqp_side: Side,
        amqp_peer: Channel) -> None:
    mine, theirs = new_thing_id("mine"), new_thing_id("theirs")
    assert (await e2e_api.put(f"/things/{mine}", json={"attributes": {}})).status_code == 201
    assert (await e2e_other.put(f"/things/{theirs}", json={"attributes": {"x": 0}})).status_code == 201
    queue, dead = await dead_lettered_queue(amqp_peer)
    connection_id = await amqp_side.open_source(e2e_connections, queue)
    refused = merge(theirs, "/attributes/x", 666, **{"correlation-id": "refused-1"})
    await send(amqp_peer, queue, refused)
    dead_lettered = await take(amqp_peer, dead)
    assert dead_lettered.body == refused
    assert dead_lettered.headers["x-death"][0]["reason"] == "rejected"  # type: ignore[index]
    entry = await e2e_connections.wait_logged(connection_id, "the refusal in the logs", correlationId="refused-1",
                                              level="failure")
    assert entry["category"] == "source" and entry["entityId"] == theirs
    assert await value_at(e2e_other, theirs, "attributes/x") == 0
    metrics = await e2e_connections.metrics(connection_id)
    assert metrics["containsFailures"] is True
    assert inbound(metrics, "acknowledged", "failure") == 1
    # The connection goes on: the next message, one the source may send, lands.
    await send(amqp_peer, queue, merge(mine, "/attributes/after", True))
    await until(lambda: value_is(e2e_api, mine, "attributes/after", True), "the next message's change")


async def test_a_malformed_payload_is_logged_counted_and_the_connection_keeps_working(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, amqp_side: Side, amqp_peer: Channel) -> None:
    thing = new_thing_id("sturdy")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    queue, dead = await dead_lettered_queue(amqp_peer)
    connection_id = await amqp_side.open_source(e2e_connections, queue)
    await send(amqp_peer, queue, b'{"topic": "not/a/ditto/topic", "value":', correlation_id="broken-1")
    await send(amqp_peer, queue, b"\xff\xfe binary junk", correlation_id="broken-2")
    assert [message.correlation_id for message in await take_several(amqp_peer, dead, 2)] == ["broken-1", "broken-2"]
    for correlation_id in ("broken-1", "broken-2"):
        entry = await e2e_connections.wait_logged(connection_id, f"{correlation_id} in the logs",
                                                  correlationId=correlation_id)
        assert (entry["level"], entry["type"]) == ("failure", "mapped")
    assert inbound(await e2e_connections.metrics(connection_id), "mapped", "failure") == 2
    await send(amqp_peer, queue, merge(thing, "/attributes/fine", "yes"))
    await until(lambda: value_is(e2e_api, thing, "attributes/fine", "yes"), "the change after the junk")
    assert (await e2e_connections.status(connection_id))["liveStatus"] == "open"


async def test_a_message_whose_command_is_not_acknowledged_in_time_stays_with_the_broker(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, amqp_side: Side, amqp_peer: Channel) -> None:
    thing = new_thing_id("unanswered")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    queue, dead = await dead_lettered_queue(amqp_peer)
    connection_id = await amqp_side.open_source(e2e_connections, queue)
    # An acknowledgement nobody issues: the command times out (408), so the message is given back, again and
    # again, never acknowledged and never dead-lettered.
    await send(amqp_peer, queue, merge(thing, "/attributes/x", 1, **{"requested-acks": '["nobody-issues-this"]',
                                                                "timeout": "1s", "correlation-id": "unacked-1"}))

    async def given_back_twice() -> bool:
        entries = [entry for entry in await e2e_connections.logs(connection_id)
                   if entry["correlationId"] == "unacked-1" and "delivered again" in entry["message"]]
        return len(entries) >= 2

    await until(given_back_twice, "two redeliveries of the unanswered message")
    assert amqp_side.held(queue) == 1
    await e2e_connections.delete_all()

    async def back_in_the_queue() -> bool:  # once the connection's consumer is gone
        return await ready(amqp_peer, queue) == 1

    await until(back_in_the_queue, "the message back in the queue")
    assert await ready(amqp_peer, dead) == 0


async def test_the_reply_target_answers_the_device_at_its_reply_to(
        e2e_api: httpx.AsyncClient, e2e_other: httpx.AsyncClient, e2e_connections: Connections, amqp_side: Side,
        amqp_peer: Channel) -> None:
    mine, theirs = new_thing_id("mine"), new_thing_id("theirs")
    assert (await e2e_api.put(f"/things/{mine}", json={"attributes": {}})).status_code == 201
    assert (await e2e_other.put(f"/things/{theirs}", json={"attributes": {}})).status_code == 201
    queue, replies = await new_queue(amqp_peer), await new_queue(amqp_peer)
    connection_id = await e2e_connections.create({"connectionType": "amqp-091", "uri": amqp_side.uri, "sources": [
        {"addresses": [queue], "authorizationContext": [OWNER],
         "replyTarget": {"address": "{{ header:reply-to }}", "expectedResponseTypes": ["response", "error"],
                         "headerMapping": {"correlation-id": "{{ header:correlation-id }}"}}}]})
    await e2e_connections.wait_open(connection_id)
    await send(amqp_peer, queue, merge(mine, "/attributes/x", 1, **{"response-required": "true"}),
               correlation_id="asked-1", reply_to=f"/{replies}")
    await send(amqp_peer, queue, merge(theirs, "/attributes/x", 1, **{"response-required": "true"}),
               correlation_id="asked-2", reply_to=f"/{replies}")
    answers = {message.correlation_id: orjson.loads(message.body)
               for message in await take_several(amqp_peer, replies, 2)}
    assert answers["asked-1"]["status"] == 204
    assert answers["asked-1"]["topic"] == f"{mine.replace(':', '/')}/things/twin/commands/merge"
    # a write without WRITE is 403, readable or not (ThingCommandEnforcement.authorizeByPolicyOrThrow)
    assert (answers["asked-2"]["status"], answers["asked-2"]["value"]["error"]) == (403, "things:thing.notmodifiable")
    assert answers["asked-2"]["topic"].endswith("/things/twin/errors")


async def test_status_shows_a_network_outage_and_the_recovery(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, amqp_side: Side, amqp_peer: Channel) -> None:
    thing = new_thing_id("outage")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    queue = await new_queue(amqp_peer)
    async with TcpProxy(*RABBITMQ) as proxy:
        connection_id = await dataclasses.replace(amqp_side, port=proxy.port).open_source(e2e_connections, queue)
        await proxy.cut()
        status = await e2e_connections.wait_failed(connection_id)
        assert status["sourceStatus"][0]["status"] == "failed"
        await send(amqp_peer, queue, merge(thing, "/attributes/during", "outage"))  # waits in the queue meanwhile
        await proxy.restore()
        await e2e_connections.wait_open(connection_id)
        await until(lambda: value_is(e2e_api, thing, "attributes/during", "outage"), "the message of the outage")
