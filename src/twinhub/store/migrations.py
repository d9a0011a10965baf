"""Schema migrations shared by both stores: numbered `NNNN_name.sql` files packaged beside each backend."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_MIGRATION_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer twinhub; this version does not know its schema."""

    def __init__(self, database: object, found: int, known: int) -> None:
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


def load_migrations(package: str) -> list[Migration]:
    """The migrations packaged in `<package>/migrations`, in order; raises RuntimeError unless they are
    numbered 1..N without gaps."""
    folder = resources.files(package) / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.fullmatch(entry.name)
        if match is not None:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    if [migration.version for migration in found] != list(range(1, len(found) + 1)):
        names = ", ".join(migration.name for migration in found)
        raise RuntimeError(f"Migrations of {package} must be numbered 0001..N without gaps, found: {names}")
    return found
