"""The `DeviceStore` contract on both stores: SQLite (the store's file) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.conftest import StoreOpener
from twinhub.store.devices import DeviceIdInvalid, DeviceStore
from twinhub.store.postgres import PostgresDeviceStore, PostgresStore
from twinhub.store.sqlite import open_sqlite_store
from twinhub.store.sqlite.devices import SqliteDeviceStore

pytestmark = pytest.mark.anyio

HASH_A = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g"
HASH_B = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0$b3RoZXJoYXNo"


@pytest.fixture
async def devices(backend: str, open_store: StoreOpener, db_path: Path) -> AsyncIterator[DeviceStore]:
    async with open_store() as store:
        if backend == "postgres":
            assert isinstance(store, PostgresStore)
            yield PostgresDeviceStore(store)
        else:
            yield SqliteDeviceStore(db_path)


async def test_add_get_and_list(devices: DeviceStore) -> None:
    assert await devices.add_device("org.example:sensor-1", HASH_A) is True
    assert await devices.get_password_hash("org.example:sensor-1") == HASH_A
    assert await devices.list_devices() == ["org.example:sensor-1"]


async def test_adding_an_existing_device_changes_nothing(devices: DeviceStore) -> None:
    await devices.add_device("org.example:sensor-1", HASH_A)
    assert await devices.add_device("org.example:sensor-1", HASH_B) is False
    assert await devices.get_password_hash("org.example:sensor-1") == HASH_A


async def test_unknown_and_invalid_ids_have_no_hash(devices: DeviceStore) -> None:
    assert await devices.get_password_hash("org.example:nobody") is None
    assert await devices.get_password_hash("no-namespace-separator") is None
    assert await devices.get_password_hash("") is None


async def test_invalid_ids_are_refused(devices: DeviceStore) -> None:
    for invalid in ("", "plain", "org.example:with/slash", "org.example:\x00"):
        with pytest.raises(DeviceIdInvalid):
            await devices.add_device(invalid, HASH_A)
    assert await devices.list_devices() == []


async def test_empty_hashes_are_refused(devices: DeviceStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        await devices.add_device("org.example:sensor-1", "")
    await devices.add_device("org.example:sensor-1", HASH_A)
    with pytest.raises(ValueError, match="empty"):
        await devices.replace_password_hash("org.example:sensor-1", HASH_A, "")
    assert await devices.get_password_hash("org.example:sensor-1") == HASH_A


async def test_remove(devices: DeviceStore) -> None:
    await devices.add_device("org.example:sensor-1", HASH_A)
    assert await devices.remove_device("org.example:sensor-1") is True
    assert await devices.remove_device("org.example:sensor-1") is False
    assert await devices.remove_device("invalid") is False
    assert await devices.get_password_hash("org.example:sensor-1") is None


async def test_replace_password_hash_is_compare_and_set(devices: DeviceStore) -> None:
    await devices.add_device("org.example:sensor-1", HASH_A)
    assert await devices.replace_password_hash("org.example:sensor-1", HASH_B, "$argon2id$x") is False
    assert await devices.replace_password_hash("org.example:sensor-1", HASH_A, HASH_B) is True
    assert await devices.get_password_hash("org.example:sensor-1") == HASH_B
    assert await devices.replace_password_hash("org.example:nobody", HASH_A, HASH_B) is False


async def test_list_sorts_by_code_point(devices: DeviceStore) -> None:
    for device_id in ("org.example:b", "org.example:B", "org.example:a", "com.acme:z", "org.example:~"):
        await devices.add_device(device_id, HASH_A)
    assert await devices.list_devices() == ["com.acme:z", "org.example:B", "org.example:a", "org.example:b",
                                            "org.example:~"]



async def test_pages_follow_each_other_in_code_point_order(devices: DeviceStore) -> None:
    ids = [f"org.example:d-{index:03}" for index in range(25)] + ["org.example:B", "com.acme:z", "org.example:~"]
    for device_id in ids:
        await devices.add_device(device_id, HASH_A)
    pages: list[list[str]] = []
    after = ""
    while page := await devices.page_devices(after, 10):
        pages.append(page)
        after = page[-1]
    assert [len(page) for page in pages] == [10, 10, 8]
    assert [device_id for page in pages for device_id in page] == await devices.list_devices() == sorted(ids)


async def test_a_page_starts_after_its_key_even_when_no_device_has_it(devices: DeviceStore) -> None:
    for device_id in ("org.example:a", "org.example:c", "org.example:e"):
        await devices.add_device(device_id, HASH_A)
    assert await devices.page_devices("org.example:b", 200) == ["org.example:c", "org.example:e"]
    assert await devices.page_devices("org.example:c", 1) == ["org.example:e"]
    assert await devices.page_devices("org.example:e", 5) == []
    with pytest.raises(ValueError, match="limit"):
        await devices.page_devices("", 0)

async def test_devices_survive_reopening(backend: str, open_store: StoreOpener, db_path: Path) -> None:
    async with open_store() as store:
        first = PostgresDeviceStore(store) if isinstance(store, PostgresStore) else SqliteDeviceStore(db_path)
        await first.add_device("org.example:sensor-1", HASH_A)
    async with open_store() as store:
        again = PostgresDeviceStore(store) if isinstance(store, PostgresStore) else SqliteDeviceStore(db_path)
        assert await again.get_password_hash("org.example:sensor-1") == HASH_A


async def test_sqlite_devices_before_the_server_ever_ran(tmp_path: Path) -> None:
    """`twinhub device add` on a fresh data dir: the file and its schema are made, and the store opens it."""
    path = tmp_path / "fresh" / "things.db"
    path.parent.mkdir()
    assert SqliteDeviceStore(path).add_device_sync("org.example:sensor-1", HASH_A) is True
    async with open_sqlite_store(path):
        assert await SqliteDeviceStore(path).list_devices() == ["org.example:sensor-1"]


async def test_sqlite_devices_changed_on_the_command_line_are_read_at_once(open_store: StoreOpener, backend: str,
                                                                          db_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("the embedded store's lookups on the loop")
    async with open_store():
        server, command_line = SqliteDeviceStore(db_path), SqliteDeviceStore(db_path)
        assert command_line.add_device_sync("org.example:sensor-1", HASH_A)
        for _ in range(2):  # the first lookup makes sure of the schema, the next ones read on the loop
            assert await server.get_password_hash("org.example:sensor-1") == HASH_A
        assert command_line.replace_password_hash_sync("org.example:sensor-1", HASH_A, HASH_B)
        assert await server.get_password_hash("org.example:sensor-1") == HASH_B
        assert command_line.remove_device_sync("org.example:sensor-1")
        assert await server.get_password_hash("org.example:sensor-1") is None
        server.close()
