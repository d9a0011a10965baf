"""The amqp-091 client against the machine's RabbitMQ, in a virtual host of this module's own: receive and
settle (ack, requeue, dead-letter), bounded prefetch, competing consumers, a dropped link, publisher confirms,
header mapping both ways, binary and oversize payloads, refused connections."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import AsyncIterator

import aio_pika
import aio_pika.abc
import anyio
import pytest

from tests.connectivity.peer import consumers, dead_lettered_queue, new_queue, ready, send, take
from tests.integration.conftest import TcpProxy
from tests.integration.services import RABBITMQ
from twinhub.connectivity.clients import open_client, test_connection
from twinhub.connectivity.clients.amqp091 import Amqp091Client
from twinhub.connectivity.clients.base import REFUSAL_LOGGER, ClientFailure, ClientSettings, Outcome, SourceSettings
from twinhub.connectivity.external import ExternalMessage

pytestmark = pytest.mark.anyio


def uri(vhost: str, *, port: int = RABBITMQ[1], password: str = "guest") -> str:
    return f"amqp://guest:{password}@127.0.0.1:{port}/{vhost}"


def settings(uri: str, **overrides: object) -> ClientSettings:
    values: dict[str, object] = {"connection_id": "rabbit", "connection_type": "amqp-091", "uri": uri,
                                 "client_id": uuid.uuid4().hex, "group": "rabbit", "connect_timeout": 5.0}
    return ClientSettings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture
async def peer(vhost: str) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A plain aio-pika channel into the test's virtual host: the broker's other side."""
    connection = await aio_pika.connect(uri(vhost))
    async with connection:
        yield await connection.channel()


@pytest.fixture
async def client(vhost: str) -> AsyncIterator[Amqp091Client]:
    client = Amqp091Client(settings(uri(vhost)))
    await client.connect()
    yield client
    await client.aclose()


async def test_receives_with_mapped_headers_and_acknowledges(client: Amqp091Client,
                                                              peer: aio_pika.abc.AbstractChannel) -> None:
    queue = await new_queue(peer)
    await send(peer, queue, b'{"n":1}', content_type="application/vnd.eclipse.ditto+json", correlation_id="c-1",
               reply_to="replies", message_id="m-1", headers={"Device-Id": "d1", "count": 3})
    await send(peer, queue, b'{"n":2}')
    received = []
    deliveries = client.deliveries(SourceSettings(addresses=(queue,)))
    with anyio.fail_after(10):
        async for delivery in deliveries:
            received.append(delivery.message)
            await delivery.settle(Outcome.ACCEPT)
            if len(received) == 2:
                break
    await deliveries.aclose()  # type: ignore[attr-defined]
    first = received[0]
    assert (first.payload, first.address, first.content_type) == (
        b'{"n":1}', queue, "application/vnd.eclipse.ditto+json")
    assert first.headers == {"content-type": "application/vnd.eclipse.ditto+json", "correlation-id": "c-1",
                             "reply-to": "replies", "message-id": "m-1", "device-id": "d1", "count": "3"}
    assert received[1].payload == b'{"n":2}'
    assert await ready(peer, queue) == 0


async def test_redeliver_requeues_and_reject_dead_letters(client: Amqp091Client,
                                                          peer: aio_pika.abc.AbstractChannel) -> None:
    queue, dead = await dead_lettered_queue(peer)
    await send(peer, queue, b"one")
    deliveries = client.deliveries(SourceSettings(addresses=(queue,)))
    with anyio.fail_after(10):
        first = await anext(deliveries)
        await first.settle(Outcome.REDELIVER)
        again = await anext(deliveries)
        assert again.message.payload == b"one"
        await again.settle(Outcome.REJECT)
    await deliveries.aclose()  # type: ignore[attr-defined]
    dead_lettered = await take(peer, dead)
    assert dead_lettered.body == b"one"
    assert dead_lettered.headers["x-death"][0]["reason"] == "rejected"  # type: ignore[index]
    assert await ready(peer, queue) == 0


async def test_prefetch_bounds_unsettled_deliveries(vhost: str, peer: aio_pika.abc.AbstractChannel) -> None:
    queue = await new_queue(peer)
    for n in range(10):
        await send(peer, queue, str(n).encode())
    client = Amqp091Client(settings(uri(vhost), max_in_flight=3))
    await client.connect()
    try:
        deliveries = client.deliveries(SourceSettings(addresses=(queue,)))
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
    assert await ready(peer, queue) == 9  # unsettled ones went back to the queue


