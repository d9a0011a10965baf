"""The `UserStore` contract of test_users.py, on PostgreSQL: the same tests, with `users` a
`PostgresUserStore` beside an open `PostgresStore`; then what only it promises."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.contract.conftest import terminate_backends_now
from tests.contract.test_users import (  # collected here again, with this module's `users`
    hashes,
    test_add_and_verify,
    test_invalid_usernames_are_refused,
    test_list_is_sorted,
    test_passwd_replaces_the_hash,
    test_remove,
    test_replace_password_hash_is_compare_and_set,
    test_unicode_and_long_usernames_are_fine,
    test_unknown_user_has_no_hash,
)
from twinhub.model.errors import ServiceUnavailable
from twinhub.store.postgres import PostgresUserStore, open_postgres_store

pytestmark = pytest.mark.anyio

__all__ = [
    "hashes", "test_add_and_verify", "test_invalid_usernames_are_refused", "test_list_is_sorted",
    "test_passwd_replaces_the_hash", "test_remove", "test_replace_password_hash_is_compare_and_set",
    "test_unicode_and_long_usernames_are_fine", "test_unknown_user_has_no_hash",
]


@pytest.fixture
async def users(postgres_dsn: str) -> AsyncIterator[PostgresUserStore]:
    async with open_postgres_store(postgres_dsn) as store:
        yield PostgresUserStore(store)


async def test_users_persist_across_reopen(postgres_dsn: str, hashes: dict[str, str]) -> None:
    async with open_postgres_store(postgres_dsn) as store:
        await PostgresUserStore(store).set_user("alice", hashes["first"])
    async with open_postgres_store(postgres_dsn) as store:
        reopened = PostgresUserStore(store)
        assert await reopened.get_password_hash("alice") == hashes["first"]
        assert await reopened.list_users() == ["alice"]


async def test_helpers_for_the_cli(users: PostgresUserStore, hashes: dict[str, str]) -> None:
    assert await users.add_user("alice", hashes["first"]) is True
    assert await users.add_user("alice", hashes["second"]) is False
    assert await users.get_password_hash("alice") == hashes["first"]
    assert await users.change_password_hash("alice", hashes["second"]) is True
    assert await users.change_password_hash("bob", hashes["second"]) is False
    assert await users.list_users() == ["alice"]
    with pytest.raises(ValueError, match="empty"):
        await users.set_user("alice", "")


async def test_a_failing_statement_is_service_unavailable_and_a_closed_store_refuses(postgres_dsn: str) -> None:
    async with open_postgres_store(postgres_dsn) as store:
        users = PostgresUserStore(store)
        await store.pool.execute("ALTER TABLE auth_users RENAME TO auth_users_away")
        try:
            with pytest.raises(ServiceUnavailable):
                await users.list_users()
        finally:
            await store.pool.execute("ALTER TABLE auth_users_away RENAME TO auth_users")
    with pytest.raises(RuntimeError, match="closed"):
        await users.list_users()


# The loop turns between the termination and the lookup decide what asyncpg raises: none or one, a lost
# connection (ConnectionDoesNotExistError); two, the server's goodbye already read but the close not yet,
# InternalClientError ("cannot switch to state ..."), which was answered with 500.
@pytest.mark.parametrize("turns", [0, 1, 2])
async def test_a_lookup_on_a_killed_connection_is_503_and_the_next_lookup_succeeds(
    postgres_dsn: str, hashes: dict[str, str], turns: int
) -> None:
    async with open_postgres_store(postgres_dsn, pool_size=1) as store:
        users = PostgresUserStore(store)
        await users.set_user("alice", hashes["first"])
        assert terminate_backends_now(postgres_dsn)
        for _ in range(turns):
            await asyncio.sleep(0)  # one turn of the event loop, not a wait
        with pytest.raises(ServiceUnavailable):
            await users.get_password_hash("alice")
        assert await users.get_password_hash("alice") == hashes["first"]
        assert await users.list_users() == ["alice"]


async def test_a_connection_killed_during_a_lookup_is_503_and_the_next_lookup_succeeds(
    postgres_dsn: str, hashes: dict[str, str]
) -> None:
    async with open_postgres_store(postgres_dsn, pool_size=1) as store:
        users = PostgresUserStore(store)
        await users.set_user("alice", hashes["first"])
        admin = await asyncpg.connect(postgres_dsn)
        try:
            async with admin.transaction():
                await admin.execute("LOCK TABLE auth_users IN ACCESS EXCLUSIVE MODE")
                lookup = asyncio.ensure_future(users.get_password_hash("alice"))
                waiting = None
                while waiting is None:  # until the lookup's statement waits for the lock
                    waiting = await admin.fetchval(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
                        "pg_backend_pid() = ANY(pg_blocking_pids(pid))")
                await admin.execute("SELECT pg_terminate_backend($1)", waiting)
                with pytest.raises(ServiceUnavailable):
                    await lookup
        finally:
            await admin.close()
        assert await users.get_password_hash("alice") == hashes["first"]
