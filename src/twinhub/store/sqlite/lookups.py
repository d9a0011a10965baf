"""Primary-key lookups of the side tables (users, devices) on the event loop, on one connection kept open.

A basic login reads its password hash on every request, so that a change on the command line counts at once.
In a worker thread on a fresh connection that read cost ~500 µs of CPU; on a kept connection on the loop it
costs ~5 µs. It cannot make the loop wait for the writer: in WAL mode a reader waits for no writer, and in
autocommit each statement reads the latest commit, so a `twinhub user passwd` in another process is seen by
the very next lookup. The busy timeout is zero and the connection read-only: should the file ever be locked
for readers (not yet in WAL mode, a recovery) or a read fail in any way, `text` raises and the caller reads in
a worker thread as before, which waits for the lock and reports the error.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["LoopLookups"]


class LoopLookups:
    """`text(sql, key)`: the one text column of the row `sql` (`... WHERE <primary key> = ?`) finds for `key`.

    For the event loop's thread only; the connection is opened on first use and again after a failure.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    def text(self, sql: str, key: str) -> str | None:
        """The value, or None when there is no such row; raises sqlite3.Error when it cannot be read now."""
        try:
            if self._connection is None:
                self._connection = self._open()
            row = self._connection.execute(sql, (key,)).fetchone()
        except sqlite3.Error:
            self.close()  # whatever state it is in: the next lookup starts on a new connection
            raise
        return None if row is None else str(row[0])

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, isolation_level=None, timeout=0)
        try:
            connection.execute("PRAGMA query_only = ON")
        except BaseException:
            connection.close()
            raise
        return connection