async def test_competing_consumers_receive_each_message_once(vhost: str,
                                                             peer: aio_pika.abc.AbstractChannel) -> None:
    queue = await new_queue(peer)
    clients = [Amqp091Client(settings(uri(vhost), max_in_flight=2)) for _ in range(2)]
    seen: list[list[bytes]] = [[], []]
    total = 40

    async def consume(index: int) -> None:
        async for delivery in clients[index].deliveries(SourceSettings(addresses=(queue,))):
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
    everything = seen[0] + seen[1]
    assert sorted(everything) == sorted(f"m{n}".encode() for n in range(total))
    assert seen[0] and seen[1]  # both consumers had a share (RabbitMQ dispatches round-robin)


@pytest.mark.parametrize("anyio_backend", ["asyncio", ("asyncio", {"use_uvloop": True})], ids=["asyncio", "uvloop"])
async def test_settling_after_the_link_dropped_fails_and_the_message_comes_again(
        vhost: str, peer: aio_pika.abc.AbstractChannel) -> None:
    queue = await new_queue(peer)
    await send(peer, queue, b"keep me")
    async with TcpProxy(*RABBITMQ) as proxy:
        client = Amqp091Client(settings(uri(vhost, port=proxy.port)))
        await client.connect()
        deliveries = client.deliveries(SourceSettings(addresses=(queue,)))
        with anyio.fail_after(10):
            delivery = await anext(deliveries)
        await proxy.cut()
        with anyio.fail_after(30), pytest.raises(ClientFailure):
            await anext(deliveries)
        with pytest.raises(ClientFailure):
            await delivery.settle(Outcome.ACCEPT)
        await client.aclose()
    other = Amqp091Client(settings(uri(vhost)))
    await other.connect()
    try:
        deliveries = other.deliveries(SourceSettings(addresses=(queue,)))
        with anyio.fail_after(10):
            again = await anext(deliveries)
        assert again.message.payload == b"keep me"
        await again.settle(Outcome.ACCEPT)
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await other.aclose()


async def test_a_missing_queue_is_a_client_failure(client: Amqp091Client) -> None:
    with pytest.raises(ClientFailure, match="cannot consume"):
        await anext(client.deliveries(SourceSettings(addresses=(f"missing-{uuid.uuid4().hex}",))))


async def test_publishes_to_exchange_and_routing_key_with_mapped_headers(
        client: Amqp091Client, peer: aio_pika.abc.AbstractChannel) -> None:
    exchange = await peer.declare_exchange(f"x-{uuid.uuid4().hex[:8]}", aio_pika.ExchangeType.TOPIC,
                                           auto_delete=True)
    queue = await new_queue(peer)
    await (await peer.declare_queue(queue, passive=True)).bind(exchange, "things.#")
    await client.publish(ExternalMessage(
        payload=b'{"topic":"t"}', address=f"{exchange.name}/things.created",
        headers={"content-type": "application/vnd.eclipse.ditto+json", "correlation-id": "c-9",
                 "reply-to": "answers", "Thing-Id": "org:a"}))
    message = await take(peer, queue)
    assert message.body == b'{"topic":"t"}'
    assert (message.content_type, message.correlation_id, message.reply_to, message.routing_key) == (
        "application/vnd.eclipse.ditto+json", "c-9", "answers", "things.created")
    assert message.headers == {"thing-id": "org:a"}
    assert message.delivery_mode is aio_pika.DeliveryMode.PERSISTENT


async def test_publishes_binary_payloads_to_the_default_exchange_and_receives_them(
        client: Amqp091Client, peer: aio_pika.abc.AbstractChannel) -> None:
    queue = await new_queue(peer)
    payload = bytes(range(256)) * 4
    await client.publish(ExternalMessage(payload=payload, address=f"/{queue}",
                                         content_type="application/octet-stream"))
    deliveries = client.deliveries(SourceSettings(addresses=(queue,)))
    with anyio.fail_after(10):
        delivery = await anext(deliveries)
    assert delivery.message.payload == payload
    assert not delivery.message.is_text
    await delivery.settle(Outcome.ACCEPT)
    await deliveries.aclose()  # type: ignore[attr-defined]


