"""What the amqp-091 and amqp-10 clients do alike, each against its broker (amqp-091: a virtual host of the
machine's RabbitMQ; amqp-10: the tests' own RabbitMQ node, `rabbit_node.py`): settling (redeliver, reject →
dead-letter), a bounded number of unsettled deliveries, competing consumers, a dropped link, binary and
oversize payloads, a silent server, a deleted queue, a publish the broker refuses, concurrent publishes.
What only one protocol has (its header mapping, addresses, refusals) is in test_amqp091.py / test_amqp10.py.

The queues are made (and inspected) over AMQP 0.9.1 by a peer channel on the same broker."""

from __future__ import annotations

import logging
import socket

import anyio
import pytest

from tests.connectivity.amqp_side import Client, Side
from tests.connectivity.peer import Channel, consumers, dead_lettered_queue, new_queue, ready, send, take
from tests.connectivity.polling import until
from tests.integration.conftest import TcpProxy
from twinhub.connectivity.clients import test_connection
from twinhub.connectivity.clients.base import REFUSAL_LOGGER, ClientFailure, Outcome
from twinhub.connectivity.external import ExternalMessage

pytestmark = pytest.mark.anyio


async def test_redeliver_comes_again_and_reject_dead_letters(
        amqp_side: Side, amqp_client: Client, amqp_peer: Channel) -> None:
    queue, dead = await dead_lettered_queue(amqp_peer)
    await send(amqp_peer, queue, b"one")
    deliveries = amqp_side.deliveries(amqp_client, queue)
    with anyio.fail_after(10):
        first = await anext(deliveries)
        await first.settle(Outcome.REDELIVER)
        again = await anext(deliveries)
        assert again.message.payload == b"one"
        await again.settle(Outcome.REJECT)
        with pytest.raises(RuntimeError, match="settled once"):
            await again.settle(Outcome.ACCEPT)
    await deliveries.aclose()  # type: ignore[attr-defined]
    dead_lettered = await take(amqp_peer, dead)
    assert dead_lettered.body == b"one"
    assert dead_lettered.headers["x-death"][0]["reason"] == "rejected"  # type: ignore[index, call-overload]
    assert await ready(amqp_peer, queue) == 0


async def test_unsettled_deliveries_are_bounded(amqp_side: Side, amqp_peer: Channel) -> None:
    """amqp-091 by its prefetch, amqp-10 by its link credit."""
    queue = await new_queue(amqp_peer)
    for n in range(10):
        await send(amqp_peer, queue, str(n).encode())
    client = amqp_side.client(max_in_flight=3)
    await client.connect()
    try:
        deliveries = amqp_side.deliveries(client, queue)
        with anyio.fail_after(10):
            held = [await anext(deliveries) for _ in range(3)]
        assert await ready(amqp_peer, queue) == 7  # the broker sends no more until one is settled
        await held[0].settle(Outcome.ACCEPT)
        with anyio.fail_after(10):
            fourth = await anext(deliveries)
        assert fourth.message.payload == b"3"
        assert await ready(amqp_peer, queue) == 6
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await client.aclose()

    async def requeued() -> bool:  # the broker takes the unsettled back when the consumer goes
        return await ready(amqp_peer, queue) == 9

    await until(requeued, "the unsettled deliveries back in the queue")


async def test_competing_consumers_receive_each_message_once(amqp_side: Side, amqp_peer: Channel) -> None:
    queue = await new_queue(amqp_peer)
    clients = [amqp_side.client(max_in_flight=2) for _ in range(2)]
    seen: list[list[bytes]] = [[], []]
    total = 40

    async def consume(index: int) -> None:
        async for delivery in amqp_side.deliveries(clients[index], queue):
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
                await consumers(amqp_peer, queue, 2)
                for n in range(total):
                    await send(amqp_peer, queue, f"m{n}".encode())
    finally:
        for client in clients:
            await client.aclose()
    assert sorted(seen[0] + seen[1]) == sorted(f"m{n}".encode() for n in range(total))
    assert seen[0] and seen[1]  # both consumers had a share (RabbitMQ dispatches round-robin)


