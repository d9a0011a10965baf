"""`eventually_blocking`: `polling.until` for tests outside an event loop (a server in a process of its
own), with a step between attempts (e.g. publish another ping)."""

from __future__ import annotations

import time
from collections.abc import Callable

WITHIN = 30.0
EVERY = 0.05


def eventually_blocking(check: Callable[[], bool], what: str, *, within: float = WITHIN,
                        between: Callable[[], object] | None = None) -> None:
    """Return once `check()` holds; fail saying `what` did not happen. `between` runs before each retry."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {within:g} s"
        if between is not None:
            between()
        time.sleep(EVERY)
