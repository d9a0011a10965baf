"""The amqp-091 and amqp-10 clients when their broker goes: the tests' own RabbitMQ node (never the
machine's) is killed under a publisher, killed or stopped under a consumer, and frozen; the clients see
ClientFailure instead of hanging, and an unsettled message of a durable queue comes again once the node is
back."""

from __future__ import annotations

import anyio
import pytest

from tests.connectivity.amqp_side import Side, amqp091, amqp10
from tests.connectivity.rabbit_node import RabbitNode
from twinhub.connectivity.clients.amqp10 import Amqp10Client
from twinhub.connectivity.clients.base import ClientFailure, Outcome
from twinhub.connectivity.external import ExternalMessage

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("rabbit_node"), pytest.mark.slow]


@pytest.fixture(params=["amqp-091", "amqp-10"])
def side(request: pytest.FixtureRequest, running_node: RabbitNode) -> Side:
    return amqp091(node=running_node) if request.param == "amqp-091" else amqp10(running_node)


async def test_a_broker_killed_mid_publish_is_a_client_failure(side: Side, running_node: RabbitNode) -> None:
    address = side.target(running_node.durable_queue())
    client = side.client()
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
        side: Side, running_node: RabbitNode, end: str) -> None:
    """`kill`: the broker crashes; `stop`: it shuts down in order, closing its connections first."""
    queue = running_node.durable_queue()
    client = side.client()
    await client.connect()
    await client.publish(ExternalMessage(payload=b"survives", address=side.target(queue)))
    deliveries = side.deliveries(client, queue)
    with anyio.fail_after(10):
        delivery = await anext(deliveries)
    await anyio.to_thread.run_sync(getattr(running_node, end))
    with anyio.fail_after(30), pytest.raises(ClientFailure):
        await anext(deliveries)
    with pytest.raises(ClientFailure):
        await delivery.settle(Outcome.ACCEPT)
    with pytest.raises(ClientFailure):  # the client says so at once, not after a timeout
        await client.publish(ExternalMessage(payload=b"late", address=side.target(queue)))
    await client.aclose()

    await anyio.to_thread.run_sync(running_node.start)
    assert await side.take_one(queue) == b"survives"


async def test_a_frozen_broker_is_lost_after_the_heartbeat_timeout(side: Side, running_node: RabbitNode) -> None:
    """The node stops answering with its sockets open (SIGSTOP), as behind a network partition: AMQP
    heartbeats (amqp-091) or the idle timeout (amqp-10) find it out, for consumers and publishers."""
    queue = running_node.durable_queue()
    client = side.client(side.uri + side.frozen_after)
    await client.connect()
    try:
        await client.publish(ExternalMessage(payload=b"before", address=side.target(queue)))
        deliveries = side.deliveries(client, queue)
        with anyio.fail_after(10):
            await anext(deliveries)
        running_node.pause()
        with anyio.fail_after(30), pytest.raises(ClientFailure, match=side.refused_when_frozen):
            await anext(deliveries)
        with pytest.raises(ClientFailure):
            await client.publish(ExternalMessage(payload=b"after", address=side.target(queue)))
    finally:
        running_node.resume()
        await client.aclose()


@pytest.mark.parametrize("value", ["soon", "-1", "1.5", "²"])
async def test_an_idle_timeout_that_is_no_number_is_refused(running_node: RabbitNode, value: str) -> None:
    with pytest.raises(ClientFailure, match=r"amqp\.idleTimeout must be milliseconds"):
        await Amqp10Client(amqp10(running_node).settings(f"{running_node.uri()}?amqp.idleTimeout={value}")).connect()
