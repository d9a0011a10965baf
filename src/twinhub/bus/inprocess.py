"""The embedded event bus: fan-out to bounded in-process queues."""

from __future__ import annotations

from twinhub.bus.base import Event
from twinhub.bus.cutoff import CutOffQueue


class InProcessSubscription(CutOffQueue[Event]):
    """A subscriber's bounded queue. When it overflows, the subscription ends instead of growing."""

    def __init__(self, bus: InProcessBus, capacity: int) -> None:
        super().__init__(capacity, on_close=lambda: bus.unsubscribe(self))


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
