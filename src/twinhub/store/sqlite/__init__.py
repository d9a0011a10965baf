"""The embedded store on SQLite: `async with open_sqlite_store(path) as store: ...`."""

from twinhub.store.rows import SNAPSHOT_INTERVAL
from twinhub.store.sqlite.schema import SchemaTooNew
from twinhub.store.sqlite.store import (
    DEFAULT_BATCH_MAX,
    DEFAULT_MAX_PENDING,
    SqliteStore,
    open_sqlite_store,
)

# The one database file of the embedded store in a data directory (things, policies, users).
DATABASE_FILE = "things.db"

__all__ = [
    "DATABASE_FILE",
    "DEFAULT_BATCH_MAX",
    "DEFAULT_MAX_PENDING",
    "SNAPSHOT_INTERVAL",
    "SchemaTooNew",
    "SqliteStore",
    "open_sqlite_store",
]
