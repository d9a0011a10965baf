"""What only the PostgreSQL store promises: its schema, workers sharing one database, a database that goes
away and comes back, failures that stay with their own write, its bounded queue."""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.contract.conftest import POSTGRES_URL, terminate_backends_now, with_database
from tests.contract.helpers import at, create, modify, unit, with_points
from twinhub.model.errors import ServiceUnavailable
from twinhub.rql.parser import parse_filter
from twinhub.rql.spec import SearchSpec
from twinhub.store.base import RevisionConflict
from twinhub.store.index import PolicyIndex, PolicyIndexRow
from twinhub.store.postgres import (
    PostgresDeviceStore,
    PostgresStore,
    PostgresThingModelStore,
    SchemaTooNew,
    open_postgres_store,
)
from twinhub.store.postgres import announcements as postgres_announcements
from twinhub.store.postgres.dialect import POSTGRES
from twinhub.store.postgres.rows import lock_key
from twinhub.store.postgres.schema import load_migrations
from twinhub.store.search import CompiledQuery, compile_search

pytestmark = pytest.mark.anyio

BOOM = "org.twinhub:boom"


@asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def failing_inserts_of(dsn: str, thing_id: str, table: str = "things") -> AsyncIterator[None]:
    """A trigger that fails the statement inserting a row of `thing_id` into `table`: a real PostgreSQL error,
    no mock."""
    async with connect(dsn) as connection:
        await connection.execute(f"""
            CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.thing_id = '{thing_id}' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER boom BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION boom();
        """)
        try:
            yield
        finally:
            await connection.execute(f"DROP TRIGGER boom ON {table}; DROP FUNCTION boom()")


async def test_a_failing_statement_writes_neither_the_thing_nor_its_points_and_spares_the_batch(
        postgres_dsn: str) -> None:
    async with failing_inserts_of(postgres_dsn, BOOM, "history_points"), open_postgres_store(postgres_dsn) as store:
        good = create("org.twinhub:good", {"attributes": {"a": 1}})
        outcomes = await asyncio.gather(store.commit(with_points(good, None)),
                                        store.commit(with_points(create(BOOM, {"attributes": {"a": 1}}), None)),
                                        return_exceptions=True)
        assert outcomes[0] is None and isinstance(outcomes[1], ServiceUnavailable)
        assert await store.load(BOOM) is None
        assert await store.load("org.twinhub:good") == good.thing
        for thing_id, expected in ((BOOM, 0), ("org.twinhub:good", 1)):
            page = await store.points(thing_id, ["attributes/a"], start=at(0), end=at(10), limit=10)
            assert len(page.points) == expected


