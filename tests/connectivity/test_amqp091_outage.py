"""The amqp-091 client when its broker goes: a RabbitMQ node of the tests' own (never the machine's) is
killed under a publisher, and killed or stopped under a consumer; both see ClientFailure instead of
hanging, and an unsettled message of a durable queue comes again once the node is back."""

from __future__ import annotations

import dataclasses
import uuid

import anyio
import pytest

from tests.connectivity.rabbit_node import RabbitNode
from twinhub.connectivity.clients.amqp091 import Amqp091Client
from twinhub.connectivity.clients.base import ClientFailure, ClientSettings, Outcome, SourceSettings
from twinhub.connectivity.external import ExternalMessage

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("rabbit_node"), pytest.mark.slow]


def settings(node: RabbitNode) -> ClientSettings:
    return ClientSettings(connection_id="outage", connection_type="amqp-091", uri=node.uri(),
                          client_id=uuid.uuid4().hex, group="outage", connect_timeout=5.0, publish_timeout=5.0)


async def test_a_broker_killed_mid_publish_is_a_client_failure(running_node: RabbitNode) -> None:
    queue = running_node.durable_queue()
    client = Amqp091Client(settings(running_node))
    await client.connect()
    published = 0

    async def publish_until_it_fails() -> None:
        nonlocal published
        with pytest.raises(ClientFailure):
            while True:
                await client.publish(ExternalMessage(payload=b"p" * 1000, address=f"/{queue}"))
                published += 1
                if published == 20:
                    await anyio.to_thread.run_sync(running_node.kill)

    try:
        with anyio.fail_after(60):  # a hang fails here
            await publish_until_it_fails()
    finally:
        await client.aclose()
    assert published >= 20


@pytest.mark.parametrize("end", ["kill", "stop"])
async def test_a_lost_broker_ends_deliveries_and_the_unsettled_message_comes_again(
        running_node: RabbitNode, end: str) -> None:
    """`kill`: the broker crashes; `stop`: it shuts down in order, closing its connections first."""
    queue = running_node.durable_queue()
    client = Amqp091Client(settings(running_node))
    await client.connect()
    await client.publish(ExternalMessage(payload=b"survives", address=f"/{queue}"))
    deliveries = client.deliveries(SourceSettings(addresses=(queue,)))
    with anyio.fail_after(10):
        delivery = await anext(deliveries)
    await anyio.to_thread.run_sync(getattr(running_node, end))
    with anyio.fail_after(30), pytest.raises(ClientFailure):
        await anext(deliveries)
    with pytest.raises(ClientFailure):
        await delivery.settle(Outcome.ACCEPT)
    await client.aclose()

    await anyio.to_thread.run_sync(running_node.start)
    again = Amqp091Client(settings(running_node))
    await again.connect()
    try:
        deliveries = again.deliveries(SourceSettings(addresses=(queue,)))
        with anyio.fail_after(10):
            delivery = await anext(deliveries)
        assert delivery.message.payload == b"survives"
        await delivery.settle(Outcome.ACCEPT)
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await again.aclose()


async def test_a_frozen_broker_is_lost_after_the_heartbeat_timeout(running_node: RabbitNode) -> None:
    """The node stops answering with its sockets open (SIGSTOP), as behind a network partition: AMQP
    heartbeats (aio-pika's `heartbeat` uri option, in seconds) find it out."""
    queue = running_node.durable_queue()
    client = Amqp091Client(dataclasses.replace(settings(running_node), uri=f"{running_node.uri()}/?heartbeat=1"))
    await client.connect()
    try:
        await client.publish(ExternalMessage(payload=b"before", address=f"/{queue}"))
        deliveries = client.deliveries(SourceSettings(addresses=(queue,)))
        with anyio.fail_after(10):
            await anext(deliveries)
        running_node.pause()
        with anyio.fail_after(30), pytest.raises(ClientFailure):
            await anext(deliveries)
    finally:
        running_node.resume()
        await client.aclose()
