"""Schema migrations of the PostgreSQL store.

Migrations are the numbered files in `migrations/` (`0001_things.sql`, `0002_...`). `migrate` applies the
missing ones in one transaction under an advisory lock, so workers starting together neither run a
migration twice nor see half a schema; the table `schema_version` records each applied migration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg
import asyncpg.pool

__all__ = ["SchemaTooNew", "load_migrations", "migrate"]

_MIGRATION_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")

# pg_advisory_xact_lock(int, int) keys: a lock space apart from the single-bigint keys of the committer.
_LOCK = (0x74776E68, 1)  # 'twnh', schema

_CREATE_VERSION_TABLE = """
CREATE TABLE schema_version (
    version integer PRIMARY KEY,
    name    text NOT NULL,
    applied timestamptz NOT NULL DEFAULT now()
)
"""


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer twinhub; this version does not know its schema."""

    def __init__(self, database: str, found: int, known: int) -> None:
        super().__init__(
            f"The database {database} has schema version {found}, but this twinhub knows versions up to "
            f"{known}. Upgrade twinhub, or point it at another database."
        )
        self.found = found
        self.known = known


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The packaged migrations in order; raises RuntimeError unless they are numbered 1..N without gaps."""
    folder = resources.files(__package__ or "twinhub.store.postgres") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.fullmatch(entry.name)
        if match is not None:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    if [migration.version for migration in found] != list(range(1, len(found) + 1)):
        names = ", ".join(migration.name for migration in found)
        raise RuntimeError(f"PostgreSQL migrations must be numbered 0001..N without gaps, found: {names}")
    return found


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