class Proxy:
    """A TCP proxy to the PostgreSQL server that can go away and come back on the same port: a database
    lost to the store (refused connections, connections cut) without stopping the shared server. `freeze()`
    stops carrying bytes without closing anything (a network that drops packets), `thaw()` goes on."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._streams: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.port = 0

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for stream in list(self._streams):
            stream.transport.abort()
        await self._server.wait_closed()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.transport.abort()
            return
        self._streams |= {client_writer, server_writer}

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65_536):
                    await self._flowing.wait()
                    writer.write(data)
                    await writer.drain()
            except OSError:
                pass
            finally:
                writer.transport.abort()
                self._streams.discard(writer)

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))


def through(proxy: Proxy, dsn: str) -> str:
    parts = urlsplit(dsn)
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}").geturl()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- schema ----------------------------------------------------------------------------------------


async def test_open_migrates_to_the_latest_version_and_records_each_migration(postgres_dsn: str) -> None:
    async with open_postgres_store(postgres_dsn):
        pass
    async with connect(postgres_dsn) as connection:
        applied = [(row[0], row[1]) for row in await connection.fetch(
            "SELECT version, name FROM schema_version ORDER BY version")]
        tables = {row[0] for row in await connection.fetch("SELECT tablename FROM pg_tables")}
    assert applied == [(migration.version, migration.name) for migration in load_migrations()]
    assert {"things", "thing_journal", "policies", "policy_journal", "thing_index", "policy_index",
            "policy_imports", "auth_users", "store_identity", "devices"} <= tables


async def test_a_newer_schema_refuses_to_open_and_is_left_untouched(postgres_dsn: str) -> None:
    newer = len(load_migrations()) + 1
    async with connect(postgres_dsn) as connection:
        await connection.execute("INSERT INTO schema_version (version, name) VALUES ($1, 'future')", newer)
    store = open_postgres_store(postgres_dsn)
    with pytest.raises(SchemaTooNew, match=f"schema version {newer}"):
        await store.__aenter__()
    async with connect(postgres_dsn) as connection:
        assert await connection.fetchval("SELECT max(version) FROM schema_version") == newer
    with pytest.raises(RuntimeError, match="reopen"):
        await store.__aenter__()


async def test_workers_starting_together_migrate_a_new_database_once() -> None:
    name = f"twinhub_test_{secrets.token_hex(6)}"
    async with connect(POSTGRES_URL) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        dsn = with_database(POSTGRES_URL, name)
        stores = [open_postgres_store(dsn) for _ in range(4)]
        await asyncio.gather(*(store.__aenter__() for store in stores))
        await asyncio.gather(*(store.aclose() for store in stores))
        async with connect(dsn) as connection:
            versions = [row[0] for row in await connection.fetch("SELECT version FROM schema_version")]
        assert sorted(versions) == list(range(1, len(load_migrations()) + 1))
    finally:
        async with connect(POSTGRES_URL) as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_database_of_the_previous_schema_version_is_upgraded_with_its_data() -> None:
    name = f"twinhub_test_{secrets.token_hex(6)}"
    async with connect(POSTGRES_URL) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        dsn = with_database(POSTGRES_URL, name)
        kept = create("org.twinhub:kept")
        async with open_postgres_store(dsn) as store:
            await store.commit(unit(kept))
        # What a previous version left: everything but the last nine migrations (the store's identity,
        # the connections, the devices, the history points, the history rollups, the credentials' notifications,
        # the WoT models, the policy announcements and their index of settled ones).
        previous = len(load_migrations()) - 9
        async with connect(dsn) as connection:
            await connection.execute("DROP TABLE history_rollups, history_points, devices, connections, "
                                     "connection_journal, store_identity, wot_models, policy_announcements")
            await connection.execute("DROP FUNCTION twinhub_credentials_changed CASCADE")
            await connection.execute("DELETE FROM schema_version WHERE version > $1", previous)
        async with open_postgres_store(dsn) as store:
            assert await store.load("org.twinhub:kept") == kept.thing
            assert re.fullmatch(r"[0-9a-f]{16}", await store.epoch())
            assert await store.connections() == []
            assert await PostgresDeviceStore(store).list_devices() == []
            assert await PostgresThingModelStore(store).list_models() == []
            assert await store.claim_announcements(at(0), timedelta(seconds=1), limit=1) == []
            assert (await store.points("org.twinhub:kept", ["attributes/a"], start=at(0), end=at(10),
                                       limit=1)).points == ()
            assert await store.rollups("org.twinhub:kept", "attributes/a", start=at(0), end=at(10),
                                       width=timedelta(minutes=1)) == {}
        async with connect(dsn) as connection:
            assert await connection.fetchval("SELECT max(version) FROM schema_version") == previous + 9
    finally:
        async with connect(POSTGRES_URL) as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_documents_are_kept_byte_for_byte(postgres_dsn: str) -> None:
    write = create("org.twinhub:a", {"attributes": {"z": 1, "a": 1.50, "big": 2**63 - 1, "m": {"y": [], "b": {}}}})
    async with open_postgres_store(postgres_dsn) as store:
        await store.commit(unit(write))
        loaded = await store.load("org.twinhub:a")
    assert loaded == write.thing and list(loaded.doc) == list(write.thing.doc)
    assert list(loaded.doc["attributes"]) == ["z", "a", "big", "m"]  # type: ignore[arg-type]


# -- opening and losing the database ------------------------------------------------------------------


async def test_an_unreachable_database_is_service_unavailable() -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(ServiceUnavailable) as caught:
        async with open_postgres_store(dsn):
            pass
    assert isinstance(caught.value.__cause__, OSError) and caught.value.status == 503


async def test_a_missing_database_is_service_unavailable() -> None:
    dsn = with_database(POSTGRES_URL, f"twinhub_missing_{secrets.token_hex(6)}")
    with pytest.raises(ServiceUnavailable) as caught:
        async with open_postgres_store(dsn):
            pass
    assert isinstance(caught.value.__cause__, asyncpg.InvalidCatalogNameError)


async def test_a_lost_database_fails_calls_with_503_and_recovers_by_itself(postgres_dsn: str) -> None:
    host, port = urlsplit(postgres_dsn).hostname or "127.0.0.1", urlsplit(postgres_dsn).port or 5432
    proxy = Proxy(host, port)
    await proxy.start()
    everything = SearchSpec(None, ("alice",), datetime.now(UTC))
    before = create("org.twinhub:before")
    async with open_postgres_store(through(proxy, postgres_dsn)) as store:
        await store.commit(unit(before))
        await proxy.stop()
        for call in (store.load("org.twinhub:before"), store.commit(unit(create("org.twinhub:lost"))),
                     store.search(everything), store.count(everything), store.journal("org.twinhub:before"),
                     store.importers_of("p")):
            with pytest.raises(ServiceUnavailable) as caught:
                await call
            assert caught.value.status == 503 and caught.value.__cause__ is not None
        await proxy.start()  # the database is back, on the same address
        assert await store.load("org.twinhub:before") == before.thing
        after = create("org.twinhub:after")
        await store.commit(unit(after))
        assert await store.load("org.twinhub:after") == after.thing
        assert await store.load("org.twinhub:lost") is None
    await proxy.stop()


async def test_dead_pooled_connections_are_replaced_without_failing_calls(postgres_dsn: str) -> None:
    """A restarted server leaves the pools' connections dead: the next read or commit connects anew."""
    async with open_postgres_store(postgres_dsn) as store:
        first = create("org.twinhub:first")
        await store.commit(unit(first))
        await store.load("org.twinhub:first")
        async with connect(POSTGRES_URL) as admin:
            killed = await admin.fetchval(
                "SELECT array_agg(pid) FROM (SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND application_name = 'twinhub') AS terminated", urlsplit(postgres_dsn).path[1:])
            assert len(killed) >= 2  # the committer's connection and at least one reader
            await until(admin, "NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = ANY($1))", killed)  # gone
        assert await store.load("org.twinhub:first") == first.thing
        second = create("org.twinhub:second")
        await store.commit(unit(second))
        assert await store.load("org.twinhub:second") == second.thing


