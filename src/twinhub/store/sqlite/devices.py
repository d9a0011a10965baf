"""`SqliteDeviceStore`: the devices, in the table `devices` of the embedded store's database file.

The table comes with the store's migrations (`0006_devices.sql`); the first use migrates the file if the
server never ran on it yet, so `twinhub device add` works before the first `twinhub serve`. As with the
users, every operation opens its own short-lived connection (WAL lets it run beside the store's writer),
in a worker thread for the async methods, but for the read of every login, `get_password_hash`: remembered
while no change was made, else a lookup on the loop once the schema is known to be there (see
`twinhub.store.sqlite.users`); the `*_sync` methods are for the command line.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import ParamSpec, TypeVar

from twinhub.store.credentials import check_hash, timestamp
from twinhub.store.devices import DeviceStore, is_valid_device_id, validate_device_id
from twinhub.store.sqlite.hashes import StampedHashes, renew_stamp_if
from twinhub.store.sqlite.lookups import LoopReads
from twinhub.store.sqlite.schema import connect_migrated
from twinhub.store.sqlite.threads import in_thread

__all__ = ["SqliteDeviceStore"]

_T = TypeVar("_T")
_P = ParamSpec("_P")

_GET = "SELECT password_hash FROM devices WHERE device_id = ?"
_INSERT = "INSERT INTO devices (device_id, password_hash, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_SWAP = "UPDATE devices SET password_hash = ? WHERE device_id = ? AND password_hash = ?"
_DELETE = "DELETE FROM devices WHERE device_id = ?"
_LIST = "SELECT device_id FROM devices ORDER BY device_id"
_PAGE = "SELECT device_id FROM devices WHERE device_id > ? ORDER BY device_id LIMIT ?"


class SqliteDeviceStore:
    """Devices in the SQLite file at `path` (file and schema created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._migrated = False
        self._lookups = LoopReads(self.path)
        self._hashes = StampedHashes(self.path)

    def __repr__(self) -> str:
        return f"SqliteDeviceStore({str(self.path)!r})"

    # --- the DeviceStore protocol -----------------------------------------------------------------

    async def get_password_hash(self, device_id: str) -> str | None:
        if not is_valid_device_id(device_id):
            return None
        return await self._hashes.get(device_id, self._read_password_hash)

    async def _read_password_hash(self, device_id: str) -> str | None:
        if self._migrated:
            with contextlib.suppress(sqlite3.Error):  # read in a thread instead, which waits and reports
                return self._lookups.text(_GET, device_id)
        return await self._in_thread(self.get_password_hash_sync, device_id)

    async def add_device(self, device_id: str, password_hash: str) -> bool:
        return await self._in_thread(self.add_device_sync, device_id, password_hash)

    async def replace_password_hash(self, device_id: str, old_hash: str, new_hash: str) -> bool:
        return await self._in_thread(self.replace_password_hash_sync, device_id, old_hash, new_hash)

    async def remove_device(self, device_id: str) -> bool:
        return await self._in_thread(self.remove_device_sync, device_id)

    async def list_devices(self) -> list[str]:
        return await self._in_thread(self.list_devices_sync)

    async def page_devices(self, after: str, limit: int) -> list[str]:
        return await self._in_thread(self.page_devices_sync, after, limit)

    # --- synchronous helpers (command line) --------------------------------------------------------

    def get_password_hash_sync(self, device_id: str) -> str | None:
        if not is_valid_device_id(device_id):
            return None
        with self._connection() as connection:
            row = connection.execute(_GET, (device_id,)).fetchone()
        return None if row is None else str(row[0])

    def add_device_sync(self, device_id: str, password_hash: str) -> bool:
        arguments = (validate_device_id(device_id), check_hash(password_hash), timestamp())
        with self._connection() as connection:
            return renew_stamp_if(self.path, connection.execute(_INSERT, arguments).rowcount == 1)

    def replace_password_hash_sync(self, device_id: str, old_hash: str, new_hash: str) -> bool:
        if not is_valid_device_id(device_id):
            return False
        with self._connection() as connection:
            cursor = connection.execute(_SWAP, (check_hash(new_hash), device_id, old_hash))
            return renew_stamp_if(self.path, cursor.rowcount == 1)

    def remove_device_sync(self, device_id: str) -> bool:
        if not is_valid_device_id(device_id):
            return False
        with self._connection() as connection:
            return renew_stamp_if(self.path, connection.execute(_DELETE, (device_id,)).rowcount == 1)

    def list_devices_sync(self) -> list[str]:
        with self._connection() as connection:
            return [str(row[0]) for row in connection.execute(_LIST)]

    def page_devices_sync(self, after: str, limit: int) -> list[str]:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        with self._connection() as connection:
            return [str(row[0]) for row in connection.execute(_PAGE, (after, limit))]

    def close(self) -> None:
        """Close the connection kept for lookups (the store stays usable: another is opened when needed)."""
        self._lookups.close()
        self._hashes.close()

    # --- plumbing ----------------------------------------------------------------------------------

    def _connection(self) -> closing[sqlite3.Connection]:
        connection = connect_migrated(self.path, migrated=self._migrated)
        self._migrated = True
        return closing(connection)

    async def _in_thread(self, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await in_thread("device", function, *args, **kwargs)


def _is_a_device_store(devices: SqliteDeviceStore) -> DeviceStore:  # mypy checks the protocol here
    return devices
