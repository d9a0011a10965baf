"""The NATS server's other side in the connectivity tests: a plain nats-py connection that publishes what a
device would, to core subjects or through JetStream, and makes the JetStream streams a test needs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import nats
import nats.js.errors


async def publish(url: str, subject: str, payloads: list[bytes], *, jetstream: bool = False) -> None:
    """Publish `payloads` to `subject` in order; returns once the server has them (flushed, or JetStream-acked)."""
    async with await nats.connect(url) as connection:
        for payload in payloads:
            if jetstream:
                await connection.jetstream().publish(subject, payload)
            else:
                await connection.publish(subject, payload)
        await connection.flush()


@contextlib.asynccontextmanager
async def stream_over(url: str, prefix: str) -> AsyncIterator[str]:
    """A JetStream stream over `<prefix>.>` (`prefix` ends in a part no other test uses), deleted afterwards
    with its consumers. Yields its name."""
    name = "TWINHUB_TEST_" + prefix.rsplit(".", 1)[1]
    async with await nats.connect(url) as connection:
        await connection.jetstream().add_stream(name=name, subjects=[f"{prefix}.>"])
        try:
            yield name
        finally:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await connection.jetstream().delete_stream(name)
