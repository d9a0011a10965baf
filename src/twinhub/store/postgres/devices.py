"""`PostgresDeviceStore`: the devices, in the table `devices` of the store's database (created by the
store's migrations), read and written through the store's pool; each operation one statement. A server's store
looks hashes up through its `HashCache`, as the users do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from twinhub.store.credentials import check_hash, timestamp
from twinhub.store.devices import DeviceStore, is_valid_device_id, validate_device_id
from twinhub.store.postgres.errors import PooledConnection
from twinhub.store.postgres.hash_cache import HashCache
from twinhub.store.postgres.statements import changed, run_statement
from twinhub.store.postgres.store import PostgresStore

__all__ = ["PostgresDeviceStore"]

_T = TypeVar("_T")

_TABLE = "devices"
_GET = "SELECT password_hash FROM devices WHERE device_id = $1"
_INSERT = "INSERT INTO devices (device_id, password_hash, created) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
_SWAP = "UPDATE devices SET password_hash = $3 WHERE device_id = $1 AND password_hash = $2"
_DELETE = "DELETE FROM devices WHERE device_id = $1"
_LIST = "SELECT device_id FROM devices ORDER BY device_id"
_PAGE = "SELECT device_id FROM devices WHERE device_id > $1 ORDER BY device_id LIMIT $2"


class PostgresDeviceStore:
    """Devices beside the things of an open `PostgresStore` (usable while that store is open)."""

    def __init__(self, store: PostgresStore, hashes: HashCache | None = None) -> None:
        self._store = store
        self._hashes = hashes  # None: every lookup reads the table (the command line)

    def __repr__(self) -> str:
        return f"PostgresDeviceStore({self._store!r})"

    async def get_password_hash(self, device_id: str) -> str | None:
        if not is_valid_device_id(device_id):
            return None
        if self._hashes is None:
            return await self._read_hash(device_id)
        return await self._hashes.get(_TABLE, device_id, self._read_hash)

    async def _read_hash(self, device_id: str) -> str | None:
        value = await self._run(lambda connection: connection.fetchval(_GET, device_id))
        return None if value is None else str(value)

    async def add_device(self, device_id: str, password_hash: str) -> bool:
        arguments = (validate_device_id(device_id), check_hash(password_hash), timestamp())
        return await self._change(device_id, lambda connection: connection.execute(_INSERT, *arguments))

    async def replace_password_hash(self, device_id: str, old_hash: str, new_hash: str) -> bool:
        if not is_valid_device_id(device_id):
            return False
        new_hash = check_hash(new_hash)
        return await self._change(device_id,
                                  lambda connection: connection.execute(_SWAP, device_id, old_hash, new_hash))

    async def remove_device(self, device_id: str) -> bool:
        if not is_valid_device_id(device_id):
            return False
        return await self._change(device_id, lambda connection: connection.execute(_DELETE, device_id))

    async def list_devices(self) -> list[str]:
        rows = await self._run(lambda connection: connection.fetch(_LIST))
        return [str(row[0]) for row in rows]

    async def page_devices(self, after: str, limit: int) -> list[str]:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        rows = await self._run(lambda connection: connection.fetch(_PAGE, after, limit))
        return [str(row[0]) for row in rows]

    async def _change(self, device_id: str, statement: Callable[[PooledConnection], Awaitable[str]]) -> bool:
        """A write of the device's row; whether it wrote one. This worker's cache forgets it at once (see
        `PostgresUserStore._change`)."""
        try:
            return changed(await self._run(statement))
        finally:
            if self._hashes is not None:
                self._hashes.forget(_TABLE, device_id)

    async def _run(self, statement: Callable[[PooledConnection], Awaitable[_T]]) -> _T:
        return await run_statement(self._store, "The device database is unavailable.", statement)


def _is_a_device_store(devices: PostgresDeviceStore) -> DeviceStore:  # mypy checks the protocol here
    return devices
