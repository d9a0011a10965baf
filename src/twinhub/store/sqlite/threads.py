"""The embedded store's side tables (users, devices) off the event loop: each call runs in a worker thread,
and sqlite3's errors stop here as `ServiceUnavailable` (logged with their traceback)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from twinhub.model.errors import ServiceUnavailable

__all__ = ["in_thread"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_P = ParamSpec("_P")


async def in_thread(database: str, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """`function(*args, **kwargs)` in a worker thread; raises ServiceUnavailable ("The `database` database is
    unavailable.") for an sqlite3 error."""
    try:
        return await asyncio.to_thread(function, *args, **kwargs)
    except sqlite3.Error as exc:
        log.error("a statement of the %s database failed", database, exc_info=exc)
        raise ServiceUnavailable(f"The {database} database is unavailable.") from exc
