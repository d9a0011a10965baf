"""The `EventBus` protocol: committed thing, policy and connection events fan out to every subscriber (of
every worker). A subscriber takes the kinds it follows and passes over the others."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from twinhub.model.events import ConnectionEvent, PolicyEvent, ThingEvent

Event = ThingEvent | PolicyEvent | ConnectionEvent


class Subscription(Protocol):
    """A bounded stream of events; `overflowed` is set when the subscriber fell behind and was cut off."""

    overflowed: bool

    def __aiter__(self) -> AsyncIterator[Event]: ...

    def close(self) -> None: ...


class EventBus(Protocol):
    async def publish(self, event: Event) -> None:
        """Deliver `event` to every current subscriber; never blocks on a slow one."""
        ...

    def subscribe(self, *, capacity: int = 1024) -> Subscription: ...

    async def aclose(self) -> None: ...