@pytest.mark.parametrize("turns", [0, 1, 2])
async def test_connections_killed_between_calls_are_discarded_and_reads_and_writes_go_on(
    postgres_dsn: str, turns: int
) -> None:
    # As the user lookups of test_postgres_users.py: two loop turns after the kill asyncpg raises
    # InternalClientError, which is a lost connection as well (a read retries on a new one, a write whose
    # transaction did not start is replayed).
    async with open_postgres_store(postgres_dsn, pool_size=1) as store:
        first = create("org.twinhub:first")
        await store.commit(unit(first))
        assert terminate_backends_now(postgres_dsn)
        for _ in range(turns):
            await asyncio.sleep(0)  # one turn of the event loop, not a wait
        assert await store.load("org.twinhub:first") == first.thing
        second = create("org.twinhub:second")
        await store.commit(unit(second))
        assert await store.load("org.twinhub:second") == second.thing


# -- group commit ------------------------------------------------------------------------------------


@asynccontextmanager
async def committer_held(dsn: str, thing_id: str) -> AsyncIterator[None]:
    """Hold the advisory lock of `thing_id`, so a batch writing it waits in LOCK while others queue up."""
    async with connect(dsn) as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", lock_key("thing", thing_id))
        yield


async def until(connection: asyncpg.Connection, condition: str, *args: object) -> None:
    """Return once the SQL `condition` (with `args` for $1...) holds; polled, as PostgreSQL cannot notify it."""
    for _ in range(1000):
        if await connection.fetchval(f"SELECT {condition}", *args):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still not so after 10 s: {condition}")


