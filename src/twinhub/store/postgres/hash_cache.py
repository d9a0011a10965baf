"""`HashCache`: the password hashes of users and devices remembered by one worker, exact while it listens.

Every basic login needs its hash, read anew each time so that `twinhub user passwd|remove` (which writes the
table directly, while servers run) counts at once: from PostgreSQL that is a round trip per request. Instead the
tables' triggers (migration 0010) announce every change on the channel `twinhub_credentials` (`<table>:<name>`;
`<table>` for a TRUNCATE), and each worker LISTENs to it on one connection of its own. While it listens, a hash
read once (or the absence of one: a user may be added) is served from memory until a notification names it.
While it does not (before it first listens, from a lost connection until it listens again) every lookup reads
the table, as without a cache, and whatever was remembered is dropped: changes may have gone unheard.

A change is heard once PostgreSQL delivered its notification, right after the commit (the command line that
made it has not exited by then). A lookup whose read was in flight when a change or a lost connection was heard
returns what it read but does not remember it (the generation count), so a late answer never outlives a newer
change. A connection lost without a word (a network that drops packets) is found by a probe every
`probe_seconds`, which must answer within as long: a worker that can no longer hear serves from memory at most
about twice that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

import asyncpg

from twinhub.model.lru import Lru
from twinhub.store.postgres.errors import DRIVER_ERRORS

__all__ = ["CHANNEL", "DEFAULT_HASH_CACHE_SIZE", "DEFAULT_PROBE_SECONDS", "HashCache"]

log = logging.getLogger(__name__)

CHANNEL = "twinhub_credentials"
DEFAULT_HASH_CACHE_SIZE = 10_000  # names; an entry is a name (<= 256 characters) and an argon2 hash (~100 bytes)
DEFAULT_PROBE_SECONDS = 5.0
DEFAULT_RETRY_SECONDS = 1.0  # between attempts to listen again

Reader = Callable[[str], Awaitable[str | None]]


class HashCache:
    """Password hashes by (table, name); `async with` it to listen, on connections `connect()` opens."""

    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]], *,
                 size: int = DEFAULT_HASH_CACHE_SIZE, probe_seconds: float = DEFAULT_PROBE_SECONDS,
                 retry_seconds: float = DEFAULT_RETRY_SECONDS) -> None:
        if size < 1 or probe_seconds <= 0 or retry_seconds < 0:
            raise ValueError("size must be at least 1, probe_seconds positive and retry_seconds not negative")
        self._connect = connect
        self._probe_seconds, self._retry_seconds = probe_seconds, retry_seconds
        self._entries: Lru[tuple[str, str], str | None] = Lru(max_entries=size, max_bytes=sys.maxsize)  # by count
        self._listening = False
        self._generation = 0  # counts what may have made a read in flight outdated
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._deaf_told = False  # whether the log says that changes go unheard
        self.reads = 0  # lookups that read the table, for tests and metrics
        self.heard = 0  # notifications heard, for tests and metrics

    @property
    def listening(self) -> bool:
        """Whether changes are heard now, so that remembered hashes are served."""
        return self._listening

    async def get(self, table: str, name: str, read: Reader) -> str | None:
        """The hash of `name` in `table` (None: no such row): remembered, or `await read(name)`."""
        key = (table, name)
        if self._listening and key in self._entries:
            return self._entries.get(key)
        generation = self._generation
        self.reads += 1
        value = await read(name)
        if self._listening and generation == self._generation:
            self._entries.put(key, value, 1)
        return value

    def forget(self, table: str, name: str) -> None:
        """Drop what is remembered of `name` (this worker changed it), and what reads in flight will find."""
        self._generation += 1
        self._entries.pop((table, name))

    # -- listening ---------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._task is not None or self._closed:
            raise RuntimeError("A hash cache listens once.")
        self._task = asyncio.create_task(self._listen(), name="twinhub hash cache")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop listening; lookups read the table from now on."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._deafen()

    async def _listen(self) -> None:
        """Listen as long as the cache is open: again after every lost connection."""
        while True:
            try:
                connection = await self._connect()
                try:
                    await self._hear(connection)
                finally:
                    self._deafen()
                    connection.terminate()
                problem = "the connection was lost"
            except DRIVER_ERRORS as exc:
                problem = type(exc).__name__
            if not self._deaf_told:
                log.warning("not listening for credential changes (%s): logins read the database until it listens "
                            "again", problem)
                self._deaf_told = True
            await asyncio.sleep(self._retry_seconds)

    async def _hear(self, connection: asyncpg.Connection) -> None:
        """Serve remembered hashes while `connection` listens; returns (or raises) once it no longer does."""
        lost = asyncio.Event()
        hearing = True

        def terminated(_: object) -> None:
            if hearing:  # (called soon after, not at once: by then another connection may listen)
                self._deafen()  # at once, not once the probe notices
            lost.set()

        connection.add_termination_listener(terminated)
        try:
            await connection.add_listener(CHANNEL, self._notified)
            if connection.is_closed():  # lost before its termination listener could hear it
                return
            self._entries.clear()  # whatever changed while deaf went unheard
            self._generation += 1
            self._listening = True
            if self._deaf_told:
                log.info("listening for credential changes again")
                self._deaf_told = False
            while True:
                try:
                    async with asyncio.timeout(self._probe_seconds):
                        await lost.wait()
                    return
                except TimeoutError:
                    async with asyncio.timeout(self._probe_seconds):
                        await connection.fetchval("SELECT 1")
        finally:
            hearing = False

    def _deafen(self) -> None:
        self._listening = False
        self._generation += 1
        self._entries.clear()

    def _notified(self, connection: object, pid: int, channel: str, payload: object) -> None:
        self.heard += 1
        table, colon, name = str(payload).partition(":")
        if colon:
            self.forget(table, name)
        else:  # a TRUNCATE
            self._generation += 1
            self._entries.clear()
