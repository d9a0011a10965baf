"""The embedded store's readers: a small pool of threads, each on its own read-only connection (WAL lets them
read while the writer commits), every read bounded in time by a progress handler, as PostgreSQL bounds a
statement by its command timeout. sqlite3's errors stop here as `ServiceUnavailable`.

A read by primary key (a thing, a policy) runs on the event loop itself (`run_by_key`, see `LoopReads`) and
goes to a reader thread only when it cannot be read there at once."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

from twinhub.model.errors import ServiceUnavailable
from twinhub.store.sqlite.history import BIG_INTEGERS, BigIntegers
from twinhub.store.sqlite.lookups import LoopReads
from twinhub.store.sqlite.schema import connect_reader

__all__ = ["READER_THREADS", "READ_TIMEOUT", "Readers"]

log = logging.getLogger(__name__)

READER_THREADS = 2
READ_TIMEOUT = 30.0  # seconds one read may take, as PostgreSQL's command timeout: a reader is never held for good
_PROGRESS_STEPS = 20_000  # SQLite virtual machine steps between two looks at the clock (well under 1 ms)

_T = TypeVar("_T")


class Readers:
    """The reader threads of one database file."""

    def __init__(self, path: Path, read_timeout: float = READ_TIMEOUT) -> None:
        if read_timeout <= 0:
            raise ValueError("read_timeout must be positive")
        self._path = path
        self._read_timeout = read_timeout
        self._pool = ThreadPoolExecutor(max_workers=READER_THREADS, thread_name_prefix="twinhub-sqlite-reader")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._on_loop = LoopReads(path)

    async def run_by_key(self, query: Callable[[sqlite3.Connection], _T]) -> _T:
        """`query`, a lookup by primary key, on the event loop; in a reader thread when that fails (BUSY, or an
        error the reader thread then reports as ServiceUnavailable)."""
        try:
            return self._on_loop.run(query)
        except (sqlite3.Error, ValueError):  # the reader threads wait out BUSY, and log and map the rest
            return await self.run(query)

    async def run(self, query: Callable[[sqlite3.Connection], _T]) -> _T:
        """`query` in a reader thread, on its connection; raises ServiceUnavailable for a failed or late read."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._run, query)

    def stop(self) -> None:
        """Take no more reads (without waiting for those running)."""
        self._pool.shutdown(wait=False)
        self._on_loop.close()

    def close(self) -> None:
        """Wait for the running reads, then close every connection (blocking: call it off the loop)."""
        self._pool.shutdown(wait=True)
        self._on_loop.close()
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def _run(self, query: Callable[[sqlite3.Connection], _T]) -> _T:
        try:
            connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
            if connection is None:
                connection = connect_reader(self._path)
                # typeshed types aggregates over integers only; this one takes and gives text
                connection.create_aggregate(BIG_INTEGERS, 1, cast("Callable[[], Any]", BigIntegers))
                connection.set_progress_handler(self._late, _PROGRESS_STEPS)
                with self._lock:
                    self._connections.append(connection)
                self._local.connection = connection
            self._local.deadline = time.monotonic() + self._read_timeout
            return query(connection)
        except sqlite3.OperationalError as exc:
            if str(exc) != "interrupted":
                log.error("a read of the thing store failed", exc_info=exc)
                raise ServiceUnavailable("The thing store could not be read.") from exc
            log.warning("a read of the thing store took longer than %g s and was interrupted", self._read_timeout)
            raise ServiceUnavailable(f"The thing store did not answer within {self._read_timeout:g} s; narrow "
                                     "the request (its range, step or filter).") from exc
        except (sqlite3.Error, ValueError) as exc:  # driver errors and undecodable rows
            log.error("a read of the thing store failed", exc_info=exc)
            raise ServiceUnavailable("The thing store could not be read.") from exc

    def _late(self) -> bool:
        """SQLite's progress handler, in the reader thread: true interrupts the running statement."""
        deadline: float = self._local.deadline
        return time.monotonic() > deadline