@pytest.mark.parametrize("anyio_backend", ["asyncio", ("asyncio", {"use_uvloop": True})], ids=["asyncio", "uvloop"])
async def test_settling_after_the_link_dropped_fails_and_the_message_comes_again(
        amqp_side: Side, amqp_peer: Channel) -> None:
    queue = await new_queue(amqp_peer)
    await send(amqp_peer, queue, b"keep me")
    async with TcpProxy("127.0.0.1", amqp_side.port) as proxy:
        client = amqp_side.client(amqp_side.uri_at(proxy.port))
        await client.connect()
        deliveries = amqp_side.deliveries(client, queue)
        with anyio.fail_after(10):
            delivery = await anext(deliveries)
        await proxy.cut()
        with anyio.fail_after(30), pytest.raises(ClientFailure):
            await anext(deliveries)
        with pytest.raises(ClientFailure):
            await delivery.settle(Outcome.ACCEPT)
        await client.aclose()
    assert await amqp_side.take_one(queue) == b"keep me"


async def test_binary_payloads_travel_unchanged(amqp_side: Side, amqp_client: Client, amqp_peer: Channel) -> None:
    queue = await new_queue(amqp_peer)
    payload = bytes(range(256)) * 4
    await amqp_client.publish(ExternalMessage(payload=payload, address=amqp_side.target(queue),
                                         content_type="application/octet-stream"))
    deliveries = amqp_side.deliveries(amqp_client, queue)
    with anyio.fail_after(10):
        delivery = await anext(deliveries)
    assert delivery.message.payload == payload
    assert not delivery.message.is_text
    await delivery.settle(Outcome.ACCEPT)
    await deliveries.aclose()  # type: ignore[attr-defined]


async def test_oversize_messages_are_rejected_and_logged(amqp_side: Side, amqp_peer: Channel,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    queue, dead = await dead_lettered_queue(amqp_peer)
    await send(amqp_peer, queue, b"x" * 2001)
    await send(amqp_peer, queue, b"small")
    client = amqp_side.client(max_message_bytes=2000)
    await client.connect()
    try:
        deliveries = amqp_side.deliveries(client, queue)
        with caplog.at_level(logging.WARNING, logger=REFUSAL_LOGGER.name), anyio.fail_after(10):
            delivery = await anext(deliveries)
        assert delivery.message.payload == b"small"
        await delivery.settle(Outcome.ACCEPT)
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await client.aclose()
    assert (await take(amqp_peer, dead)).body == b"x" * 2001
    [record] = [r for r in caplog.records if r.name == REFUSAL_LOGGER.name]
    assert "2001 bytes" in record.getMessage()
    assert (record.connection_id, record.address) == (amqp_side.connection_type, amqp_side.source(queue))  # type: ignore[attr-defined]


async def test_a_silent_server_is_a_client_failure_within_the_connect_timeout(amqp_side: Side) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # the kernel accepts; nobody ever answers
        port = listener.getsockname()[1]
        with anyio.fail_after(10), pytest.raises(ClientFailure, match="no answer"):
            await test_connection(amqp_side.settings(amqp_side.uri_at(port), connect_timeout=0.5))


async def test_dry_run_connects_and_closes(amqp_side: Side) -> None:
    await test_connection(amqp_side.settings())


async def test_a_deleted_queue_ends_deliveries(amqp_side: Side, amqp_client: Client, amqp_peer: Channel) -> None:
    queue = await new_queue(amqp_peer)
    waiting = anext(amqp_side.deliveries(amqp_client, queue))
    async with anyio.create_task_group() as group:
        async def delete() -> None:
            await consumers(amqp_peer, queue, 1)
            await amqp_peer.queue_delete(queue)
        group.start_soon(delete)
        with anyio.fail_after(10), pytest.raises(ClientFailure, match=amqp_side.refused_when_deleted):
            await waiting


async def test_a_publish_the_broker_refuses_is_a_client_failure(
        amqp_side: Side, amqp_client: Client, amqp_peer: Channel) -> None:
    queue = await new_queue(amqp_peer, **{"x-max-length": 1, "x-overflow": "reject-publish"})  # type: ignore[arg-type]
    await amqp_client.publish(ExternalMessage(payload=b"fits", address=amqp_side.target(queue)))
    with anyio.fail_after(10), pytest.raises(ClientFailure, match=amqp_side.refused_when_full):  # never return or hang
        await amqp_client.publish(ExternalMessage(payload=b"full", address=amqp_side.target(queue)))
    assert (await take(amqp_peer, queue)).body == b"fits"


async def test_concurrent_publishes_are_each_confirmed(amqp_side: Side, amqp_client: Client,
                                                       amqp_peer: Channel) -> None:
    queue = await new_queue(amqp_peer)
    async with anyio.create_task_group() as group:
        for n in range(50):
            message = ExternalMessage(payload=str(n).encode(), address=amqp_side.target(queue))
            group.start_soon(amqp_client.publish, message)
    assert await ready(amqp_peer, queue) == 50  # each publish returned after its confirm: all are in the queue
