"""The amqp-091 client against the machine's RabbitMQ, in a virtual host of this module's own: what only
AMQP 0.9.1 has — header mapping both ways, exchanges and routing keys, its refusals. What both AMQP clients
do alike (settling, prefetch, competing consumers, a dropped link, oversize payloads...) is in
test_amqp_clients.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aio_pika
import aio_pika.abc
import anyio
import pytest

from tests.connectivity.peer import new_queue, ready, send, take
from tests.integration.services import RABBITMQ
from twinhub.connectivity.clients import open_client, test_connection
from twinhub.connectivity.clients.amqp091 import Amqp091Client
from twinhub.connectivity.clients.base import ClientFailure, ClientSettings, Outcome, SourceSettings
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


async def test_publishing_to_a_missing_exchange_fails_and_the_next_publish_works(
        client: Amqp091Client, peer: aio_pika.abc.AbstractChannel) -> None:
    with pytest.raises(ClientFailure, match="cannot publish"):
        await client.publish(ExternalMessage(payload=b"x", address=f"missing-{uuid.uuid4().hex}/key"))
    queue = await new_queue(peer)
    await client.publish(ExternalMessage(payload=b"y", address=f"/{queue}"))
    assert (await take(peer, queue)).body == b"y"


@pytest.mark.parametrize(("where", "match"), [
    ("password", "refused the credentials"),
    ("vhost", "refused to open the connection"),
    ("port", "cannot connect"),
    ("scheme", "scheme must be amqp"),
    ("no host", "names no host"),
    ("NUL in the host", "cannot connect"),
    ("overlong host label", "cannot connect"),
])
async def test_refused_connections_are_client_failures(vhost: str, where: str, match: str) -> None:
    bad = {"password": uri(vhost, password="wrong"), "vhost": uri(f"missing-{uuid.uuid4().hex}"),
           "port": uri(vhost, port=1), "scheme": uri(vhost).replace("amqp:", "mqtt:"), "no host": "amqp://",
           "NUL in the host": "amqp://guest:wrong@ho\x00st", "overlong host label": f"amqp://{'x' * 300}:5672"}[where]
    with anyio.fail_after(10), pytest.raises(ClientFailure, match=match) as failure:
        await test_connection(settings(bad, connect_timeout=5.0))
    assert "wrong" not in str(failure.value)  # no password in what the API shows


async def test_an_unknown_connection_type_has_no_client(vhost: str) -> None:
    with pytest.raises(ClientFailure, match="no client for the connection type 'kafka'"):
        open_client(settings(uri(vhost), connection_type="kafka"))


async def test_unsendable_headers_are_a_client_failure(client: Amqp091Client) -> None:
    with pytest.raises(ClientFailure, match="header name longer"):
        await client.publish(ExternalMessage(payload=b"x", address="/q", headers={"h" * 200: "v"}))
