"""`eventually`: `polling.until` for async checks with a step between attempts (the runtime tests' spelling);
`eventually_blocking`: the same for tests outside an event loop (a server in a process of its own)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from tests.connectivity.polling import until

WITHIN = 20.0
EVERY = 0.05


async def eventually(check: Callable[[], Awaitable[bool]], what: str, *, within: float = WITHIN,
                     between: Callable[[], Awaitable[None]] | None = None) -> None:
    """Return once `check()` holds; fail saying `what` did not happen. `between` runs before each retry."""

    async def holds() -> bool:
        if await check():
            return True
        if between is not None:
            await between()
        return False

    await until(holds, what, within=within, every=EVERY)


def eventually_blocking(check: Callable[[], bool], what: str, *, within: float = WITHIN,
                        between: Callable[[], None] | None = None) -> None:
    """Return once `check()` holds; fail saying `what` did not happen. `between` runs before each retry."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {within:g} s"
        if between is not None:
            between()
        time.sleep(EVERY)
