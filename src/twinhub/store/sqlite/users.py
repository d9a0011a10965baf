"""`SqliteUserStore`: the users of HTTP basic authentication, in the embedded store's database file.

The table is not part of the store's numbered migrations: it is created on first use with
`CREATE TABLE IF NOT EXISTS`, so the CLI can add users before the server ever ran. Every operation
opens its own short-lived connection (WAL lets it run beside the store's writer; the busy timeout
waits out the writer's transactions); the async methods run it in a worker thread, so the event loop
never blocks. The exception is the read of every login, `get_password_hash`: remembered while no change was
made (`StampedHashes`: every change here renews the stamp it checks), and otherwise, once the table is known to
exist, a primary-key lookup on the loop (`LoopReads`, ~5 µs instead of ~500). The `*_sync` methods are for the
command line.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import ParamSpec, TypeVar

from twinhub.store.credentials import check_hash, timestamp
from twinhub.store.sqlite.hashes import StampedHashes, renew_stamp, renew_stamp_if
from twinhub.store.sqlite.lookups import LoopReads
from twinhub.store.sqlite.threads import in_thread
from twinhub.store.users import is_valid_username, validate_username

__all__ = ["USERS_TABLE", "SqliteUserStore"]

USERS_TABLE = "auth_users"
BUSY_TIMEOUT_SECONDS = 5.0

_T = TypeVar("_T")
_P = ParamSpec("_P")

_CREATE = f"""
CREATE TABLE IF NOT EXISTS {USERS_TABLE} (
    username      TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    modified      TEXT NOT NULL
)
"""
_GET = f"SELECT password_hash FROM {USERS_TABLE} WHERE username = ?"
_UPSERT = f"""
INSERT INTO {USERS_TABLE} (username, password_hash, modified) VALUES (?, ?, ?)
ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, modified = excluded.modified
"""
_INSERT = f"INSERT INTO {USERS_TABLE} (username, password_hash, modified) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_UPDATE = f"UPDATE {USERS_TABLE} SET password_hash = ?, modified = ? WHERE username = ?"
_SWAP = f"UPDATE {USERS_TABLE} SET password_hash = ?, modified = ? WHERE username = ? AND password_hash = ?"
_DELETE = f"DELETE FROM {USERS_TABLE} WHERE username = ?"
_LIST = f"SELECT username FROM {USERS_TABLE} ORDER BY username"


class SqliteUserStore:
    """Users in the table `auth_users` of the SQLite file at `path` (file and table created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._table_ready = False
        self._lookups = LoopReads(self.path)
        self._hashes = StampedHashes(self.path)

    def __repr__(self) -> str:
        return f"SqliteUserStore({str(self.path)!r})"

    # --- the UserStore protocol -------------------------------------------------------------------

    async def get_password_hash(self, username: str) -> str | None:
        if not is_valid_username(username):
            return None
        return await self._hashes.get(username, self._read_password_hash)

    async def _read_password_hash(self, username: str) -> str | None:
        if self._table_ready:
            with contextlib.suppress(sqlite3.Error):  # read in a thread instead, which waits and reports
                return self._lookups.text(_GET, username)
        return await self._in_thread(self.get_password_hash_sync, username)

    async def set_user(self, username: str, password_hash: str) -> None:
        await self._in_thread(self.set_user_sync, username, password_hash)

    async def replace_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        return await self._in_thread(self.replace_password_hash_sync, username, old_hash, new_hash)

    async def remove_user(self, username: str) -> bool:
        return await self._in_thread(self.remove_user_sync, username)

    async def list_users(self) -> list[str]:
        return await self._in_thread(self.list_users_sync)

    # --- synchronous helpers (command line) --------------------------------------------------------

    def get_password_hash_sync(self, username: str) -> str | None:
        if not is_valid_username(username):
            return None
        with self._connection() as connection:
            row = connection.execute(_GET, (username,)).fetchone()
        return None if row is None else str(row[0])

    def set_user_sync(self, username: str, password_hash: str) -> None:
        arguments = (validate_username(username), check_hash(password_hash), timestamp())
        with self._connection() as connection:
            connection.execute(_UPSERT, arguments)
            renew_stamp(self.path)

    def add_user_sync(self, username: str, password_hash: str) -> bool:
        """Create the user; False (and nothing changed) if it exists already."""
        arguments = (validate_username(username), check_hash(password_hash), timestamp())
        with self._connection() as connection:
            return renew_stamp_if(self.path, connection.execute(_INSERT, arguments).rowcount == 1)

    def change_password_hash_sync(self, username: str, password_hash: str) -> bool:
        """Replace an existing user's hash; False (and nothing created) if there is no such user."""
        if not is_valid_username(username):
            return False
        with self._connection() as connection:
            cursor = connection.execute(_UPDATE, (check_hash(password_hash), timestamp(), username))
            return renew_stamp_if(self.path, cursor.rowcount == 1)

    def replace_password_hash_sync(self, username: str, old_hash: str, new_hash: str) -> bool:
        if not is_valid_username(username):
            return False
        with self._connection() as connection:
            cursor = connection.execute(_SWAP, (check_hash(new_hash), timestamp(), username, old_hash))
            return renew_stamp_if(self.path, cursor.rowcount == 1)

    def remove_user_sync(self, username: str) -> bool:
        if not is_valid_username(username):
            return False
        with self._connection() as connection:
            return renew_stamp_if(self.path, connection.execute(_DELETE, (username,)).rowcount == 1)

    def list_users_sync(self) -> list[str]:
        with self._connection() as connection:
            return [str(row[0]) for row in connection.execute(_LIST)]

    def close(self) -> None:
        """Close the connection kept for lookups (the store stays usable: another is opened when needed)."""
        self._lookups.close()
        self._hashes.close()

    # --- plumbing ----------------------------------------------------------------------------------

    def _connection(self) -> closing[sqlite3.Connection]:
        """One short-lived connection, closed at the end of the `with` block."""
        return closing(self._open())

    def _open(self) -> sqlite3.Connection:
        # Autocommit (isolation_level=None): every statement here is its own transaction.
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            if not self._table_ready:
                connection.execute(_CREATE)
                self._table_ready = True
        except BaseException:
            connection.close()
            raise
        return connection

    async def _in_thread(self, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await in_thread("user", function, *args, **kwargs)