# A session of this test's database waits for an advisory lock (pg_locks shows locks of every database).
LOCK_AWAITED = ("EXISTS (SELECT FROM pg_locks JOIN pg_database ON pg_database.oid = pg_locks.database "
                "WHERE locktype = 'advisory' AND NOT granted AND datname = current_database())")


async def test_a_failing_write_fails_alone_and_the_rest_of_its_batch_commits(postgres_dsn: str) -> None:
    async with failing_inserts_of(postgres_dsn, BOOM), open_postgres_store(postgres_dsn) as store:
        async with committer_held(postgres_dsn, "org.twinhub:first"):
            first = asyncio.ensure_future(store.commit(unit(create("org.twinhub:first"))))
            async with connect(postgres_dsn) as observer:
                await until(observer, LOCK_AWAITED)  # the committer waits for the lock with `first` alone in its batch
            batch = asyncio.gather(store.commit(unit(create("org.twinhub:good"))), store.commit(unit(create(BOOM))),
                                   store.commit(unit(create("org.twinhub:also"))), return_exceptions=True)
            await asyncio.sleep(0.05)
        await first
        good, boom, also = await batch
        assert good is None and also is None
        assert isinstance(boom, ServiceUnavailable) and isinstance(boom.__cause__, asyncpg.RaiseError)
        assert await store.load(BOOM) is None
        assert await store.load("org.twinhub:good") is not None and await store.load("org.twinhub:also") is not None
        later = create("org.twinhub:later")
        await store.commit(unit(later))  # the committer goes on
        assert await store.load("org.twinhub:later") == later.thing


async def test_concurrent_commits_share_transactions(postgres_dsn: str) -> None:
    writes = [create(f"org.twinhub:group-{i}") for i in range(1_000)]
    async with open_postgres_store(postgres_dsn) as store:
        await asyncio.gather(*(store.commit(unit(write)) for write in writes))
    async with connect(postgres_dsn) as connection:
        # xmin: the transaction that wrote the row
        count, transactions = await connection.fetchrow(
            "SELECT count(*), count(DISTINCT xmin::text) FROM things WHERE thing_id LIKE 'org.twinhub:group-%'")
    assert count == len(writes)
    assert transactions <= len(writes) // 50


async def test_two_workers_on_one_database_never_both_win_a_revision(postgres_dsn: str) -> None:
    async with open_postgres_store(postgres_dsn) as a, open_postgres_store(postgres_dsn) as b:
        creations = [store.commit(unit(create(f"org.twinhub:race-{i}"))) for i in range(40) for store in (a, b)]
        outcomes = await asyncio.gather(*creations, return_exceptions=True)
        for i in range(40):
            pair = outcomes[2 * i: 2 * i + 2]
            assert sorted(type(outcome).__name__ for outcome in pair) == ["NoneType", "RevisionConflict"], pair

        await a.commit(unit(create("org.twinhub:counter", {"attributes": {"counter": 0}})))

        async def bump(store: PostgresStore) -> int:
            for attempt in range(1, 1_000):
                thing = await store.load("org.twinhub:counter")
                assert thing is not None
                value = thing.doc["attributes"]["counter"]  # type: ignore[index, call-overload]
                try:
                    await store.commit(unit(modify(thing, ("attributes", "counter"), value + 1)))
                except RevisionConflict:
                    continue
                return attempt
            raise AssertionError("never won")

        attempts = await asyncio.gather(*(bump(a if i % 2 else b) for i in range(30)))
        thing = await b.load("org.twinhub:counter")
        journal = await a.journal("org.twinhub:counter")
    assert thing is not None and thing.revision == 31 and thing.doc["attributes"] == {"counter": 30}
    assert [entry.event.revision for entry in journal] == list(range(1, 32))
    assert max(attempts) > 1  # the workers did collide


