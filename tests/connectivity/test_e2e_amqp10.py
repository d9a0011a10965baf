"""amqp-10 connections end to end: a real twinhub server, a connection made over /api/2/connections to a
RabbitMQ node of the tests' own with its AMQP 1.0 plugin (`rabbit_node.py`), queues made by a peer channel.

A source message changes the twin and is accepted only once the change is committed; a command the source's
subjects may not do and a malformed payload are rejected (dead-lettered), logged and counted while the
connection keeps working; a target gets the twin events its topic's namespaces and filter select and its
subjects may READ, at its resolved address with its mapped headers; /status follows the broker's outage and
its recovery, and a broker killed mid-stream loses no message."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aio_pika
import httpx
import orjson
import pytest

from tests.connectivity.e2e import NAMESPACE, OWNER, Connections, inbound, merge, new_thing_id, value_at
from tests.connectivity.peer import Channel, dead_lettered_queue, new_queue, send, take, take_several
from tests.connectivity.rabbit_node import RabbitNode
from tests.connectivity.waiting import eventually

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("rabbit_node")]


def at(queue: str) -> str:
    """An existing queue as RabbitMQ's AMQP 1.0 plugin names it."""
    return f"/amq/queue/{queue}"


@pytest.fixture
async def peer(running_node: RabbitNode) -> AsyncIterator[Channel]:
    connection = await aio_pika.connect(running_node.uri())
    async with connection:
        yield await connection.channel()


def held(node: RabbitNode, queue: str) -> int:
    """The messages `queue` holds, ready or delivered and not yet settled (the broker's count)."""
    listing = node.ctl("list_queues", "-q", "--no-table-headers", "name", "messages")
    counts = {name: int(count) for name, count in (line.split() for line in listing.splitlines() if line.strip())}
    return counts[queue]


async def _is(api: httpx.AsyncClient, thing_id: str, path: str, expected: object) -> bool:
    return bool(await value_at(api, thing_id, path) == expected)


async def source_connection(connections: Connections, node: RabbitNode, queue: str) -> str:
    connection_id = await connections.create({"connectionType": "amqp-10", "uri": node.uri(), "sources": [
        {"addresses": [at(queue)], "authorizationContext": [OWNER]}]})
    await connections.wait_open(connection_id)
    return connection_id


async def test_a_source_message_changes_the_twin_and_is_accepted_after_the_commit(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, running_node: RabbitNode, peer: Channel) -> None:
    thing = new_thing_id("lamp")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    queue, _dead = await dead_lettered_queue(peer)
    connection_id = await source_connection(e2e_connections, running_node, queue)
    await send(peer, queue, merge(thing, "/features/temp/properties/value", 21.5))

    async def accepted() -> bool:
        if held(running_node, queue) > 0:
            return False
        # Settled with the broker: so the twin must have it already (read after the broker said so).
        assert await value_at(e2e_api, thing, "features/temp/properties/value") == 21.5
        return True

    await eventually(accepted, "the message's acceptance")
    metrics = await e2e_connections.metrics(connection_id)
    assert inbound(metrics, "consumed") == 1 and inbound(metrics, "acknowledged") == 1


async def test_an_unauthorized_command_and_a_malformed_payload_are_dead_lettered_logged_and_counted(
        e2e_api: httpx.AsyncClient, e2e_other: httpx.AsyncClient, e2e_connections: Connections,
        running_node: RabbitNode, peer: Channel) -> None:
    mine, theirs = new_thing_id("mine"), new_thing_id("theirs")
    assert (await e2e_api.put(f"/things/{mine}", json={"attributes": {}})).status_code == 201
    assert (await e2e_other.put(f"/things/{theirs}", json={"attributes": {"x": 0}})).status_code == 201
    queue, dead = await dead_lettered_queue(peer)
    connection_id = await source_connection(e2e_connections, running_node, queue)
    await send(peer, queue, merge(theirs, "/attributes/x", 666), correlation_id="refused-1")
    await send(peer, queue, b"[1, 2", correlation_id="broken-1")
    assert sorted(message.correlation_id or "" for message in await take_several(peer, dead, 2)) == [
        "broken-1", "refused-1"]
    refusal = await e2e_connections.wait_logged(connection_id, "the refusal", correlationId="refused-1",
                                                level="failure")
    assert refusal["entityId"] == theirs and refusal["type"] == "acknowledged"
    junk = await e2e_connections.wait_logged(connection_id, "the junk", correlationId="broken-1")
    assert (junk["level"], junk["type"]) == ("failure", "mapped")
    assert await value_at(e2e_other, theirs, "attributes/x") == 0
    await send(peer, queue, merge(mine, "/attributes/after", True))
    await eventually(lambda: _is(e2e_api, mine, "attributes/after", True), "the next message's change")
    metrics = await e2e_connections.metrics(connection_id)
    assert metrics["containsFailures"] is True
    assert inbound(metrics, "mapped", "failure") == 1
    assert inbound(metrics, "acknowledged", "failure") == 2 and inbound(metrics, "acknowledged") == 1


