"""Publishing an event after its commit: the write is durable, so a bus hiccup must not turn its success
into an error. A failed publish is retried in the background until the bus takes it (bounded); the
other workers' caches catch up then, and a worker that misses events entirely forgets its caches."""

from __future__ import annotations

import asyncio
import logging

from twinhub.bus.base import Event, EventBus
from twinhub.model.errors import TwinhubError

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Publisher:
    """Publishes committed events on `bus`; owns the background retries of the ones the bus refused."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._retries: set[asyncio.Task[None]] = set()

    async def publish(self, event: Event) -> None:
        try:
            await self._bus.publish(event)
        except TwinhubError as error:
            log.warning("event bus unavailable (%s); retrying the event in the background", error.message)
            task = asyncio.create_task(self._retry(event))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)

    async def _retry(self, event: Event) -> None:
        for delay in RETRY_DELAYS:
            await asyncio.sleep(delay)
            try:
                await self._bus.publish(event)
                return
            except TwinhubError:
                continue
            except RuntimeError:  # the bus was closed: the server is stopping
                return
        log.error("gave up publishing an event after %d retries: %r", len(RETRY_DELAYS), event)