async def test_publishing_to_a_missing_exchange_fails_and_the_next_publish_works(
        client: Amqp091Client, peer: aio_pika.abc.AbstractChannel) -> None:
    with pytest.raises(ClientFailure, match="cannot publish"):
        await client.publish(ExternalMessage(payload=b"x", address=f"missing-{uuid.uuid4().hex}/key"))
    queue = await new_queue(peer)
    await client.publish(ExternalMessage(payload=b"y", address=f"/{queue}"))
    assert (await take(peer, queue)).body == b"y"


async def test_oversize_messages_are_rejected_and_logged(vhost: str, peer: aio_pika.abc.AbstractChannel,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    queue, dead = await dead_lettered_queue(peer)
    await send(peer, queue, b"x" * 2001)
    await send(peer, queue, b"small")
    client = Amqp091Client(settings(uri(vhost), max_message_bytes=2000))
    await client.connect()
    try:
        deliveries = client.deliveries(SourceSettings(addresses=(queue,)))
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
    assert (record.connection_id, record.address) == ("rabbit", queue)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("where", "match"), [
    ("password", "refused the credentials"),
    ("vhost", "refused to open the connection"),
    ("port", "cannot connect"),
    ("scheme", "scheme must be amqp"),
])
async def test_refused_connections_are_client_failures(vhost: str, where: str, match: str) -> None:
    bad = {"password": uri(vhost, password="wrong"), "vhost": uri(f"missing-{uuid.uuid4().hex}"),
           "port": uri(vhost, port=1), "scheme": uri(vhost).replace("amqp:", "mqtt:")}[where]
    with anyio.fail_after(10), pytest.raises(ClientFailure, match=match) as failure:
        await test_connection(settings(bad, connect_timeout=5.0))
    assert "wrong" not in str(failure.value)  # no password in what the API shows


async def test_a_silent_server_is_a_client_failure_within_the_connect_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # the kernel accepts; nobody ever answers
        port = listener.getsockname()[1]
        with anyio.fail_after(10), pytest.raises(ClientFailure, match="no answer"):
            await test_connection(settings(f"amqp://guest:guest@127.0.0.1:{port}/", connect_timeout=0.5))


async def test_dry_run_connects_and_closes(vhost: str) -> None:
    await test_connection(settings(uri(vhost)))
    with pytest.raises(ClientFailure, match="no client for the connection type 'kafka'"):
        open_client(settings(uri(vhost), connection_type="kafka"))


async def test_a_deleted_queue_ends_deliveries(client: Amqp091Client, peer: aio_pika.abc.AbstractChannel) -> None:
    queue = await new_queue(peer)
    deliveries = client.deliveries(SourceSettings(addresses=(queue,)))
    waiting = anext(deliveries)
    async with anyio.create_task_group() as group:
        async def delete() -> None:
            await consumers(peer, queue, 1)
            await peer.queue_delete(queue)
        group.start_soon(delete)
        with anyio.fail_after(10), pytest.raises(ClientFailure, match="cancelled"):
            await waiting


async def test_unsendable_headers_are_a_client_failure(client: Amqp091Client) -> None:
    with pytest.raises(ClientFailure, match="header name longer"):
        await client.publish(ExternalMessage(payload=b"x", address="/q", headers={"h" * 200: "v"}))


async def test_a_publish_the_broker_nacks_is_a_client_failure(client: Amqp091Client,
                                                              peer: aio_pika.abc.AbstractChannel) -> None:
    queue = await new_queue(peer, **{"x-max-length": 1, "x-overflow": "reject-publish"})
    await client.publish(ExternalMessage(payload=b"fits", address=f"/{queue}"))
    with pytest.raises(ClientFailure, match="refused"):
        await client.publish(ExternalMessage(payload=b"full", address=f"/{queue}"))
    assert (await take(peer, queue)).body == b"fits"


async def test_concurrent_publishes_are_each_confirmed(client: Amqp091Client,
                                                       peer: aio_pika.abc.AbstractChannel) -> None:
    queue = await new_queue(peer)
    async with anyio.create_task_group() as group:
        for n in range(50):
            group.start_soon(client.publish, ExternalMessage(payload=str(n).encode(), address=f"/{queue}"))
    assert await ready(peer, queue) == 50  # each publish returned after its confirm: all are in the queue
