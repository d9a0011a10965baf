"""The amqp-10 client when its broker goes: the tests' own RabbitMQ node is killed under a publisher, and
killed or stopped under a consumer; both see ClientFailure instead of hanging, and an unsettled message of
a durable queue comes again once the node is back."""

from __future__ import annotations

import dataclasses
import uuid

import anyio
import pytest

from tests.connectivity.rabbit_node import RabbitNode
from twinhub.connectivity.clients.amqp10 import Amqp10Client
from twinhub.connectivity.clients.base import ClientFailure, ClientSettings, Outcome, SourceSettings
from twinhub.connectivity.external import ExternalMessage

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("rabbit_node"), pytest.mark.slow]


def settings(node: RabbitNode) -> ClientSettings:
    return ClientSettings(connection_id="outage", connection_type="amqp-10", uri=node.uri(),
                          client_id=uuid.uuid4().hex, group="outage", connect_timeout=5.0, publish_timeout=5.0)


async def test_a_broker_killed_mid_publish_is_a_client_failure(running_node: RabbitNode) -> None:
    address = f"/amq/queue/{running_node.durable_queue()}"
    client = Amqp10Client(settings(running_node))
    await client.connect()
    published = 0

    async def publish_until_it_fails() -> None:
        nonlocal published
        with pytest.raises(ClientFailure):
            while True:
                await client.publish(ExternalMessage(payload=b"p" * 1000, address=address))
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
    address = f"/amq/queue/{running_node.durable_queue()}"
    client = Amqp10Client(settings(running_node))
    await client.connect()
    await client.publish(ExternalMessage(payload=b"survives", address=address))
    deliveries = client.deliveries(SourceSettings(addresses=(address,)))
    with anyio.fail_after(10):
        delivery = await anext(deliveries)
    await anyio.to_thread.run_sync(getattr(running_node, end))
    with anyio.fail_after(30), pytest.raises(ClientFailure):
        await anext(deliveries)
    with pytest.raises(ClientFailure):
        await delivery.settle(Outcome.ACCEPT)
    with pytest.raises(ClientFailure):  # the client says so at once, not after a timeout
        await client.publish(ExternalMessage(payload=b"late", address=address))
    await client.aclose()

    await anyio.to_thread.run_sync(running_node.start)
    again = Amqp10Client(settings(running_node))
    await again.connect()
    try:
        deliveries = again.deliveries(SourceSettings(addresses=(address,)))
        with anyio.fail_after(10):
            delivery = await anext(deliveries)
        assert delivery.message.payload == b"survives"
        await delivery.settle(Outcome.ACCEPT)
        await deliveries.aclose()  # type: ignore[attr-defined]
    finally:
        await again.aclose()


async def test_a_frozen_broker_is_lost_after_the_idle_timeout(running_node: RabbitNode) -> None:
    """The node stops answering with its sockets open (SIGSTOP), as behind a network partition: the idle
    timeout (`amqp.idleTimeout` in the uri, milliseconds) finds it out, for consumers and publishers."""
    address = f"/amq/queue/{running_node.durable_queue()}"
    client = Amqp10Client(dataclasses.replace(settings(running_node),
                                              uri=f"{running_node.uri()}?amqp.idleTimeout=2000"))
    await client.connect()
    try:
        await client.publish(ExternalMessage(payload=b"before", address=address))
        deliveries = client.deliveries(SourceSettings(addresses=(address,)))
        with anyio.fail_after(10):
            await anext(deliveries)
        running_node.pause()
        with anyio.fail_after(30), pytest.raises(ClientFailure, match="idle"):
            await anext(deliveries)
        with pytest.raises(ClientFailure):
            await client.publish(ExternalMessage(payload=b"after", address=address))
    finally:
        running_node.resume()
        await client.aclose()


async def test_an_idle_timeout_that_is_no_number_is_refused(running_node: RabbitNode) -> None:
    with pytest.raises(ClientFailure, match=r"amqp\.idleTimeout must be milliseconds"):
        await Amqp10Client(dataclasses.replace(settings(running_node),
                                               uri=f"{running_node.uri()}?amqp.idleTimeout=soon")).connect()
