"""The scale-out store on PostgreSQL: `async with open_postgres_store(dsn) as store: ...`."""

from twinhub.store.postgres.devices import PostgresDeviceStore
from twinhub.store.postgres.hash_cache import HashCache
from twinhub.store.postgres.schema import SchemaTooNew
from twinhub.store.postgres.store import (
    DEFAULT_BATCH_MAX,
    DEFAULT_MAX_PENDING,
    DEFAULT_POOL_SIZE,
    PostgresStore,
    open_postgres_store,
)
from twinhub.store.postgres.users import PostgresUserStore
from twinhub.store.postgres.wot_models import PostgresThingModelStore

__all__ = [
    "DEFAULT_BATCH_MAX",
    "DEFAULT_MAX_PENDING",
    "DEFAULT_POOL_SIZE",
    "HashCache",
    "PostgresDeviceStore",
    "PostgresStore",
    "PostgresThingModelStore",
    "PostgresUserStore",
    "SchemaTooNew",
    "open_postgres_store",
]
