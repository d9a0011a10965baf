"""Connections and schema migrations of the embedded store.

Migrations are the numbered files in `migrations/` (`0001_things.sql`, `0002_...`), applied in order in
one transaction; the database records how far it got in `PRAGMA user_version`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from twinhub.store.migrations import Migration, SchemaTooNew
from twinhub.store.migrations import load_migrations as load_all
from twinhub.store.rollups import add_integers

__all__ = ["SchemaTooNew", "connect_maintenance", "connect_migrated", "connect_reader", "connect_writer",
           "in_write_transaction", "load_migrations", "migrate"]

BUSY_TIMEOUT_MS = 5_000

_T = TypeVar("_T")







def load_migrations() -> list[Migration]:
    """The packaged migrations of this store, in order."""
    return load_all("twinhub.store.sqlite")


def split_statements(script: str) -> list[str]:
    """Split a script into statements, so they can run inside our own transaction.

    (`executescript` would commit any open transaction first.)
    """
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if any(line.strip() and not line.strip().startswith("--") for line in buffer.splitlines()):
        raise RuntimeError(f"Unterminated SQL statement in migration: {buffer.strip()[:80]!r}")
    return statements


def connect_writer(path: Path) -> sqlite3.Connection:
    """The one read-write connection; transactions are explicit (`isolation_level=None`)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"cannot switch {path} to WAL mode (journal_mode is {mode})")
        # WAL + synchronous=NORMAL: a commit appends the transaction to the -wal file with write(), so
        # once COMMIT returns the data sits in the OS page cache and survives a crash or `kill -9` of this
        # process; only the checkpoint fsyncs. What NORMAL gives up against FULL (an fsync per commit) is
        # the last transactions on an OS crash or power loss, never consistency. That is the bargain DESIGN
        # principle 7 measures (22,000 vs 130,000 rows/s); tests/contract pins the `kill -9` guarantee.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.create_function("twinhub_add", 2, add_integers, deterministic=True)  # rollups' exact sums
        connection.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        connection.close()
        raise
    return connection


def connect_migrated(path: Path, *, migrated: bool) -> sqlite3.Connection:
    """A writer connection of a side store (devices, Thing Models) that opens its own short-lived connections:
    the schema is brought up to date first unless the caller already did (`migrated`)."""
    connection = connect_writer(path)
    try:
        if not migrated:
            migrate(connection, path)
    except BaseException:
        connection.close()
        raise
    return connection


def connect_maintenance(path: Path) -> sqlite3.Connection:
    """A read-write connection for a short transaction beside the writer thread's (epoch renewal, retention):
    it waits out the writer's transactions for up to the busy timeout."""
    return _waiting(sqlite3.connect(path, isolation_level=None))


def in_write_transaction(path: Path, work: Callable[[sqlite3.Connection], _T]) -> _T:
    """`work` in one write transaction on a connection of its own (`connect_maintenance`)."""
    connection = connect_maintenance(path)
    try:
        connection.execute("BEGIN IMMEDIATE")
        result = work(connection)
        connection.execute("COMMIT")
        return result
    finally:
        connection.close()  # an open transaction is rolled back


def _waiting(connection: sqlite3.Connection) -> sqlite3.Connection:
    """`connection`, waiting for locks up to the busy timeout (closed if that cannot be set)."""
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except BaseException:
        connection.close()
        raise
    return connection


def connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection for the reader threads (WAL lets them read while the writer commits).

    `check_same_thread=False` only so that `aclose` can close it once its thread pool has stopped.
    """
    uri = path.resolve().as_uri() + "?mode=ro"
    return _waiting(sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False))


def migrate(connection: sqlite3.Connection, path: Path) -> int:
    """Bring the schema up to date in one transaction and return its version.

    Raises SchemaTooNew, leaving the database untouched, when it is newer than the known migrations.
    """
    migrations = load_migrations()
    known = len(migrations)
    # IMMEDIATE takes the write lock before reading the version: two processes opening the same new
    # file cannot both decide to run the same migration.
    connection.execute("BEGIN IMMEDIATE")
    try:
        current = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if current > known:
            raise SchemaTooNew(path, current, known)
        for migration in migrations[current:]:
            for statement in split_statements(migration.sql):
                connection.execute(statement)
        if current != known:
            connection.execute(f"PRAGMA user_version = {known}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return known
