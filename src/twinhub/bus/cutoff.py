"""A subscriber's bounded queue that never makes its publisher wait: when the subscriber falls
`capacity` items behind, it is cut off (its stream ends, `overflowed` is set) instead of growing.

Every fan-out in twinhub (the event buses, the signal buses, the live receivers, the event watches)
hands items to its subscribers through one of these, so one slow subscriber costs only itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class CutOffQueue(Generic[T]):
    __slots__ = ("_capacity", "_ended", "_on_close", "_queue", "closed", "overflowed")

    def __init__(self, capacity: int, *, on_close: Callable[[], None] | None = None) -> None:
        if capacity < 1:
            raise ValueError("a subscriber needs a capacity of at least 1")
        self._capacity = capacity
        self._on_close = on_close
        self._queue: asyncio.Queue[T | None] = asyncio.Queue()  # bounded by `offer`; None ends it
        self._ended = False
        self.overflowed = False
        self.closed = False

    def offer(self, item: T) -> None:
        """Queue `item`; a subscriber already `capacity` behind is cut off instead."""
        if self.closed:
            return
        if self._queue.qsize() >= self._capacity:
            self.overflowed = True
            self.close()
            return
        self._queue.put_nowait(item)

    def close(self, *, drop_pending: bool = False) -> None:
        """End the stream (idempotent): after what is queued, or at once with `drop_pending`."""
        if self.closed:
            return
        self.closed = True
        if drop_pending:
            while not self._queue.empty():
                self._queue.get_nowait()
        self._queue.put_nowait(None)
        if self._on_close is not None:
            self._on_close()

    async def next(self) -> T | None:
        """The next item, or None once the stream ended. Safe to cancel (e.g. a wait with a timeout):
        an item is never lost to a cancelled wait."""
        if self._ended:
            return None
        item = await self._queue.get()
        if item is None:
            self._ended = True
        return item

    def __aiter__(self) -> CutOffQueue[T]:
        return self

    async def __anext__(self) -> T:
        """As `next`, so iteration may be cancelled mid-wait (a keep-alive timeout) and resumed."""
        item = await self.next()
        if item is None:
            raise StopAsyncIteration
        return item
