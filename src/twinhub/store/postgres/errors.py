"""asyncpg's exceptions stop here: each becomes a twinhub error, chained with `raise ... from exc`.

    lost or refused connection, server shutting down or  ─┐
    restarting, too many connections, timeout, OSError   ─┴─> ServiceUnavailable (503), `is_connection_error`
    any other driver error (a statement failed)          ───> ServiceUnavailable (503), logged

Only the first kind says nothing about the statement: a read can be retried on a new connection, and a
transaction that had not reached COMMIT can be replayed whole.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from twinhub.model.errors import ServiceUnavailable

__all__ = ["DRIVER_ERRORS", "is_connection_error", "map_exceptions", "unavailable"]

log = logging.getLogger(__name__)

# Everything the driver raises for a failed call (TimeoutError: connect, acquire and command timeouts).
DRIVER_ERRORS: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError,
                                                  TimeoutError)

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08, including a connection that no longer exists
    asyncpg.InterfaceError,  # the client side: "connection is closed", a connection lost mid-call
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


@contextmanager
def map_exceptions(message: str) -> Iterator[None]:
    """Turn a driver error raised in the block into ServiceUnavailable(message) from it."""
    try:
        yield
    except DRIVER_ERRORS as exc:
        raise unavailable(message, exc) from exc
