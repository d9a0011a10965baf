"""The NATS server's other side in the connectivity tests: a plain nats-py connection that publishes what a
device would, to core subjects or through JetStream."""

from __future__ import annotations

import nats


async def publish(url: str, subject: str, payloads: list[bytes], *, jetstream: bool = False) -> None:
    """Publish `payloads` to `subject` in order; returns once the server has them (flushed, or JetStream-acked)."""
    async with await nats.connect(url) as connection:
        for payload in payloads:
            if jetstream:
                await connection.jetstream().publish(subject, payload)
            else:
                await connection.publish(subject, payload)
        await connection.flush()
