"""The amqp-091 client against the machine's RabbitMQ, in a virtual host of this module's own: what only
AMQP 0.9.1 has — header mapping both ways, exchanges and routing keys, its refusals. What both AMQP clients
do alike (settling, prefetch, competing consumers, a dropped link, oversize payloads...) is in
test_amqp_clients.py."""

from __future__ import annotations

import uuid

import aio_pika
import aio_pika.abc
import anyio
import pytest

from tests.connectivity.amqp_side import Client, Side, amqp091
from tests.connectivity.peer import Channel, new_queue, ready, send, take
from tests.integration.services import RABBITMQ
from twinhub.connectivity.clients import open_client, test_connection
from twinhub.connectivity.clients.base import ClientFailure, Outcome, SourceSettings
from twinhub.connectivity.external import ExternalMessage

pytestmark = pytest.mark.anyio


def uri(vhost: str, *, port: int = RABBITMQ[1], password: str = "guest") -> str:
    return f"amqp://guest:{password}@127.0.0.1:{port}/{vhost}"


@pytest.fixture
def amqp_side(vhost: str) -> Side:
    return amqp091(vhost)


async def test_receives_with_mapped_headers_and_acknowledges(amqp_client: Client,
                                                              amqp_peer: Channel) -> None:
    queue = await new_queue(amqp_peer)
    await send(amqp_peer, queue, b'{"n":1}', content_type="application/vnd.eclipse.ditto+json", correlation_id="c-1",
               reply_to="replies", message_id="m-1", headers={"Device-Id": "d1", "count": 3})
    await send(amqp_peer, queue, b'{"n":2}')
    received = []
    deliveries = amqp_client.deliveries(SourceSettings(addresses=(queue,)))
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
    assert await ready(amqp_peer, queue) == 0


async def test_a_missing_queue_is_a_client_failure(amqp_client: Client) -> None:
    with pytest.raises(ClientFailure, match="cannot consume"):
        await anext(amqp_client.deliveries(SourceSettings(addresses=(f"missing-{uuid.uuid4().hex}",))))


async def test_publishes_to_exchange_and_routing_key_with_mapped_headers(
        amqp_client: Client, amqp_peer: Channel) -> None:
    exchange = await amqp_peer.declare_exchange(f"x-{uuid.uuid4().hex[:8]}", aio_pika.ExchangeType.TOPIC,
                                           auto_delete=True)
    queue = await new_queue(amqp_peer)
    await (await amqp_peer.declare_queue(queue, passive=True)).bind(exchange, "things.#")
    await amqp_client.publish(ExternalMessage(
        payload=b'{"topic":"t"}', address=f"{exchange.name}/things.created",
        headers={"content-type": "application/vnd.eclipse.ditto+json", "correlation-id": "c-9",
                 "reply-to": "answers", "Thing-Id": "org:a"}))
    message = await take(amqp_peer, queue)
    assert message.body == b'{"topic":"t"}'
    assert (message.content_type, message.correlation_id, message.reply_to, message.routing_key) == (
        "application/vnd.eclipse.ditto+json", "c-9", "answers", "things.created")
    assert message.headers == {"thing-id": "org:a"}
    assert message.delivery_mode is aio_pika.DeliveryMode.PERSISTENT


async def test_publishing_to_a_missing_exchange_fails_and_the_next_publish_works(
        amqp_client: Client, amqp_peer: Channel) -> None:
    with pytest.raises(ClientFailure, match="cannot publish"):
        await amqp_client.publish(ExternalMessage(payload=b"x", address=f"missing-{uuid.uuid4().hex}/key"))
    queue = await new_queue(amqp_peer)
    await amqp_client.publish(ExternalMessage(payload=b"y", address=f"/{queue}"))
    assert (await take(amqp_peer, queue)).body == b"y"


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
        await test_connection(amqp091(vhost).settings(bad))
    assert "wrong" not in str(failure.value)  # no password in what the API shows


async def test_an_unknown_connection_type_has_no_client(vhost: str) -> None:
    with pytest.raises(ClientFailure, match="no client for the connection type 'kafka'"):
        open_client(amqp091(vhost).settings(connection_type="kafka"))


async def test_unsendable_headers_are_a_client_failure(amqp_client: Client) -> None:
    with pytest.raises(ClientFailure, match="header name longer"):
        await amqp_client.publish(ExternalMessage(payload=b"x", address="/q", headers={"h" * 200: "v"}))
