"""The amqp-10 client when its broker goes: the tests' own RabbitMQ node is killed under a publisher, and
killed or stopped under a consumer; both see ClientFailure instead of hanging, and an unsettled message of
a durable queue comes again once the node is back."""

from __future__ import annotations

import uuid

import aio_pika
import aio_pika.exceptions
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


async def queue_address(node: RabbitNode) -> str:
    """A durable queue (RabbitMQ 3.10 declares `/queue/<name>` non-durable), as an AMQP 1.0 address."""
    name = f"q-{uuid.uuid4().hex[:8]}"
    async with await aio_pika.connect(node.uri()) as connection:
        await (await connection.channel()).declare_queue(name, durable=True)
    return f"/amq/queue/{name}"


async def recovered(node: RabbitNode, address: str) -> None:
    """Wait until the restarted node has its durable queue back: it accepts connections a moment before it
    has recovered every queue, as a runtime reconnecting with backoff would find."""
    name = address.removeprefix("/amq/queue/")
    with anyio.fail_after(30):
        while True:
            try:
                async with await aio_pika.connect(node.uri()) as connection:
                    await (await connection.channel()).declare_queue(name, passive=True)
                    return
            except aio_pika.exceptions.ChannelNotFoundEntity:
                await anyio.sleep(0.1)


async def test_a_broker_killed_mid_publish_is_a_client_failure(running_node: RabbitNode) -> None:
    address = await queue_address(running_node)
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
    address = await queue_address(running_node)
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
    await recovered(running_node, address)
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
