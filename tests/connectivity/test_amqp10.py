"""The amqp-10 client against a RabbitMQ node of the tests' own with its AMQP 1.0 plugin (`rabbit_node.py`):
what only AMQP 1.0 has — header mapping to AMQP properties both ways, link addresses, its refusals. What
both AMQP clients do alike (settling, bounded credit, competing consumers, a dropped link, oversize
payloads...) is in test_amqp_clients.py.

The queues are made (and inspected) over AMQP 0.9.1 by a peer channel; the client addresses them as
RabbitMQ's AMQP 1.0 plugin names them: `/amq/queue/<name>` (an existing queue), `/exchange/<name>/<key>`."""

from __future__ import annotations

import uuid

import aio_pika
import anyio
import pytest

from tests.connectivity.amqp_side import Client, Side, amqp10
from tests.connectivity.peer import Channel, new_queue, ready, take
from tests.connectivity.rabbit_node import RabbitNode
from twinhub.connectivity.clients import test_connection
from twinhub.connectivity.clients.base import ClientFailure, Outcome, SourceSettings
from twinhub.connectivity.external import ExternalMessage

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("rabbit_node")]


def at(queue: str) -> str:
    return f"/amq/queue/{queue}"


@pytest.fixture
def amqp_side(running_node: RabbitNode) -> Side:
    return amqp10(running_node)


async def test_headers_map_to_amqp_properties_and_back(amqp_client: Client, amqp_peer: Channel) -> None:
    queue = await new_queue(amqp_peer)
    headers = {"correlation-id": "c-1", "reply-to": "/amq/queue/replies", "message-id": "m-1", "subject": "s",
               "creation-time": "1700000000000", "group-sequence": "7", "device-id": "d1",
               "amqp.application.property:to": "app-to", "amqp.message.annotation:x-opt-tag": "t"}
    await amqp_client.publish(ExternalMessage(payload=b'{"n":1}', address=at(queue), headers=headers,
                                         content_type="application/vnd.eclipse.ditto+json"))
    seen_by_091 = await take(amqp_peer, queue)  # real AMQP properties, not application properties
    assert (seen_by_091.correlation_id, seen_by_091.reply_to, seen_by_091.content_type) == (
        "c-1", "/amq/queue/replies", "application/vnd.eclipse.ditto+json")

    await amqp_client.publish(ExternalMessage(payload=b'{"n":1}', address=at(queue), headers=headers,
                                         content_type="application/vnd.eclipse.ditto+json"))
    deliveries = amqp_client.deliveries(SourceSettings(addresses=(at(queue),)))
    with anyio.fail_after(10):
        delivery = await anext(deliveries)
    await delivery.settle(Outcome.ACCEPT)
    await deliveries.aclose()  # type: ignore[attr-defined]
    message = delivery.message
    assert (message.payload, message.address, message.content_type) == (
        b'{"n":1}', at(queue), "application/vnd.eclipse.ditto+json")
    assert message.headers == headers | {"content-type": "application/vnd.eclipse.ditto+json"}
    assert await ready(amqp_peer, queue) == 0


async def test_a_missing_source_or_target_is_a_client_failure(amqp_client: Client, amqp_peer: Channel) -> None:
    with anyio.fail_after(10), pytest.raises(ClientFailure, match="not-found"):
        await anext(amqp_client.deliveries(SourceSettings(addresses=(at(f"missing-{uuid.uuid4().hex}"),))))
    with anyio.fail_after(10), pytest.raises(ClientFailure, match="not-found"):
        await amqp_client.publish(ExternalMessage(payload=b"x", address=f"/exchange/missing-{uuid.uuid4().hex}/key"))
    queue = await new_queue(amqp_peer)  # the connection lives on
    await amqp_client.publish(ExternalMessage(payload=b"y", address=at(queue)))
    assert (await take(amqp_peer, queue)).body == b"y"


async def test_publishes_to_an_exchange_and_routing_key(amqp_client: Client, amqp_peer: Channel) -> None:
    exchange = await amqp_peer.declare_exchange(f"x-{uuid.uuid4().hex[:8]}", aio_pika.ExchangeType.TOPIC,
                                           auto_delete=True)
    queue = await new_queue(amqp_peer)
    await (await amqp_peer.declare_queue(queue, passive=True)).bind(exchange, "things.#")
    await amqp_client.publish(ExternalMessage(payload=b"e", address=f"/exchange/{exchange.name}/things.created"))
    message = await take(amqp_peer, queue)
    assert (message.body, message.routing_key) == (b"e", "things.created")


@pytest.mark.parametrize(("where", "match"), [
    ("password", "unauthorized-access"),
    ("port", "cannot connect"),
    ("scheme", "must be amqp"),
    ("no host", "must be amqp"),
    ("NUL in the host", "cannot connect"),
    ("no port: AMQP's, where the machine's RabbitMQ has no AMQP 1.0", "127.0.0.1:5672"),
])
async def test_refused_connections_are_client_failures(running_node: RabbitNode, where: str, match: str) -> None:
    bad = {"password": running_node.uri(password="wrong"), "port": "amqp://guest:guest@127.0.0.1:1",
           "scheme": running_node.uri(scheme="mqtt"), "no host": "amqp://",
           "NUL in the host": "amqp://guest:wrong@ho\x00st",
           "no port: AMQP's, where the machine's RabbitMQ has no AMQP 1.0": "amqp://guest:wrong@127.0.0.1"}[where]
    with anyio.fail_after(10), pytest.raises(ClientFailure, match=match) as failure:
        await test_connection(amqp10(running_node).settings(bad))
    assert "wrong" not in str(failure.value)


async def test_unsendable_headers_are_a_client_failure(amqp_client: Client) -> None:
    with pytest.raises(ClientFailure, match="cannot send"):
        await amqp_client.publish(ExternalMessage(payload=b"x", address="/amq/queue/q",
                                                  headers={"group-sequence": "x"}))
