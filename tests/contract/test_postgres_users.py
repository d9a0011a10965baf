"""The `UserStore` contract of test_users.py, on PostgreSQL: the same tests, with `users` a
`PostgresUserStore` beside an open `PostgresStore`; then what only it promises."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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
