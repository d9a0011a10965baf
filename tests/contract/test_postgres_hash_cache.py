"""The workers' cache of password hashes on PostgreSQL (`HashCache`): no round trip per login while it listens
for the tables' notifications, every change heard, nothing served while it cannot hear."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.connectivity.polling import until
from tests.contract.test_postgres import Proxy, through
from twinhub.store.postgres import HashCache, PostgresDeviceStore, PostgresStore, PostgresUserStore, open_postgres_store

pytestmark = pytest.mark.anyio

HASH_A = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g"
HASH_B = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0$b3RoZXJoYXNo"
LISTENER = "twinhub-test-listener"


@pytest.fixture
async def store(postgres_dsn: str) -> AsyncIterator[PostgresStore]:
    async with open_postgres_store(postgres_dsn) as store:
        yield store


async def listening(hashes: HashCache) -> HashCache:
    await until(lambda: hashes.listening, "the cache listens")
    return hashes


async def heard(hashes: HashCache, count: int) -> None:
    """Wait until `count` notifications reached the cache (they come right after the commit, not with it)."""
    await until(lambda: hashes.heard >= count, f"{count} notifications heard")


async def terminate_listener(dsn: str) -> None:
    admin = await asyncpg.connect(dsn)
    try:
        assert await admin.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND application_name = $1", LISTENER) == 1
    finally:
        await admin.close()


async def test_a_login_reads_its_hash_once_while_the_cache_listens(store: PostgresStore) -> None:
    async with HashCache(partial(store.connect, LISTENER)) as hashes:
        users = PostgresUserStore(store, await listening(hashes))
        await users.set_user("alice", HASH_A)
        await heard(hashes, 1)  # (it would make the cache forget alice again)
        for _ in range(5):
            assert await users.get_password_hash("alice") == HASH_A
            assert await users.get_password_hash("nobody") is None  # an absence is remembered too
        assert hashes.reads == 2


@pytest.mark.parametrize("kind", ["users", "devices"])
async def test_changes_by_the_command_line_are_heard_and_read_anew(store: PostgresStore, kind: str) -> None:
    """The command line writes without any cache (as `twinhub user|device ...` does, in another process):
    the trigger's notification is what tells the server."""
    async with HashCache(partial(store.connect, LISTENER)) as hashes:
        await listening(hashes)
        name, server, command_line = (
            ("alice", PostgresUserStore(store, hashes), PostgresUserStore(store)) if kind == "users"
            else ("org.example:sensor-1", PostgresDeviceStore(store, hashes), PostgresDeviceStore(store)))
        add: Callable[[str, str], Awaitable[bool]] = (
            command_line.add_user if isinstance(command_line, PostgresUserStore) else command_line.add_device)
        assert await server.get_password_hash(name) is None
        assert await add(name, HASH_A)  # a new name
        await heard(hashes, 1)
        assert await server.get_password_hash(name) == HASH_A
        assert await command_line.replace_password_hash(name, HASH_A, HASH_B)  # a changed password
        await heard(hashes, 2)
        assert await server.get_password_hash(name) == HASH_B
        assert await server.get_password_hash(name) == HASH_B
        assert hashes.reads == 3
        remove = command_line.remove_user if isinstance(command_line, PostgresUserStore) else command_line.remove_device
        assert await remove(name)  # a removal
        await heard(hashes, 3)
        assert await server.get_password_hash(name) is None


async def test_this_workers_own_writes_count_before_their_notification_arrives(store: PostgresStore) -> None:
    async with HashCache(partial(store.connect, LISTENER)) as hashes:
        users = PostgresUserStore(store, await listening(hashes))
        await users.set_user("alice", HASH_A)
        assert await users.get_password_hash("alice") == HASH_A
        assert await users.replace_password_hash("alice", HASH_A, HASH_B)
        assert await users.get_password_hash("alice") == HASH_B
        assert await users.remove_user("alice")
        assert await users.get_password_hash("alice") is None


async def test_a_truncate_is_heard_as_a_change_of_every_name(store: PostgresStore) -> None:
    async with HashCache(partial(store.connect, LISTENER)) as hashes:
        users = PostgresUserStore(store, await listening(hashes))
        await users.set_user("alice", HASH_A)
        await heard(hashes, 1)
        assert await users.get_password_hash("alice") == HASH_A
        await store.pool.execute("TRUNCATE auth_users")
        await heard(hashes, 2)
        assert await users.get_password_hash("alice") is None


