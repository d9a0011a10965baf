"""Waiting on a condition in async tests: checked again and again until it holds or the time is up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

WITHIN = 20.0


async def eventually(check: Callable[[], Awaitable[bool]], what: str, *, within: float = WITHIN,
                     between: Callable[[], Awaitable[None]] | None = None) -> None:
    """Return once `check()` holds; fail saying `what` did not happen. `between` runs before each retry."""
    deadline = time.monotonic() + within
    for _attempt in range(1_000_000):
        if await check():
            return
        assert time.monotonic() < deadline, f"{what} did not happen within {within:g} s"
        if between is not None:
            await between()
        await asyncio.sleep(0.05)
