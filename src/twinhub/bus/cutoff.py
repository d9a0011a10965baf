"""A subscriber's bounded queue that never makes its publisher wait: when the subscriber falls
`capacity` items (or `max_bytes` bytes) behind, it is cut off (its stream ends, `overflowed` is set)
instead of growing.

Every fan-out in twinhub (the event buses, the signal buses, the live receivers, the event watches,
the WebSocket sessions' outbound frames) hands items to its subscribers through one of these, so one
slow subscriber costs only itself. A `Budget` bounds the bytes of many queues together (all sessions
and streams of a worker): past it, the queues holding the most are cut off, the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Budget:
    """Bytes queued across many `CutOffQueue`s. When an offer takes `total` past `limit`, the queues
    holding the most are cut off (`over_budget`, their pending items dropped) until it is kept again."""

    __slots__ = ("_members", "limit", "total")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a budget needs at least 1 byte")
        self.limit = limit
        self.total = 0
        self._members: set[CutOffQueue[Any]] = set()  # the queues holding bytes now

    def _take(self, queue: CutOffQueue[Any], size: int) -> None:
        self.total += size
        self._members.add(queue)

    def _give_back(self, queue: CutOffQueue[Any], size: int) -> None:
        self.total -= size
        if queue.queued_bytes <= 0 or queue.closed:
            self._members.discard(queue)

    def _keep(self) -> None:
        if self.total <= self.limit:
            return
        # Rare (only past the limit), so sorting every holder is affordable and simple.
        for queue in sorted(self._members, key=lambda member: member.queued_bytes, reverse=True):
            queue.cut_off_over_budget()
            if self.total <= self.limit:
                return


class CutOffQueue(Generic[T]):
    __slots__ = ("_budget", "_bytes", "_capacity", "_ended", "_max_bytes", "_on_close", "_queue", "closed",
                 "over_budget", "overflowed")

    def __init__(self, capacity: int, *, max_bytes: int | None = None, budget: Budget | None = None,
                 on_close: Callable[[], None] | None = None) -> None:
        if capacity < 1:
            raise ValueError("a subscriber needs a capacity of at least 1")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError("a subscriber needs a byte limit of at least 1")
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._budget = budget
        self._on_close = on_close
        self._queue: asyncio.Queue[tuple[T, int] | None] = asyncio.Queue()  # bounded by `offer`; None ends it
        self._bytes = 0
        self._ended = False
        self.overflowed = False  # cut off for falling behind (its own limits or the shared budget)
        self.over_budget = False  # cut off by the shared budget
        self.closed = False

    @property
    def queued_bytes(self) -> int:
        """The sizes (as offered) of the items waiting to be taken."""
        return self._bytes

    def offer(self, item: T, size: int = 0) -> None:
        """Queue `item` of `size` bytes; a subscriber already `capacity` items, or with this item more
        than `max_bytes`, behind is cut off instead (one item of any size passes an empty queue)."""
        if self.closed:
            return
        if self._queue.qsize() >= self._capacity or (
                self._max_bytes is not None and self._bytes and self._bytes + size > self._max_bytes):
            self.overflowed = True
            self.close()
            return
        self._queue.put_nowait((item, size))
        self._bytes += size
        if self._budget is not None and size:
            self._budget._take(self, size)
            self._budget._keep()

    def cut_off_over_budget(self) -> None:
        """End the stream at once, dropping what is pending: the shared budget needs the bytes back."""
        if self.closed:
            return
        self.overflowed = self.over_budget = True
        self.close(drop_pending=True)

    def close(self, *, drop_pending: bool = False) -> None:
        """End the stream (idempotent): after what is queued, or at once with `drop_pending`. Either way
        the bytes go back to the budget now (what is left is bounded by the queue's own limits)."""
        if self.closed:
            return
        self.closed = True
        held = self._bytes
        if drop_pending:
            while not self._queue.empty():
                self._queue.get_nowait()
            self._bytes = 0
        budget, self._budget = self._budget, None
        if budget is not None:
            budget._give_back(self, held)
        self._queue.put_nowait(None)
        if self._on_close is not None:
            self._on_close()

    async def next(self) -> T | None:
        """The next item, or None once the stream ended. Safe to cancel (e.g. a wait with a timeout):
        an item is never lost to a cancelled wait."""
        if self._ended:
            return None
        entry = await self._queue.get()
        if entry is None:
            self._ended = True
            return None
        item, size = entry
        self._bytes -= size
        if self._budget is not None and size:
            self._budget._give_back(self, size)
        return item

    def __aiter__(self) -> CutOffQueue[T]:
        return self

    async def __anext__(self) -> T:
        """As `next`, so iteration may be cancelled mid-wait (a keep-alive timeout) and resumed."""
        item = await self.next()
        if item is None:
            raise StopAsyncIteration
        return item
