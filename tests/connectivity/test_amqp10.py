"""The amqp-10 client against a RabbitMQ node of the tests' own with its AMQP 1.0 plugin (`rabbit_node.py`):
receive and settle (accepted, released, rejected → dead-letter), bounded credit, competing consumers, a
dropped link, publishing with the broker's disposition, header mapping both ways, binary and oversize
payloads, refused connections, and a broker killed under a publisher and under a consumer.

The queues are made (and inspected) over AMQP 0.9.1 by a peer channel; the client addresses them as
RabbitMQ's AMQP 1.0 plugin names them: `/amq/queue/<name>` (an existing queue), `/exchange/<name>/<key>`."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import AsyncIterator

import aio_pika
import anyio
import pytest

from tests.connectivity.peer import Channel, consumers, dead_lettered_queue, new_queue, ready, send, take
from tests.connectivity.rabbit_node import RabbitNode
from tests.integration.conftest import TcpProxy
from twinhub.connectivity.clients import test_connection
from twinhub.connectivity.clients.amqp10 import Amqp10Client
from twinhub.connectivity.clients.base import REFUSAL_LOGGER, ClientFailure, ClientSettings, Outcome, SourceSettings
from twinhub.connectivity.external import ExternalMessage

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("rabbit_node")]


def settings(uri: str, **overrides: object) -> ClientSettings:
    values: dict[str, object] = {"connection_id": "amqp10", "connection_type": "amqp-10", "uri": uri,
                                 "client_id": uuid.uuid4().hex, "group": "amqp10", "connect_timeout": 5.0,
                                 "publish_timeout": 5.0}
    return ClientSettings(**(values | overrides))  # type: ignore[arg-type]


def at(queue: str) -> str:
    return f"/amq/queue/{queue}"


@pytest.fixture
async def peer(running_node: RabbitNode) -> AsyncIterator[Channel]:
    connection = await aio_pika.connect(running_node.uri())
    async with connection:
        yield await connection.channel()


@pytest.fixture
async def client(running_node: RabbitNode) -> AsyncIterator[Amqp10Client]:
    client = Amqp10Client(settings(running_node.uri()))
    await client.connect()
    yield client
    await client.aclose()


async def test_headers_map_to_amqp_properties_and_back(client: Amqp10Client, peer: Channel) -> None:
    queue = await new_queue(peer)
    headers = {"correlation-id": "c-1", "reply-to": "/amq/queue/replies", "message-id": "m-1", "subject": "s",
               "creation-time": "1700000000000", "group-sequence": "7", "device-id": "d1",
               "amqp.application.property:to": "app-to", "amqp.message.annotation:x-opt-tag": "t"}
    await client.publish(ExternalMessage(payload=b'{"n":1}', address=at(queue), headers=headers,
                                         content_type="application/vnd.eclipse.ditto+json"))
    seen_by_091 = await take(peer, queue)  # real AMQP properties, not application properties
    assert (seen_by_091.correlation_id, seen_by_091.reply_to, seen_by_091.content_type) == (
        "c-1", "/amq/queue/replies", "application/vnd.eclipse.ditto+json")

    await client.publish(ExternalMessage(payload=b'{"n":1}', address=at(queue), headers=headers,
                                         content_type="application/vnd.eclipse.ditto+json"))
    deliveries = client.deliveries(SourceSettings(addresses=(at(queue),)))
    with anyio.fail_after(10):
        delivery = await anext(deliveries)
    await delivery.settle(Outcome.ACCEPT)
    await deliveries.aclose()  # type: ignore[attr-defined]
    message = delivery.message
    assert (message.payload, message.address, message.content_type) == (
        b'{"n":1}', at(queue), "application/vnd.eclipse.ditto+json")
    assert message.headers == headers | {"content-type": "application/vnd.eclipse.ditto+json"}
    assert await ready(peer, queue) == 0


async def test_released_comes_again_and_rejected_is_dead_lettered(client: Amqp10Client, peer: Channel) -> None:
    queue, dead = await dead_lettered_queue(peer)
    await send(peer, queue, b"one")
    deliveries = client.deliveries(SourceSettings(addresses=(at(queue),)))
    with anyio.fail_after(10):
        first = await anext(deliveries)
        await first.settle(Outcome.REDELIVER)
        again = await anext(deliveries)
        assert again.message.payload == b"one"
        await again.settle(Outcome.REJECT)
    await deliveries.aclose()  # type: ignore[attr-defined]
    assert (await take(peer, dead)).body == b"one"
    assert await ready(peer, queue) == 0


async def test_credit_bounds_unsettled_deliveries(running_node: RabbitNode, peer: Channel) -> None:
    queue = await new_queue(peer)
    for n in range(10):
        await send(peer, queue, str(n).encode())
    client = Amqp10Client(settings(running_node.uri(), max_in_flight=3))
    await client.connect()
    try:
        deliveries = client.deliveries(SourceSettings(addresses=(at(queue),)))
        with anyio.fail_after(10):
            held = [await anext(deliveries) for _ in range(3)]
        assert await ready(peer, queue) == 7  # no credit left: the broker sends no more
        await held[0].settle(Outcome.ACCEPT)
        with anyio.fail_after(10):
            fourth = await anext(deliveries)
        assert fourth.message.payload == b"3"
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await client.aclose()
    with anyio.fail_after(10):
        while await ready(peer, queue) != 9:  # noqa: ASYNC110  # the broker requeues the unsettled on detach
            await anyio.sleep(0.05)


async def test_competing_consumers_receive_each_message_once(running_node: RabbitNode, peer: Channel) -> None:
    queue = await new_queue(peer)
    clients = [Amqp10Client(settings(running_node.uri(), max_in_flight=2)) for _ in range(2)]
    seen: list[list[bytes]] = [[], []]
    total = 40

    async def consume(index: int) -> None:
        async for delivery in clients[index].deliveries(SourceSettings(addresses=(at(queue),))):
            seen[index].append(delivery.message.payload)
            await delivery.settle(Outcome.ACCEPT)
            if sum(map(len, seen)) == total:
                group.cancel_scope.cancel()

    for client in clients:
        await client.connect()
    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:
                group.start_soon(consume, 0)
                group.start_soon(consume, 1)
                await consumers(peer, queue, 2)
                for n in range(total):
                    await send(peer, queue, f"m{n}".encode())
    finally:
        for client in clients:
            await client.aclose()
    assert sorted(seen[0] + seen[1]) == sorted(f"m{n}".encode() for n in range(total))
    assert seen[0] and seen[1]


@pytest.mark.parametrize("anyio_backend", ["asyncio", ("asyncio", {"use_uvloop": True})], ids=["asyncio", "uvloop"])
async def test_settling_after_the_link_dropped_fails_and_the_message_comes_again(
        running_node: RabbitNode, peer: Channel) -> None:
    queue = await new_queue(peer)
    await send(peer, queue, b"keep me")
    async with TcpProxy("127.0.0.1", running_node.port) as proxy:
        client = Amqp10Client(settings(f"amqp://guest:guest@127.0.0.1:{proxy.port}"))
        await client.connect()
        deliveries = client.deliveries(SourceSettings(addresses=(at(queue),)))
        with anyio.fail_after(10):
            delivery = await anext(deliveries)
        await proxy.cut()
        with anyio.fail_after(30), pytest.raises(ClientFailure):
            await anext(deliveries)
        with pytest.raises(ClientFailure):
            await delivery.settle(Outcome.ACCEPT)
        await client.aclose()
    other = Amqp10Client(settings(running_node.uri()))
    await other.connect()
    try:
        deliveries = other.deliveries(SourceSettings(addresses=(at(queue),)))
        with anyio.fail_after(10):
            again = await anext(deliveries)
        assert again.message.payload == b"keep me"
        await again.settle(Outcome.ACCEPT)
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await other.aclose()


async def test_a_missing_source_or_target_is_a_client_failure(client: Amqp10Client, peer: Channel) -> None:
    with anyio.fail_after(10), pytest.raises(ClientFailure, match="not-found"):
        await anext(client.deliveries(SourceSettings(addresses=(at(f"missing-{uuid.uuid4().hex}"),))))
    with anyio.fail_after(10), pytest.raises(ClientFailure, match="not-found"):
        await client.publish(ExternalMessage(payload=b"x", address=f"/exchange/missing-{uuid.uuid4().hex}/key"))
    queue = await new_queue(peer)  # the connection lives on
    await client.publish(ExternalMessage(payload=b"y", address=at(queue)))
    assert (await take(peer, queue)).body == b"y"


async def test_publishes_to_an_exchange_and_routing_key(client: Amqp10Client, peer: Channel) -> None:
    exchange = await peer.declare_exchange(f"x-{uuid.uuid4().hex[:8]}", aio_pika.ExchangeType.TOPIC,
                                           auto_delete=True)
    queue = await new_queue(peer)
    await (await peer.declare_queue(queue, passive=True)).bind(exchange, "things.#")
    await client.publish(ExternalMessage(payload=b"e", address=f"/exchange/{exchange.name}/things.created"))
    message = await take(peer, queue)
    assert (message.body, message.routing_key) == (b"e", "things.created")


async def test_binary_payloads_travel_unchanged(client: Amqp10Client, peer: Channel) -> None:
    queue = await new_queue(peer)
    payload = bytes(range(256)) * 4
    await client.publish(ExternalMessage(payload=payload, address=at(queue),
                                         content_type="application/octet-stream"))
    deliveries = client.deliveries(SourceSettings(addresses=(at(queue),)))
    with anyio.fail_after(10):
        delivery = await anext(deliveries)
    assert delivery.message.payload == payload
    assert not delivery.message.is_text
    await delivery.settle(Outcome.ACCEPT)
    await deliveries.aclose()  # type: ignore[attr-defined]


async def test_oversize_messages_are_rejected_and_logged(running_node: RabbitNode, peer: Channel,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    queue, dead = await dead_lettered_queue(peer)
    await send(peer, queue, b"x" * 2001)
    await send(peer, queue, b"small")
    client = Amqp10Client(settings(running_node.uri(), max_message_bytes=2000))
    await client.connect()
    try:
        deliveries = client.deliveries(SourceSettings(addresses=(at(queue),)))
        with caplog.at_level(logging.WARNING, logger=REFUSAL_LOGGER.name), anyio.fail_after(10):
            delivery = await anext(deliveries)
        assert delivery.message.payload == b"small"
        await delivery.settle(Outcome.ACCEPT)
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await client.aclose()
    assert (await take(peer, dead)).body == b"x" * 2001
    [record] = [r for r in caplog.records if r.name == REFUSAL_LOGGER.name]
    assert "2001 bytes" in record.getMessage()
    assert (record.connection_id, record.address) == ("amqp10", at(queue))  # type: ignore[attr-defined]


@pytest.mark.parametrize(("where", "match"), [
    ("password", "unauthorized-access"),
    ("port", "cannot connect"),
    ("scheme", "must be amqp"),
])
async def test_refused_connections_are_client_failures(running_node: RabbitNode, where: str, match: str) -> None:
    bad = {"password": running_node.uri(password="wrong"), "port": "amqp://guest:guest@127.0.0.1:1",
           "scheme": running_node.uri(scheme="mqtt")}[where]
    with anyio.fail_after(10), pytest.raises(ClientFailure, match=match) as failure:
        await test_connection(settings(bad, connection_type="amqp-10"))
    assert "wrong" not in str(failure.value)


async def test_a_silent_server_is_a_client_failure_within_the_connect_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # the kernel accepts; nobody ever answers
        port = listener.getsockname()[1]
        with anyio.fail_after(10), pytest.raises(ClientFailure, match="no answer"):
            await test_connection(settings(f"amqp://guest:guest@127.0.0.1:{port}", connect_timeout=0.5))


async def test_dry_run_connects_and_closes(running_node: RabbitNode) -> None:
    await test_connection(settings(running_node.uri()))


async def test_a_deleted_queue_ends_deliveries(client: Amqp10Client, peer: Channel) -> None:
    queue = await new_queue(peer)
    deliveries = client.deliveries(SourceSettings(addresses=(at(queue),)))
    waiting = anext(deliveries)
    async with anyio.create_task_group() as group:
        async def delete() -> None:
            await consumers(peer, queue, 1)
            await peer.queue_delete(queue)
        group.start_soon(delete)
        with anyio.fail_after(10), pytest.raises(ClientFailure):  # RabbitMQ 3.10 drops the whole connection
            await waiting


async def test_unsendable_headers_are_a_client_failure(client: Amqp10Client) -> None:
    with pytest.raises(ClientFailure, match="cannot send"):
        await client.publish(ExternalMessage(payload=b"x", address="/amq/queue/q", headers={"group-sequence": "x"}))


async def test_a_message_the_broker_refuses_is_a_client_failure(client: Amqp10Client, peer: Channel) -> None:
    queue = await new_queue(peer, **{"x-max-length": 1, "x-overflow": "reject-publish"})
    await client.publish(ExternalMessage(payload=b"fits", address=at(queue)))
    # RabbitMQ 3.10's AMQP 1.0 plugin answers its own nack by dropping the connection instead of `rejected`:
    # either way, the publish must fail rather than return or hang
    with anyio.fail_after(10), pytest.raises(ClientFailure):
        await client.publish(ExternalMessage(payload=b"full", address=at(queue)))
    assert (await take(peer, queue)).body == b"fits"


async def test_concurrent_publishes_are_each_accepted(client: Amqp10Client, peer: Channel) -> None:
    queue = await new_queue(peer)
    async with anyio.create_task_group() as group:
        for n in range(50):
            group.start_soon(client.publish, ExternalMessage(payload=str(n).encode(), address=at(queue)))
    assert await ready(peer, queue) == 50  # each publish returned after its disposition: all are in the queue