async def test_a_target_gets_the_events_its_topic_selects_and_its_subjects_may_read(
        e2e_api: httpx.AsyncClient, e2e_other: httpx.AsyncClient, e2e_connections: Connections,
        running_node: RabbitNode, peer: Channel) -> None:
    mine, theirs = new_thing_id("mine"), new_thing_id("theirs")
    elsewhere = new_thing_id("elsewhere", namespace="org.twinhub.elsewhere")
    for api, thing in ((e2e_api, mine), (e2e_other, theirs), (e2e_api, elsewhere)):
        assert (await api.put(f"/things/{thing}", json={"attributes": {"counter": 0}})).status_code == 201
    queue = await new_queue(peer)
    await (await peer.declare_queue(queue, passive=True)).bind("amq.topic", routing_key="events.#")
    connection_id = await e2e_connections.create({"connectionType": "amqp-10", "uri": running_node.uri(),
                                                  "targets": [
        {"address": "/exchange/amq.topic/events.{{ thing:namespace }}.{{ thing:name }}",
         "topics": [f"_/_/things/twin/events?namespaces={NAMESPACE}&filter=gt(attributes/counter,1)"],
         "authorizationContext": [OWNER],
         "headerMapping": {"thing-id": "{{ thing:id }}", "subject": "{{ topic:action }}"}}]})
    await e2e_connections.wait_open(connection_id)
    assert (await e2e_other.put(f"/things/{theirs}/attributes/counter", json=5)).status_code == 204
    assert (await e2e_api.put(f"/things/{elsewhere}/attributes/counter", json=5)).status_code == 204
    assert (await e2e_api.put(f"/things/{mine}/attributes/counter", json=1)).status_code == 204
    assert (await e2e_api.put(f"/things/{mine}/attributes/counter", json=2)).status_code == 204
    message = await take(peer, queue)
    assert message.routing_key == f"events.{mine.replace(':', '.')}"
    # RabbitMQ hands the AMQP 1.0 sections to an AMQP 0.9.1 consumer as they were encoded: the mapped headers
    # are an application property (thing-id) and the message's subject property.
    assert b"thing-id" in message.headers["x-amqp-1.0-app-properties"]  # type: ignore[operator]
    assert mine.encode() in message.headers["x-amqp-1.0-app-properties"]  # type: ignore[operator]
    assert b"modified" in message.headers["x-amqp-1.0-properties"]  # type: ignore[operator]
    event = orjson.loads(message.body)
    assert event["topic"] == f"{mine.replace(':', '/')}/things/twin/events/modified"
    assert (event["path"], event["value"]) == ("/attributes/counter", 2)
    declared = await peer.declare_queue(queue, passive=True)
    assert declared.declaration_result.message_count == 0  # nothing else came before it


async def test_status_shows_the_brokers_outage_and_the_recovery(
        e2e_api: httpx.AsyncClient, e2e_connections: Connections, running_node: RabbitNode) -> None:
    thing = new_thing_id("outage")
    assert (await e2e_api.put(f"/things/{thing}", json={"attributes": {}})).status_code == 201
    async with await aio_pika.connect(running_node.uri()) as before:
        queue = await new_queue(await before.channel())
    connection_id = await source_connection(e2e_connections, running_node, queue)
    running_node.stop()
    status = await e2e_connections.wait_failed(connection_id)
    assert status["sourceStatus"][0]["status"] == "failed"
    running_node.start()
    await e2e_connections.wait_open(connection_id, within=60)
    async with await aio_pika.connect(running_node.uri()) as after:
        await send(await after.channel(), queue, merge(thing, "/attributes/after", "recovery"))
    await eventually(lambda: _is(e2e_api, thing, "attributes/after", "recovery"), "a message after the recovery")


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
        queue = await new_queue(channel)
        for n in range(STREAMED):  # persistent, in a durable queue: they outlive the broker's crash
            await send(channel, queue, merge(thing, f"/attributes/m{n}", n),
                       delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
    connection_id = await source_connection(e2e_connections, running_node, queue)

    async def landed() -> int:
        attributes = await value_at(e2e_api, thing, "attributes")
        return len(attributes) if isinstance(attributes, dict) else 0

    await eventually(lambda: _some(landed), "the first changes")
    running_node.kill()  # mid-stream (unless the machine was quick): unsettled deliveries are not lost
    await e2e_connections.wait_failed(connection_id)
    running_node.start()
    await e2e_connections.wait_open(connection_id, within=60)

    async def all_landed() -> bool:
        return await landed() == STREAMED

    await eventually(all_landed, "every message's change", within=60)
    assert await value_at(e2e_api, thing, "attributes") == {f"m{n}": n for n in range(STREAMED)}


STREAMED = 300


async def _some(count: Callable[[], Awaitable[int]]) -> bool:
    return await count() > 0
