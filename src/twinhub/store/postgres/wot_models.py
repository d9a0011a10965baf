"""`PostgresThingModelStore`: the Thing Models kept in twinhub, in the table `wot_models` of the store's
database (migration `0011_wot_models.sql`), through the store's pool; each operation one statement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from twinhub.store.credentials import timestamp
from twinhub.store.postgres.errors import PooledConnection
from twinhub.store.postgres.statements import changed, run_statement
from twinhub.store.postgres.store import PostgresStore
from twinhub.store.wot_models import ThingModelStore, is_valid_model_name, validate_model_name

__all__ = ["PostgresThingModelStore"]

_T = TypeVar("_T")

_GET = "SELECT document FROM wot_models WHERE name = $1"
# xmax = 0 only for a row this statement inserted (not one it updated).
_UPSERT = ("INSERT INTO wot_models (name, document, modified) VALUES ($1, $2, $3) "
           "ON CONFLICT (name) DO UPDATE SET document = excluded.document, modified = excluded.modified "
           "RETURNING xmax = 0")
_DELETE = "DELETE FROM wot_models WHERE name = $1"
_LIST = "SELECT name FROM wot_models ORDER BY name"


class PostgresThingModelStore:
    """Thing Models beside the things of an open `PostgresStore` (usable while that store is open)."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"PostgresThingModelStore({self._store!r})"

    async def get_model(self, name: str) -> bytes | None:
        if not is_valid_model_name(name):
            return None
        value = await self._run(lambda connection: connection.fetchval(_GET, name))
        return None if value is None else bytes(value)

    async def put_model(self, name: str, document: bytes) -> bool:
        validate_model_name(name)
        return bool(await self._run(lambda connection: connection.fetchval(_UPSERT, name, document, timestamp())))

    async def delete_model(self, name: str) -> bool:
        if not is_valid_model_name(name):
            return False
        return changed(await self._run(lambda connection: connection.execute(_DELETE, name)))

    async def list_models(self) -> list[str]:
        rows = await self._run(lambda connection: connection.fetch(_LIST))
        return [str(row[0]) for row in rows]

    async def _run(self, statement: Callable[[PooledConnection], Awaitable[_T]]) -> _T:
        return await run_statement(self._store, "The Thing Model database is unavailable.", statement)


def _is_a_model_store(models: PostgresThingModelStore) -> ThingModelStore:  # mypy checks the protocol here
    return models
