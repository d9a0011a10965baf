"""`PostgresUserStore`: the users of HTTP basic authentication, in the table `auth_users` of the store's
database (created by the store's migrations), read and written through the store's pool.

Each operation is one statement in its own transaction; validation is the embedded store's. A server's
store looks hashes up through its `HashCache` (no round trip per login, changes heard from the table's trigger).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from twinhub.store.credentials import check_hash, timestamp
from twinhub.store.postgres.errors import PooledConnection
from twinhub.store.postgres.hash_cache import HashCache
from twinhub.store.postgres.statements import changed, run_statement
from twinhub.store.postgres.store import PostgresStore
from twinhub.store.users import UserStore, is_valid_username, validate_username

__all__ = ["PostgresUserStore"]

_T = TypeVar("_T")

_TABLE = "auth_users"
_GET = "SELECT password_hash FROM auth_users WHERE username = $1"
_UPSERT = """
INSERT INTO auth_users (username, password_hash, modified) VALUES ($1, $2, $3)
ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, modified = excluded.modified
"""
_INSERT = "INSERT INTO auth_users (username, password_hash, modified) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
_UPDATE = "UPDATE auth_users SET password_hash = $2, modified = $3 WHERE username = $1"
_SWAP = "UPDATE auth_users SET password_hash = $3, modified = $4 WHERE username = $1 AND password_hash = $2"
_DELETE = "DELETE FROM auth_users WHERE username = $1"
_LIST = "SELECT username FROM auth_users ORDER BY username"


class PostgresUserStore:
    """Users beside the things of an open `PostgresStore` (usable while that store is open)."""

    def __init__(self, store: PostgresStore, hashes: HashCache | None = None) -> None:
        self._store = store
        self._hashes = hashes  # None: every lookup reads the table (the command line)

    def __repr__(self) -> str:
        return f"PostgresUserStore({self._store!r})"

    # --- the UserStore protocol -------------------------------------------------------------------

    async def get_password_hash(self, username: str) -> str | None:
        if not is_valid_username(username):
            return None
        if self._hashes is None:
            return await self._read_hash(username)
        return await self._hashes.get(_TABLE, username, self._read_hash)

    async def _read_hash(self, username: str) -> str | None:
        value = await self._run(lambda connection: connection.fetchval(_GET, username))
        return None if value is None else str(value)

    async def set_user(self, username: str, password_hash: str) -> None:
        arguments = (validate_username(username), check_hash(password_hash), timestamp())
        await self._change(username, lambda connection: connection.execute(_UPSERT, *arguments))

    async def replace_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        if not is_valid_username(username):
            return False
        arguments = (username, old_hash, check_hash(new_hash), timestamp())
        return await self._change(username, lambda connection: connection.execute(_SWAP, *arguments))

    async def remove_user(self, username: str) -> bool:
        if not is_valid_username(username):
            return False
        return await self._change(username, lambda connection: connection.execute(_DELETE, username))

    async def list_users(self) -> list[str]:
        rows = await self._run(lambda connection: connection.fetch(_LIST))
        return [str(row[0]) for row in rows]

    # --- for the command line ----------------------------------------------------------------------

    async def add_user(self, username: str, password_hash: str) -> bool:
        """Create the user; False (and nothing changed) if it exists already."""
        arguments = (validate_username(username), check_hash(password_hash), timestamp())
        return await self._change(username, lambda connection: connection.execute(_INSERT, *arguments))

    async def change_password_hash(self, username: str, password_hash: str) -> bool:
        """Replace an existing user's hash; False (and nothing created) if there is no such user."""
        if not is_valid_username(username):
            return False
        arguments = (username, check_hash(password_hash), timestamp())
        return await self._change(username, lambda connection: connection.execute(_UPDATE, *arguments))

    # --- plumbing ----------------------------------------------------------------------------------

    async def _change(self, username: str, statement: Callable[[PooledConnection], Awaitable[str]]) -> bool:
        """A write of `username`'s row; whether it wrote one. This worker's cache forgets the user at once (the
        others when the trigger's notification reaches them), also when the outcome is unknown."""
        try:
            return changed(await self._run(statement))
        finally:
            if self._hashes is not None:
                self._hashes.forget(_TABLE, username)

    async def _run(self, statement: Callable[[PooledConnection], Awaitable[_T]]) -> _T:
        return await run_statement(self._store, "The user database is unavailable.", statement)


def _is_a_user_store(users: PostgresUserStore) -> UserStore:  # mypy checks the protocol here
    return users
