"""The broker's other side in the AMQP client tests: a plain aio-pika (AMQP 0.9.1) channel that declares
queues, sends and takes messages, and asks the broker what a queue holds."""

from __future__ import annotations

import uuid

import aio_pika
import aio_pika.abc
import anyio

Channel = aio_pika.abc.AbstractChannel


async def new_queue(peer: Channel, **arguments: aio_pika.abc.FieldValue) -> str:
    """A durable queue with a random name (and `arguments`, e.g. a dead-letter exchange)."""
    name = f"q-{uuid.uuid4().hex[:8]}"
    await peer.declare_queue(name, durable=True, arguments=arguments or None)
    return name


async def dead_lettered_queue(peer: Channel) -> tuple[str, str]:
    """(queue, its dead-letter queue)."""
    dead = await new_queue(peer)
    return await new_queue(peer, **{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead}), dead


async def send(peer: Channel, queue: str, body: bytes, **properties: object) -> None:
    await peer.default_exchange.publish(aio_pika.Message(body, **properties), routing_key=queue)  # type: ignore[arg-type]


async def ready(peer: Channel, queue: str) -> int:
    """The messages waiting in `queue`, neither delivered nor unsettled."""
    declared = await peer.declare_queue(queue, passive=True)
    assert declared.declaration_result.message_count is not None
    return declared.declaration_result.message_count


async def take(peer: Channel, queue: str) -> aio_pika.abc.AbstractIncomingMessage:
    """The next message of `queue`, waiting for it to arrive."""
    declared = await peer.declare_queue(queue, passive=True)
    async with declared.iterator(no_ack=True) as messages:
        with anyio.fail_after(10):
            async for message in messages:
                return message
    raise AssertionError(f"{queue} was deleted")


async def consumers(peer: Channel, queue: str, count: int) -> None:
    """Wait until `queue` has `count` consumers (the broker tells no one; ask until it does)."""
    with anyio.fail_after(10):
        while (await peer.declare_queue(queue, passive=True)).declaration_result.consumer_count != count:  # noqa: ASYNC110
            await anyio.sleep(0.05)


async def take_several(peer: Channel, queue: str, count: int) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """The next `count` messages of `queue` through one consumer (one at a time would lose what the broker
    had already sent to a consumer cancelled after its first)."""
    declared = await peer.declare_queue(queue, passive=True)
    taken: list[aio_pika.abc.AbstractIncomingMessage] = []
    async with declared.iterator() as messages:
        with anyio.fail_after(10):
            async for message in messages:
                await message.ack()
                taken.append(message)
                if len(taken) == count:
                    return taken
    raise AssertionError(f"{queue} was deleted")
