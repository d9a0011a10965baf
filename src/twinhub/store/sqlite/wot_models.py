"""`SqliteThingModelStore`: the Thing Models kept in twinhub, in the table `wot_models` of the embedded store's
database file (migration `0010_wot_models.sql`). Each operation opens its own short-lived connection in a worker
thread (WAL lets it run beside the store's writer), as the devices do."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from twinhub.store.credentials import timestamp
from twinhub.store.sqlite.schema import connect_migrated
from twinhub.store.sqlite.threads import in_thread
from twinhub.store.wot_models import ThingModelStore, is_valid_model_name, validate_model_name

__all__ = ["SqliteThingModelStore"]

_GET = "SELECT document FROM wot_models WHERE name = ?"
_EXISTS = "SELECT 1 FROM wot_models WHERE name = ?"
_UPSERT = ("INSERT INTO wot_models (name, document, modified) VALUES (?, ?, ?) "
           "ON CONFLICT (name) DO UPDATE SET document = excluded.document, modified = excluded.modified")
_DELETE = "DELETE FROM wot_models WHERE name = ?"
_LIST = "SELECT name FROM wot_models ORDER BY name"


class SqliteThingModelStore:
    """Thing Models in the SQLite file at `path` (file and schema created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._migrated = False

    def __repr__(self) -> str:
        return f"SqliteThingModelStore({str(self.path)!r})"

    async def get_model(self, name: str) -> bytes | None:
        if not is_valid_model_name(name):
            return None
        return await in_thread("Thing Model", self._get, name)

    async def put_model(self, name: str, document: bytes) -> bool:
        return await in_thread("Thing Model", self._put, validate_model_name(name), document)

    async def delete_model(self, name: str) -> bool:
        if not is_valid_model_name(name):
            return False
        return await in_thread("Thing Model", self._delete, name)

    async def list_models(self) -> list[str]:
        return await in_thread("Thing Model", self._list)

    def _get(self, name: str) -> bytes | None:
        with self._connection() as connection:
            row = connection.execute(_GET, (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def _put(self, name: str, document: bytes) -> bool:
        with self._connection() as connection, connection:  # one transaction: the check and the write
            new = connection.execute(_EXISTS, (name,)).fetchone() is None
            connection.execute(_UPSERT, (name, document, timestamp()))
        return new

    def _delete(self, name: str) -> bool:
        with self._connection() as connection, connection:
            return connection.execute(_DELETE, (name,)).rowcount == 1

    def _list(self) -> list[str]:
        with self._connection() as connection:
            return [str(row[0]) for row in connection.execute(_LIST)]

    def _connection(self) -> closing[sqlite3.Connection]:
        connection = connect_migrated(self.path, migrated=self._migrated)
        self._migrated = True
        return closing(connection)


def _is_a_model_store(models: SqliteThingModelStore) -> ThingModelStore:  # mypy checks the protocol here
    return models
