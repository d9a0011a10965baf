"""asyncpg's exceptions stop here: each becomes a twinhub error, chained with `raise ... from exc`.

    lost or refused connection, server shutting down or  ─┐
    restarting, too many connections, timeout, OSError,  ─┤
    the client's protocol out of step (InternalClientError) ─┴─> ServiceUnavailable (503), `is_connection_error`
    any other driver error (a statement failed)          ───> ServiceUnavailable (503), logged

Only the first kind says nothing about the statement: a read can be retried on a new connection, and a
transaction that had not reached COMMIT can be replayed whole. A connection that failed that way is
closed for good (`discarding`), so the pool opens a new one instead of handing it out again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypeAlias

import asyncpg

from twinhub.model.errors import ServiceUnavailable

__all__ = ["DRIVER_ERRORS", "PooledConnection", "discarding", "is_connection_error", "map_exceptions",
           "unavailable"]

log = logging.getLogger(__name__)

# A connection taken from a pool (asyncpg hands out a proxy that returns to its pool).
PooledConnection: TypeAlias = "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"

# Everything the driver raises for a failed call (TimeoutError: connect, acquire and command timeouts;
# InternalClientError: the client's protocol state broken, e.g. by the server's goodbye read between calls).
DRIVER_ERRORS: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError,
                                                  asyncpg.exceptions.InternalClientError, OSError, TimeoutError)

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08, including a connection that no longer exists
    asyncpg.InterfaceError,  # the client side: "connection is closed", a connection lost mid-call
    asyncpg.exceptions.InternalClientError,  # the client's protocol out of step with the server
    asyncpg.exceptions.OperatorInterventionError,  # 57: admin shutdown, crash shutdown, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # 53: too many connections, disk full, out of memory
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a standby, as just after a failover
    OSError,  # refused, reset, unreachable
    TimeoutError,
)


def is_connection_error(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection: nothing about the statement itself."""
    return isinstance(exc, _CONNECTION_ERRORS) and not isinstance(exc, asyncpg.exceptions.QueryCanceledError)


def unavailable(message: str, exc: BaseException) -> ServiceUnavailable:
    """The twinhub error for a driver error, with the driver error as its cause: logged with its traceback
    unless the database was merely unreachable; a timeout (a statement, connecting or waiting for the pool
    taking too long) with a warning."""
    if isinstance(exc, TimeoutError):
        log.warning("%s (timed out)", message)
    elif not is_connection_error(exc):
        log.error("%s (%s: %s)", message, type(exc).__name__, exc, exc_info=exc)
    error = ServiceUnavailable(message)
    error.__cause__ = exc
    return error


@asynccontextmanager
async def discarding(pool: asyncpg.Pool, acquire_timeout: float) -> AsyncIterator[PooledConnection]:
    """A connection of `pool` (waiting at most `acquire_timeout` seconds), closed for good instead of returned to the
    pool when a call on it fails with a connection error: whatever state it is in, nobody may use it again."""
    # With a connection idle, acquiring takes it at once: no wait to bound, so no timeout wrapper (a task and a
    # timer per call in asyncpg). Connecting anew is bounded by the pool's connect timeout either way.
    async with pool.acquire(timeout=None if pool.get_idle_size() else acquire_timeout) as connection:
        try:
            yield connection
        except DRIVER_ERRORS as exc:
            if is_connection_error(exc) and not isinstance(exc, TimeoutError):
                connection.terminate()
            raise


@contextmanager
def map_exceptions(message: str) -> Iterator[None]:
    """Turn a driver error raised in the block into ServiceUnavailable(message) from it."""
    try:
        yield
    except DRIVER_ERRORS as exc:
        raise unavailable(message, exc) from exc
