"""Primary-key reads on the event loop, on one read-only connection kept open (`LoopReads`).

A thing, a policy, a basic login's password hash: each is one indexed lookup. Through a worker thread it cost
~90 µs of CPU (the hop; ~500 µs for a login that also opened a fresh connection), on the loop ~5–16 µs. It cannot
make the loop wait for the writer: in WAL mode a reader waits for no writer, and in autocommit each statement
reads the latest commit, so a change by the writer or by `twinhub user passwd` in another process is seen by
the very next read. The busy timeout is zero: should the file ever be locked for readers (not yet in WAL mode,
a checkpoint restarting the WAL, a recovery) or a read fail in any way, `run` raises and the caller reads in a
worker thread, which waits for the lock and reports the error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from twinhub.store.sqlite.schema import connect_reader

__all__ = ["LoopReads"]

_T = TypeVar("_T")


class LoopReads:
    """`run(query)` on the event loop's connection; opened on first use and again after a failure."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    def run(self, query: Callable[[sqlite3.Connection], _T]) -> _T:
        """`query`'s result; raises sqlite3.Error when it cannot be read now (the caller reads in a thread)."""
        try:
            if self._connection is None:
                self._connection = self._open()
            return query(self._connection)
        except sqlite3.Error:
            self.close()  # whatever state it is in: the next read starts on a new connection
            raise

    def text(self, sql: str, key: str) -> str | None:
        """The one text column of the row `sql` (`... WHERE <primary key> = ?`) finds for `key`, or None."""
        row = self.run(lambda connection: connection.execute(sql, (key,)).fetchone())
        return None if row is None else str(row[0])

    def close(self) -> None:
        """Close the connection (from any thread: the next `run` opens another)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _open(self) -> sqlite3.Connection:
        connection = connect_reader(self._path)
        try:
            connection.execute("PRAGMA busy_timeout = 0")  # never wait on the loop
        except BaseException:
            connection.close()
            raise
        return connection
