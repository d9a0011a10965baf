"""Schema migrations of the PostgreSQL store.

Migrations are the numbered files in `migrations/` (`0001_things.sql`, `0002_...`). `migrate` applies the
missing ones in one transaction under an advisory lock, so workers starting together neither run a
migration twice nor see half a schema; the table `schema_version` records each applied migration.
"""

from __future__ import annotations

import asyncpg
import asyncpg.pool

from twinhub.store.migrations import Migration, SchemaTooNew
from twinhub.store.migrations import load_migrations as load_all

__all__ = ["SchemaTooNew", "load_migrations", "migrate"]


# pg_advisory_xact_lock(int, int) keys: a lock space apart from the single-bigint keys of the committer.
_LOCK = (0x74776E68, 1)  # 'twnh', schema

_CREATE_VERSION_TABLE = """
CREATE TABLE schema_version (
    version integer PRIMARY KEY,
    name    text NOT NULL,
    applied timestamptz NOT NULL DEFAULT now()
)
"""






def load_migrations() -> list[Migration]:
    """The packaged migrations of this store, in order."""
    return load_all("twinhub.store.postgres")


async def migrate(connection: asyncpg.pool.PoolConnectionProxy[asyncpg.Record], database: str) -> int:
    """Bring the schema up to date in one transaction and return its version.

    Raises SchemaTooNew, leaving the database untouched, when it is newer than the known migrations;
    driver errors pass through (the caller maps them).
    """
    migrations = load_migrations()
    known = len(migrations)
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1, $2)", *_LOCK)
        if await connection.fetchval("SELECT to_regclass('schema_version')") is None:
            await connection.execute(_CREATE_VERSION_TABLE)
        current = int(await connection.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))
        if current > known:
            raise SchemaTooNew(database, current, known)
        for migration in migrations[current:]:
            await connection.execute(migration.sql)  # no arguments: the whole script in one simple query
            await connection.execute("INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                                     migration.version, migration.name)
    return known
