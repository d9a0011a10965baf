"""What the amqp-091 and amqp-10 clients do alike, each against its broker (amqp-091: a virtual host of the
machine's RabbitMQ; amqp-10: the tests' own RabbitMQ node, `rabbit_node.py`): settling (redeliver, reject →
dead-letter), a bounded number of unsettled deliveries, competing consumers, a dropped link, binary and
oversize payloads, a silent server, a deleted queue, a publish the broker refuses, concurrent publishes.
What only one protocol has (its header mapping, addresses, refusals) is in test_amqp091.py / test_amqp10.py.

The queues are made (and inspected) over AMQP 0.9.1 by a peer channel on the same broker."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import aio_pika
import anyio
import pytest

from tests.connectivity.amqp_side import Client, Side, amqp091, amqp10
from tests.connectivity.peer import Channel, consumers, dead_lettered_queue, new_queue, ready, send, take
from tests.connectivity.polling import until
from tests.integration.conftest import TcpProxy
from tests.integration.services import RABBITMQ
from twinhub.connectivity.clients import test_connection
from twinhub.connectivity.clients.base import REFUSAL_LOGGER, ClientFailure, Outcome
from twinhub.connectivity.external import ExternalMessage

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["amqp-091", pytest.param("amqp-10", marks=pytest.mark.xdist_group("rabbit_node"))])
def side(request: pytest.FixtureRequest) -> Side:
    if request.param == "amqp-091":
        return amqp091(RABBITMQ[1], request.getfixturevalue("vhost"))
    return amqp10(request.getfixturevalue("running_node"))


@pytest.fixture
async def peer(side: Side) -> AsyncIterator[Channel]:
    """A plain aio-pika channel on the side's broker: the broker's other side."""
    connection = await aio_pika.connect(side.uri)
    async with connection:
        yield await connection.channel()


@pytest.fixture
async def client(side: Side) -> AsyncIterator[Client]:
    client = side.client()
    await client.connect()
    yield client
    await client.aclose()


async def test_redeliver_comes_again_and_reject_dead_letters(side: Side, client: Client, peer: Channel) -> None:
    queue, dead = await dead_lettered_queue(peer)
    await send(peer, queue, b"one")
    deliveries = side.deliveries(client, queue)
    with anyio.fail_after(10):
        first = await anext(deliveries)
        await first.settle(Outcome.REDELIVER)
        again = await anext(deliveries)
        assert again.message.payload == b"one"
        await again.settle(Outcome.REJECT)
    await deliveries.aclose()  # type: ignore[attr-defined]
    dead_lettered = await take(peer, dead)
    assert dead_lettered.body == b"one"
    assert dead_lettered.headers["x-death"][0]["reason"] == "rejected"  # type: ignore[index, call-overload]
    assert await ready(peer, queue) == 0


async def test_unsettled_deliveries_are_bounded(side: Side, peer: Channel) -> None:
    """amqp-091 by its prefetch, amqp-10 by its link credit."""
    queue = await new_queue(peer)
    for n in range(10):
        await send(peer, queue, str(n).encode())
    client = side.client(max_in_flight=3)
    await client.connect()
    try:
        deliveries = side.deliveries(client, queue)
        with anyio.fail_after(10):
            held = [await anext(deliveries) for _ in range(3)]
        assert await ready(peer, queue) == 7  # the broker sends no more until one is settled
        await held[0].settle(Outcome.ACCEPT)
        with anyio.fail_after(10):
            fourth = await anext(deliveries)
        assert fourth.message.payload == b"3"
        assert await ready(peer, queue) == 6
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await client.aclose()

    async def requeued() -> bool:  # the broker takes the unsettled back when the consumer goes
        return await ready(peer, queue) == 9

    await until(requeued, "the unsettled deliveries back in the queue")


async def test_competing_consumers_receive_each_message_once(side: Side, peer: Channel) -> None:
    queue = await new_queue(peer)
    clients = [side.client(max_in_flight=2) for _ in range(2)]
    seen: list[list[bytes]] = [[], []]
    total = 40

    async def consume(index: int) -> None:
        async for delivery in side.deliveries(clients[index], queue):
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
    assert seen[0] and seen[1]  # both consumers had a share (RabbitMQ dispatches round-robin)


@pytest.mark.parametrize("anyio_backend", ["asyncio", ("asyncio", {"use_uvloop": True})], ids=["asyncio", "uvloop"])
async def test_settling_after_the_link_dropped_fails_and_the_message_comes_again(side: Side, peer: Channel) -> None:
    queue = await new_queue(peer)
    await send(peer, queue, b"keep me")
    async with TcpProxy("127.0.0.1", side.port) as proxy:
        client = side.client(side.uri_at(proxy.port))
        await client.connect()
        deliveries = side.deliveries(client, queue)
        with anyio.fail_after(10):
            delivery = await anext(deliveries)
        await proxy.cut()
        with anyio.fail_after(30), pytest.raises(ClientFailure):
            await anext(deliveries)
        with pytest.raises(ClientFailure):
            await delivery.settle(Outcome.ACCEPT)
        await client.aclose()
    other = side.client()
    await other.connect()
    try:
        deliveries = side.deliveries(other, queue)
        with anyio.fail_after(10):
            again = await anext(deliveries)
        assert again.message.payload == b"keep me"
        await again.settle(Outcome.ACCEPT)
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await other.aclose()


async def test_binary_payloads_travel_unchanged(side: Side, client: Client, peer: Channel) -> None:
    queue = await new_queue(peer)
    payload = bytes(range(256)) * 4
    await client.publish(ExternalMessage(payload=payload, address=side.target(queue),
                                         content_type="application/octet-stream"))
    deliveries = side.deliveries(client, queue)
    with anyio.fail_after(10):
        delivery = await anext(deliveries)
    assert delivery.message.payload == payload
    assert not delivery.message.is_text
    await delivery.settle(Outcome.ACCEPT)
    await deliveries.aclose()  # type: ignore[attr-defined]


async def test_oversize_messages_are_rejected_and_logged(side: Side, peer: Channel,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    queue, dead = await dead_lettered_queue(peer)
    await send(peer, queue, b"x" * 2001)
    await send(peer, queue, b"small")
    client = side.client(max_message_bytes=2000)
    await client.connect()
    try:
        deliveries = side.deliveries(client, queue)
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
    assert (record.connection_id, record.address) == (side.connection_type, side.source(queue))  # type: ignore[attr-defined]


async def test_a_silent_server_is_a_client_failure_within_the_connect_timeout(side: Side) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # the kernel accepts; nobody ever answers
        port = listener.getsockname()[1]
        with anyio.fail_after(10), pytest.raises(ClientFailure, match="no answer"):
            await test_connection(side.settings(side.uri_at(port), connect_timeout=0.5))


async def test_dry_run_connects_and_closes(side: Side) -> None:
    await test_connection(side.settings())


async def test_a_deleted_queue_ends_deliveries(side: Side, client: Client, peer: Channel) -> None:
    queue = await new_queue(peer)
    waiting = anext(side.deliveries(client, queue))
    async with anyio.create_task_group() as group:
        async def delete() -> None:
            await consumers(peer, queue, 1)
            await peer.queue_delete(queue)
        group.start_soon(delete)
        with anyio.fail_after(10), pytest.raises(ClientFailure, match=side.refused_when_deleted):
            await waiting


async def test_a_publish_the_broker_refuses_is_a_client_failure(side: Side, client: Client, peer: Channel) -> None:
    queue = await new_queue(peer, **{"x-max-length": 1, "x-overflow": "reject-publish"})  # type: ignore[arg-type]
    await client.publish(ExternalMessage(payload=b"fits", address=side.target(queue)))
    with anyio.fail_after(10), pytest.raises(ClientFailure, match=side.refused_when_full):  # never return or hang
        await client.publish(ExternalMessage(payload=b"full", address=side.target(queue)))
    assert (await take(peer, queue)).body == b"fits"


async def test_concurrent_publishes_are_each_confirmed(side: Side, client: Client, peer: Channel) -> None:
    queue = await new_queue(peer)
    async with anyio.create_task_group() as group:
        for n in range(50):
            group.start_soon(client.publish, ExternalMessage(payload=str(n).encode(), address=side.target(queue)))
    assert await ready(peer, queue) == 50  # each publish returned after its confirm: all are in the queue