async def test_a_read_in_flight_when_a_change_is_heard_is_returned_but_not_remembered(store: PostgresStore) -> None:
    async with HashCache(partial(store.connect, LISTENER)) as hashes:
        await listening(hashes)
        command_line = PostgresUserStore(store)
        await command_line.set_user("alice", HASH_A)
        await heard(hashes, 1)
        answered = asyncio.Event()

        async def slow_read(name: str) -> str | None:
            value = await command_line.get_password_hash(name)
            await answered.wait()  # the answer is on its way while the change is made and heard
            return value

        lookup = asyncio.ensure_future(hashes.get("auth_users", "alice", slow_read))
        await until(lambda: hashes.reads == 1, "the read started")
        await command_line.set_user("alice", HASH_B)
        await heard(hashes, 2)
        answered.set()
        assert await lookup == HASH_A  # what it read, before the change
        assert await hashes.get("auth_users", "alice", command_line.get_password_hash) == HASH_B
        assert hashes.reads == 2


async def test_nothing_is_served_from_memory_while_the_listener_is_lost(store: PostgresStore,
                                                                        postgres_dsn: str) -> None:
    """Its connection killed, the cache reads every lookup from the table until it listens again (held off
    here), and then starts afresh: changes made meanwhile were never heard."""
    may_connect = asyncio.Event()
    may_connect.set()

    async def connect() -> asyncpg.Connection:
        await may_connect.wait()
        return await store.connect(LISTENER)

    # No probe within the test: the termination is what tells the cache.
    async with HashCache(connect, retry_seconds=0, probe_seconds=3600) as hashes:
        users, command_line = PostgresUserStore(store, await listening(hashes)), PostgresUserStore(store)
        await users.set_user("alice", HASH_A)
        await heard(hashes, 1)
        assert await users.get_password_hash("alice") == HASH_A
        assert await users.get_password_hash("alice") == HASH_A
        assert hashes.reads == 1
        may_connect.clear()
        await terminate_listener(postgres_dsn)
        await until(lambda: not hashes.listening, "the cache knows it no longer listens")
        await command_line.set_user("alice", HASH_B)  # unheard
        for _ in range(3):
            assert await users.get_password_hash("alice") == HASH_B
        assert hashes.reads == 4
        may_connect.set()
        await listening(hashes)
        assert hashes.heard == 1  # the change made while deaf went unheard: nothing from before it is served
        assert await users.get_password_hash("alice") == HASH_B
        assert await users.get_password_hash("alice") == HASH_B
        assert hashes.reads == 5
        await command_line.set_user("alice", HASH_A)
        await heard(hashes, 2)  # on the new connection
        assert await users.get_password_hash("alice") == HASH_A
        assert hashes.reads == 6


async def test_a_listener_that_stops_answering_is_given_up_by_the_probe(store: PostgresStore,
                                                                        postgres_dsn: str) -> None:
    """A connection lost without a word (packets dropped, nothing closed) hears nothing: the probe finds out."""
    parts = urlsplit(postgres_dsn)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    try:
        async def connect() -> asyncpg.Connection:
            return await asyncpg.connect(through(proxy, postgres_dsn), timeout=5)

        async with HashCache(connect, probe_seconds=0.2, retry_seconds=0) as hashes:
            users = PostgresUserStore(store, await listening(hashes))
            await users.set_user("alice", HASH_A)
            assert await users.get_password_hash("alice") == HASH_A
            proxy.freeze()
            await until(lambda: not hashes.listening, "the probe gives the silent connection up")
            assert await users.get_password_hash("alice") == HASH_A
            assert hashes.reads == 2
            proxy.thaw()
            await listening(hashes)
    finally:
        await proxy.stop()


async def test_the_cache_is_bounded_and_keeps_the_names_used_last(store: PostgresStore) -> None:
    async with HashCache(partial(store.connect, LISTENER), size=2) as hashes:
        users = PostgresUserStore(store, await listening(hashes))
        for name in ("alice", "bob"):
            await users.set_user(name, HASH_A)
        await heard(hashes, 2)
        for name in ("alice", "bob"):
            await users.get_password_hash(name)
        await users.get_password_hash("alice")  # used last: bob goes first
        await users.get_password_hash("carol")
        assert hashes.reads == 3
        await users.get_password_hash("alice")
        assert hashes.reads == 3
        await users.get_password_hash("bob")
        assert hashes.reads == 4
