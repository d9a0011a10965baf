"""One statement on a connection of an open `PostgresStore`'s pool, in its own transaction: what the side
tables (users, devices) run, with the driver's errors mapped to `ServiceUnavailable`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from twinhub.store.postgres.errors import PooledConnection, discarding, map_exceptions
from twinhub.store.postgres.store import ACQUIRE_TIMEOUT, PostgresStore

__all__ = ["changed", "run_statement"]

_T = TypeVar("_T")


def changed(status: str) -> bool:
    """Whether an INSERT / UPDATE / DELETE command tag reports one row."""
    return status.rsplit(" ", 1)[-1] == "1"


async def run_statement(store: PostgresStore, unavailable: str,
                        statement: Callable[[PooledConnection], Awaitable[_T]]) -> _T:
    """`statement` on a pooled connection of `store`; raises RuntimeError unless the store is open, and
    ServiceUnavailable(`unavailable`) when the database fails."""
    pool = store.pool
    with map_exceptions(unavailable):
        async with discarding(pool, ACQUIRE_TIMEOUT) as connection:
            return await statement(connection)
