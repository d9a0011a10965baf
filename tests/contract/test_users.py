"""The `UserStore` contract, for the SQLite store and the in-memory one; persistence for SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.contract.conftest import StoreOpener
from twinhub.auth.passwords import hash_password, verify_password
from twinhub.model.errors import ServiceUnavailable
from twinhub.store.sqlite.users import USERS_TABLE, SqliteUserStore
from twinhub.store.users import MemoryUserStore, UsernameInvalid, UserStore

pytestmark = pytest.mark.anyio

UserStoreFactory = Callable[[], UserStore]


@pytest.fixture(scope="module")
def hashes() -> dict[str, str]:
    return {password: hash_password(password) for password in ("first", "second")}


@pytest.fixture(params=["sqlite", "memory"])
def users(request: pytest.FixtureRequest, db_path: Path) -> UserStore:
    if request.param == "sqlite":
        return SqliteUserStore(db_path)
    return MemoryUserStore()


async def test_add_and_verify(users: UserStore, hashes: dict[str, str]) -> None:
    await users.set_user("alice", hashes["first"])
    stored = await users.get_password_hash("alice")
    assert stored == hashes["first"]
    assert verify_password(stored, "first") and not verify_password(stored, "second")


async def test_unknown_user_has_no_hash(users: UserStore) -> None:
    assert await users.get_password_hash("nobody") is None
    assert await users.get_password_hash("in:valid") is None
    assert await users.get_password_hash("") is None


async def test_passwd_replaces_the_hash(users: UserStore, hashes: dict[str, str]) -> None:
    await users.set_user("alice", hashes["first"])
    await users.set_user("alice", hashes["second"])
    assert await users.get_password_hash("alice") == hashes["second"]
    assert await users.list_users() == ["alice"]


async def test_replace_password_hash_is_compare_and_set(users: UserStore, hashes: dict[str, str]) -> None:
    await users.set_user("alice", hashes["first"])
    assert await users.replace_password_hash("alice", hashes["second"], "$argon2id$other") is False
    assert await users.get_password_hash("alice") == hashes["first"]
    assert await users.replace_password_hash("alice", hashes["first"], hashes["second"]) is True
    assert await users.get_password_hash("alice") == hashes["second"]
    # A removed user is not brought back by a late re-hash.
    await users.remove_user("alice")
    assert await users.replace_password_hash("alice", hashes["second"], hashes["first"]) is False
    assert await users.get_password_hash("alice") is None


async def test_remove(users: UserStore, hashes: dict[str, str]) -> None:
    await users.set_user("alice", hashes["first"])
    assert await users.remove_user("alice") is True
    assert await users.remove_user("alice") is False
    assert await users.get_password_hash("alice") is None
    assert await users.remove_user("in:valid") is False


async def test_list_is_sorted(users: UserStore, hashes: dict[str, str]) -> None:
    assert await users.list_users() == []
    for name in ("carol", "Alice", "bob", "émile"):
        await users.set_user(name, hashes["first"])
    assert await users.list_users() == ["Alice", "bob", "carol", "émile"]


@pytest.mark.parametrize("name", ["", "a:b", "tab\there", "new\nline", "\x7f", "x" * 257])
async def test_invalid_usernames_are_refused(users: UserStore, hashes: dict[str, str], name: str) -> None:
    with pytest.raises(UsernameInvalid):
        await users.set_user(name, hashes["first"])
    assert await users.list_users() == []


async def test_unicode_and_long_usernames_are_fine(users: UserStore, hashes: dict[str, str]) -> None:
    for name in ("jürgen", "user@example.com", "x" * 256, "with space"):
        await users.set_user(name, hashes["first"])
        assert await users.get_password_hash(name) == hashes["first"]


# --- SQLite specifics -----------------------------------------------------------------------------


async def test_users_persist_across_reopen(db_path: Path, hashes: dict[str, str]) -> None:
    await SqliteUserStore(db_path).set_user("alice", hashes["first"])
    reopened = SqliteUserStore(db_path)
    assert await reopened.get_password_hash("alice") == hashes["first"]
    assert await reopened.list_users() == ["alice"]


def test_sync_helpers_for_the_cli(db_path: Path, hashes: dict[str, str]) -> None:
    store = SqliteUserStore(db_path)
    assert store.add_user_sync("alice", hashes["first"]) is True
    assert store.add_user_sync("alice", hashes["second"]) is False
    assert store.get_password_hash_sync("alice") == hashes["first"]
    assert store.change_password_hash_sync("alice", hashes["second"]) is True
    assert store.change_password_hash_sync("bob", hashes["second"]) is False
    assert store.list_users_sync() == ["alice"]
    assert store.remove_user_sync("alice") is True
    assert store.list_users_sync() == []
    with pytest.raises(ValueError, match="empty"):
        store.set_user_sync("alice", "")


async def test_lives_beside_the_thing_store_in_one_file(open_store: StoreOpener, db_path: Path,
                                                        hashes: dict[str, str]) -> None:
    async with open_store():
        users = SqliteUserStore(db_path)
        await users.set_user("alice", hashes["first"])
        await asyncio.gather(*(users.get_password_hash("alice") for _ in range(20)))
    async with open_store():  # the store's migrations do not mind the extra table
        assert await SqliteUserStore(db_path).get_password_hash("alice") == hashes["first"]
    with sqlite3.connect(db_path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    connection.close()
    assert USERS_TABLE in tables and "things" in tables


async def test_users_added_before_the_store_existed(open_store: StoreOpener, db_path: Path,
                                                    hashes: dict[str, str]) -> None:
    SqliteUserStore(db_path).add_user_sync("admin", hashes["first"])  # `twinhub user add` before `serve`
    async with open_store():
        assert await SqliteUserStore(db_path).get_password_hash("admin") == hashes["first"]


async def test_unusable_database_is_service_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable):
        await SqliteUserStore(tmp_path).list_users()  # a directory, not a database file


async def test_a_change_on_the_command_line_is_read_by_the_very_next_lookup(db_path: Path,
                                                                            hashes: dict[str, str]) -> None:
    """The server's lookups run on the loop on a connection kept open: each still reads the latest commit."""
    server, command_line = SqliteUserStore(db_path), SqliteUserStore(db_path)
    command_line.add_user_sync("alice", hashes["first"])
    for _ in range(2):  # the first lookup makes sure of the table, the next ones read on the loop
        assert await server.get_password_hash("alice") == hashes["first"]
    assert command_line.change_password_hash_sync("alice", hashes["second"])
    assert await server.get_password_hash("alice") == hashes["second"]
    assert command_line.remove_user_sync("alice")
    assert await server.get_password_hash("alice") is None
    command_line.add_user_sync("alice", hashes["first"])
    assert await server.get_password_hash("alice") == hashes["first"]
    server.close()
    assert await server.get_password_hash("alice") == hashes["first"]  # usable after close: it opens another


