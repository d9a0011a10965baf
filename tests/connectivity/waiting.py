"""`eventually`: `polling.until` for async checks with a step between attempts (the runtime tests' spelling)."""

from __future__ import annotations

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
