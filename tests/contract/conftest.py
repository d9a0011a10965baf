"""The contract suite runs against every Store backend through these fixtures: each test that asks for
`store` or `open_store` runs once per backend, with the ids `sqlite` and `postgres`.

PostgreSQL: the server at TWINHUB_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres).
The session creates a throwaway database `twinhub_test_<random>` (with ICU's en-US collation, when the
server has ICU), migrates it once, empties its tables
before each test, and drops it at the end; nothing else on the server is touched. Without a server the
PostgreSQL tests are skipped, saying how to start one, except under CI=true, where they fail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from twinhub.model.errors import ServiceUnavailable
from twinhub.store.base import Store
from twinhub.store.postgres import open_postgres_store
from twinhub.store.postgres.schema import load_migrations
from twinhub.store.sqlite import open_sqlite_store

# Opens a store on the same database every time it is called, so tests can close and reopen it; keyword
# arguments (batch_max, max_pending) go to the backend's opener.
StoreOpener = Callable[..., AbstractAsyncContextManager[Store]]

BACKENDS = ("sqlite", "postgres")

# Modules whose tests use the store fixtures but test SQLite itself, and why they stay SQLite-only.
# (test_sqlite.py and test_sqlite_durability.py open SQLite files themselves: SQLite-only by construction;
# their PostgreSQL counterparts are test_postgres.py and test_postgres_durability.py.)
SQLITE_ONLY = {
    "tests.contract.test_search_sql":
        "runs the compiled SQL on a raw sqlite3 connection and reads SQLite's query plans; test_search.py "
        "runs the same cases through Store.search on both backends",
    "tests.contract.test_users":
        "SqliteUserStore in the store's SQLite file; test_postgres_users.py runs the same UserStore "
        "contract on PostgreSQL",
}

POSTGRES_URL = os.environ.get("TWINHUB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"] if metafunc.module.__name__ in SQLITE_ONLY else list(BACKENDS)
        metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "things.db"


@pytest.fixture
def open_store(backend: str, request: pytest.FixtureRequest) -> StoreOpener:
    if backend == "postgres":
        dsn: str = request.getfixturevalue("postgres_dsn")
        return lambda **options: open_postgres_store(dsn, **options)
    path: Path = request.getfixturevalue("db_path")
    return lambda **options: open_sqlite_store(path, **options)


@pytest.fixture
async def store(open_store: StoreOpener) -> AsyncIterator[Store]:
    async with open_store() as store:
        yield store


# -- PostgreSQL ---------------------------------------------------------------------------------------


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


def without_password(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}@{parts.hostname}:{parts.port or 5432}"))


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _create_database(name: str) -> str:
    try:
        # A default collation unlike SQLite's (ICU en-US: 'a' < 'B', Unicode case folding), so the suite
        # shows that the store compares and sorts by code point whatever the database's collation is.
        await _admin(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8' "
                     "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
    except asyncpg.PostgresError:  # a server without ICU (or before PostgreSQL 15): its default
        await _admin(f'CREATE DATABASE "{name}"')
    dsn = with_database(POSTGRES_URL, name)
    try:
        async with open_postgres_store(dsn):  # migrated once; tests then only empty the tables
            pass
    except BaseException:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        raise
    return dsn


async def _empty_tables(dsn: str) -> None:
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        tables = [row[0] for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename NOT IN ('schema_version', 'store_identity')")]
        # DELETE, not TRUNCATE: a test leaves few rows, and TRUNCATE swaps files (~0.2 s for all tables).
        await connection.execute("; ".join(f"DELETE FROM {table}" for table in tables))
        # A test may have marked the schema newer than this twinhub knows.
        await connection.execute("DELETE FROM schema_version WHERE version > $1", len(load_migrations()))
    finally:
        await connection.close()


def terminate_backends_now(dsn: str) -> list[int]:
    """pg_terminate_backend for every other connection to the test database, waiting until they are gone. Run
    on a thread of its own and joined: this test's event loop has not yet read the server's goodbye, as
    with a database restarted or failed over under a running worker."""

    async def terminate() -> list[int]:
        admin = await asyncpg.connect(dsn)
        try:
            pids: list[int] = [row[0] for row in await admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
            await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", pids)
            while await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids):
                pass  # each backend leaves once it has told its client and closed the socket
            return pids
        finally:
            await admin.close()

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, terminate()).result()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The DSN of this session's throwaway database (skips, or fails under CI=true, without a server)."""
    name = f"twinhub_test_{secrets.token_hex(6)}"
    try:
        dsn = asyncio.run(_create_database(name))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError, ServiceUnavailable) as exc:
        message = (f"PostgreSQL is not reachable at {without_password(POSTGRES_URL)} ({type(exc).__name__}: "
                   f"{exc}). Start it with: {START_POSTGRES}")
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield dsn
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_dsn(postgres_server: str) -> str:
    """The session's database, emptied for this test."""
    asyncio.run(_empty_tables(postgres_server))
    return postgres_server