def test_repr_hides_the_password() -> None:
    store = open_postgres_store("postgresql://twinhub:s3cret@db.example:5432/twinhub")
    assert "s3cret" not in repr(store) and "db.example:5432/twinhub" in repr(store)


# -- search plans ----------------------------------------------------------------------------------


async def test_queries_can_use_the_indexes(postgres_dsn: str) -> None:
    async with open_postgres_store(postgres_dsn) as store:
        await store.commit(unit(PolicyIndex("org.twinhub:p", (PolicyIndexRow("alice", "", 0, 1, None),), ())))
        await store.commit(unit(*(create(f"org.twinhub:{n}", {"policyId": "org.twinhub:p",
                                                         "attributes": {"n": n, "s": f"x{n:03}"},
                                                         "features": {f"f{n % 3}": {"properties": {"v": n}}}})
                             for n in range(300))))
    async with connect(postgres_dsn) as connection:
        await connection.execute("ANALYZE")  # the same statistics whatever autovacuum did so far

    async def plan(filter: str) -> str:
        query = compile_search(SearchSpec(parse_filter(filter), ("alice",), datetime(2030, 1, 1, tzinfo=UTC)),
                               POSTGRES)
        async with connect(postgres_dsn) as connection:
            await connection.execute("SET enable_seqscan = off")  # tiny tables: ask whether an index CAN serve
            explained = CompiledQuery("EXPLAIN " + query.sql, query.params)
            return "\n".join(row[0] for row in await connection.fetch(explained.sql, *explained.params))

    assert "things_pkey" in await plan('eq(thingId,"org.twinhub:3")')
    assert "thing_index_by_number" in await plan("eq(attributes/n,3)")
    assert "thing_index_by_number" in await plan("gt(attributes/n,3)")
    assert "thing_index_by_string" in await plan('eq(attributes/s,"x007")')
    assert "thing_index_by_string" in await plan('lt(attributes/s,"x002")')
    # A literal shorter than the indexed prefix is matched on the prefix alone (the comparison of whole strings
    # folds away), so the planner estimates its rows from the index's statistics; a longer one needs both.
    assert "(str = " not in await plan('eq(attributes/s,"x007")')
    assert "(str = " in await plan(f'eq(attributes/s,"{"x" * 256}")')
    assert "thing_index_by_wildcard_number" in await plan("eq(features/*/properties/v,1)")
    assert "policy_index_by_policy" in await plan("eq(attributes/n,3)")


async def test_an_idle_announcement_poll_finds_rows_by_index(postgres_dsn: str) -> None:
    """Every worker claims due announcements each second (`twinhub.service.announcements`); the claim, which also
    drops the settled rows whose grace period ended, must find its rows by index, not scan the whole schedule."""
    async with open_postgres_store(postgres_dsn):
        pass
    async with connect(postgres_dsn) as connection:
        await connection.execute("SET enable_seqscan = off")  # an empty table: ask whether an index CAN serve
        plan = "\n".join(row[0] for row in await connection.fetch("EXPLAIN " + postgres_announcements.CLAIM, 0, 1, 1))
    assert "Seq Scan" not in plan, plan
