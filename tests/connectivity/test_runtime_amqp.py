"""Connections of type amqp-091 (the machine's RabbitMQ, in a throwaway virtual host) and amqp-10 (the tests'
own RabbitMQ node) at work on a worker, in process, through the real clients: a Ditto Protocol command from a
queue changes the twin and only then is acknowledged, one the source's subjects may not do is dead-lettered,
and twin events go out to the target's address."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aio_pika
import anyio
import orjson
import pytest

from tests.connectivity.e2e import merge
from tests.connectivity.peer import Channel, dead_lettered_queue, new_queue, ready, send, take
from tests.connectivity.polling import until
from tests.connectivity.rabbit_node import RabbitNode
from tests.connectivity.runtime_world import create_thing, running, thing_at, worker
from tests.integration.services import RABBITMQ
from twinhub.connectivity.clients import open_client
from twinhub.connectivity.model import Connection, parse_connection
from twinhub.connectivity.runtime import mapper_registry
from twinhub.connectivity.runtime.connection import RuntimeContext
from twinhub.model.commands import ThingCommand
from twinhub.model.types import JsonObject, JsonValue
from twinhub.protocol import parse_envelope
from twinhub.service.platform import Platform
from twinhub.service.session import SessionServices

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("rabbit_node")]

DEVICE = ("integration:device",)
THING = "org.twinhub.test:pump"
DITTO = "application/vnd.eclipse.ditto+json"


@dataclass(frozen=True)
class Broker:
    """One AMQP flavour: its connection type and uri, and how it names a queue in an address."""

    kind: str
    uri: str
    source: Callable[[str], str]
    target: Callable[[str], str]
    peer: Channel


@pytest.fixture(params=["amqp-091", "amqp-10"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    if request.param == "amqp-091":
        vhost: str = request.getfixturevalue("vhost")
        uri = f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/{vhost}"
        source, target = (lambda queue: queue), (lambda queue: f"/{queue}")  # default exchange, key = queue
    else:
        node: RabbitNode = request.getfixturevalue("running_node")
        uri = node.uri()
        source = target = lambda queue: f"/amq/queue/{queue}"
    async with await aio_pika.connect(uri) as connection:
        yield Broker(request.param, uri, source, target, await connection.channel())


def context_of(platform: Platform) -> RuntimeContext:
    services = SessionServices(platform.things, platform.policies, platform.search, platform.events, platform.live,
                               platform.permissions)
    return RuntimeContext(services, open_client, mapper_registry, lambda connection: f"test-{uuid.uuid4().hex[:8]}",
                          backoff_min=0.2, backoff_max=1.0)


def connection(kind: str, uri: str, *, sources: list[JsonValue] | None = None,
               targets: list[JsonValue] | None = None) -> Connection:
    return parse_connection({"id": f"amqp-{uuid.uuid4().hex[:8]}", "connectionType": kind,
                             "connectionStatus": "open", "uri": uri, "sources": sources or [],
                             "targets": targets or []})



async def attribute(platform: Platform, key: str) -> JsonValue:
    thing = await thing_at(platform, THING, DEVICE)
    assert isinstance(thing, dict)
    attributes = thing.get("attributes", {})
    assert isinstance(attributes, dict)
    return attributes.get(key)


async def test_a_queued_command_changes_the_twin_and_a_forbidden_one_is_dead_lettered(
        broker: Broker, tmp_path) -> None:
    queue, dead = await dead_lettered_queue(broker.peer)
    source: JsonObject = {"addresses": [broker.source(queue)], "authorizationContext": list(DEVICE)}
    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        await create_thing(platform, "org.twinhub.test:other", ("nginx:owner",))
        async with running(connection(broker.kind, broker.uri, sources=[source]), context_of(platform)) as runtime:
            await runtime.connected()
            await send(broker.peer, queue, merge(THING, "/attributes/flow", 12.5), content_type=DITTO)
            await send(broker.peer, queue, merge("org.twinhub.test:other", "/attributes/x", 1), content_type=DITTO)
            await send(broker.peer, queue, merge(THING, "/attributes/after", True), content_type=DITTO)

            async def changed() -> bool:
                return await attribute(platform, "after") is True

            await until(changed, "the twin changes")
            assert await attribute(platform, "flow") == 12.5
            forbidden = await take(broker.peer, dead)
            assert orjson.loads(forbidden.body)["path"] == "/attributes/x"

            async def settled() -> bool:
                return await ready(broker.peer, queue) == 0

            await until(settled, "every message settled")
        assert await ready(broker.peer, queue) == 0  # acknowledged, not merely in flight: none came back


async def test_twin_events_go_out_to_the_target_address(broker: Broker, tmp_path) -> None:
    queue = await new_queue(broker.peer)
    target: JsonObject = {"address": broker.target(queue), "topics": ["_/_/things/twin/events"],
                          "authorizationContext": list(DEVICE)}
    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        async with running(connection(broker.kind, broker.uri, targets=[target]), context_of(platform)) as runtime:
            await runtime.connected()

            async def subscribed() -> bool:
                return runtime.status_entries()[2][0]["status"] == "open"  # type: ignore[index]

            await until(subscribed, "the target's subscription")
            await platform.things.execute(ThingCommand("modify", THING, ("attributes", "speed"), 3), DEVICE)
            message = await take(broker.peer, queue)
    envelope = parse_envelope(message.body)
    assert (envelope.topic.criterion, envelope.path, envelope.value) == ("events", "/attributes/speed", 3)
    assert message.content_type == DITTO


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["amqp-091", "amqp-10"])
async def test_a_broker_killed_mid_stream_loses_no_message(running_node: RabbitNode, kind: str, tmp_path) -> None:
    """The tests' own node is killed while a stream of commands flows and started again: the runtime
    reconnects by itself, and every command lands (the unacknowledged ones come again)."""
    def address(queue: str) -> str:
        return queue if kind == "amqp-091" else f"/amq/queue/{queue}"

    queue = running_node.durable_queue()
    source: JsonObject = {"addresses": [address(queue)], "authorizationContext": list(DEVICE)}
    total = 40

    async def publish(numbers: range) -> None:
        async with await aio_pika.connect(running_node.uri()) as peer_connection:
            channel = await peer_connection.channel()  # publisher confirms: each message is on disk
            for n in numbers:
                await send(channel, queue, merge(THING, f"/attributes/m{n}", n), content_type=DITTO,
                           delivery_mode=aio_pika.DeliveryMode.PERSISTENT)

    async with worker(tmp_path) as platform:
        await create_thing(platform, THING, DEVICE)
        async with running(connection(kind, running_node.uri(), sources=[source]), context_of(platform)) as runtime:
            await runtime.connected()
            await publish(range(total // 2))

            async def some_landed() -> bool:
                return await attribute(platform, "m0") == 0

            await until(some_landed, "the first commands")
            await anyio.to_thread.run_sync(running_node.kill)  # the runtime lives through the outage meanwhile
            await anyio.to_thread.run_sync(running_node.start)
            await publish(range(total // 2, total))

            async def all_landed() -> bool:
                thing = await thing_at(platform, THING, DEVICE)
                attributes = thing.get("attributes", {}) if isinstance(thing, dict) else {}
                return isinstance(attributes, dict) and all(attributes.get(f"m{n}") == n for n in range(total))

            await until(all_landed, "every command", within=60)
