"""Waiting on conditions that nothing notifies (a broker's state, what another task received): polled
briefly, and a failure naming what never happened after the deadline — never a bare sleep."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

POLL_SECONDS = 0.05  # often enough for a test, rarely enough not to load a server it asks over HTTP


async def until(condition: Callable[[], bool | Awaitable[bool]], what: str, *, within: float = 20.0,
                every: float = POLL_SECONDS) -> None:
    """Return once `condition()` (a plain or async callable) holds, asked every `every` seconds; AssertionError
    saying `what` otherwise."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = condition()
        if await result if isinstance(result, Awaitable) else result:
            return
        await anyio.sleep(every)
    raise AssertionError(f"not so after {within} s: {what}")
