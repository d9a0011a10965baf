"""The embedded event bus: fan-out to bounded in-process queues."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from twinhub.bus.base import Event

_CLOSED = None


class InProcessSubscription:
    """A subscriber's bounded queue. When it overflows, the subscription ends instead of growing."""

    def __init__(self, bus: InProcessBus, capacity: int) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(capacity + 1)
        self._capacity = capacity
        self.overflowed = False
        self.closed = False

    def offer(self, event: Event) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= self._capacity:
            self.overflowed = True
            self.close()
            return
        self._queue.put_nowait(event)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus.unsubscribe(self)
            self._queue.put_nowait(_CLOSED)

    async def __aiter__(self) -> AsyncIterator[Event]:
        while (event := await self._queue.get()) is not _CLOSED:
            yield event


class InProcessBus:
    def __init__(self) -> None:
        self._subscribers: set[InProcessSubscription] = set()
        self._closed = False

    async def publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            subscriber.offer(event)

    def subscribe(self, *, capacity: int = 1024) -> InProcessSubscription:
        if self._closed:
            raise RuntimeError("the event bus is closed")
        subscription = InProcessSubscription(self, capacity)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: InProcessSubscription) -> None:
        self._subscribers.discard(subscription)

    async def aclose(self) -> None:
        self._closed = True
        for subscriber in list(self._subscribers):
            subscriber.close()