async def test_a_locked_file_is_read_in_a_thread_without_blocking_the_loop(db_path: Path,
                                                                        hashes: dict[str, str]) -> None:
    """Before the store ever ran the file is not in WAL mode, so a writer's lock keeps readers out: the lookup on
    the loop gives up at once and the read waits in a worker thread while the loop goes on (the writer here
    commits from the loop: a lookup blocking it would never finish)."""
    users = SqliteUserStore(db_path)
    users.add_user_sync("alice", hashes["first"])
    assert await users.get_password_hash("alice") == hashes["first"]
    writer = sqlite3.connect(db_path, isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute(f"INSERT INTO {USERS_TABLE} VALUES ('bob', ?, '')", (hashes["second"],))
        lookup = asyncio.ensure_future(users.get_password_hash("bob"))  # not remembered: read from the file
        for _ in range(5):
            await asyncio.sleep(0)  # a few turns of the loop, not a wait
        assert not lookup.done()
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert await lookup == hashes["second"]
    users.close()  # forgets what it remembered
    assert await users.get_password_hash("bob") == hashes["second"]  # and on the loop again


async def test_a_hash_is_remembered_until_a_change_renews_the_stamp(db_path: Path, hashes: dict[str, str]) -> None:
    """Every change through the store renews the stamp the server's memory is checked against; a change made
    behind its back (by hand, in SQL) is not seen until one is."""
    server, command_line = SqliteUserStore(db_path), SqliteUserStore(db_path)
    command_line.add_user_sync("alice", hashes["first"])
    assert await server.get_password_hash("alice") == hashes["first"]
    with closing(sqlite3.connect(db_path, isolation_level=None)) as by_hand:
        by_hand.execute(f"UPDATE {USERS_TABLE} SET password_hash = ? WHERE username = 'alice'", (hashes["second"],))
    assert await server.get_password_hash("alice") == hashes["first"]  # remembered: no read of the table
    assert not command_line.remove_user_sync("nobody")  # changes nothing: the stamp stays
    assert await server.get_password_hash("alice") == hashes["first"]
    command_line.add_user_sync("bob", hashes["first"])  # any change renews it
    assert await server.get_password_hash("alice") == hashes["second"]
