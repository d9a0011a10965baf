"""`DeviceService` on a real device store (the embedded one, in a temporary file): pages, issued passwords
that verify against the stored hash, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from twinhub.auth.passwords import verify_password
from twinhub.model.errors import DeviceConflict, DeviceIdInvalid, DeviceNotFound, DevicePasswordInvalid
from twinhub.service.devices import MAX_PAGE_SIZE, Device, DeviceService
from twinhub.store.sqlite.devices import SqliteDeviceStore

pytestmark = pytest.mark.anyio
HASHER = PasswordHasher.from_parameters(CHEAPEST)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def store(tmp_path: Path) -> SqliteDeviceStore:
    return SqliteDeviceStore(tmp_path / "things.db")


@pytest.fixture
def service(store: SqliteDeviceStore) -> DeviceService:
    return DeviceService(store, hasher=HASHER)


async def test_an_issued_password_is_stored_only_as_its_hash(service: DeviceService,
                                                             store: SqliteDeviceStore) -> None:
    issued = await service.create("org.example:a")
    assert issued.device == Device("org.example:a") and issued.device.subject == "device:org.example:a"
    stored = await store.get_password_hash("org.example:a")
    assert stored is not None and issued.password not in stored
    assert verify_password(stored, issued.password)
    assert issued.password not in repr(issued)


async def test_a_new_password_replaces_the_hash(service: DeviceService, store: SqliteDeviceStore) -> None:
    first = await service.create("org.example:a", "first")
    second = await service.reset_password("org.example:a")
    stored = await store.get_password_hash("org.example:a")
    assert stored is not None
    assert verify_password(stored, second.password) and not verify_password(stored, first.password)


async def test_pages_say_where_the_next_one_starts(service: DeviceService) -> None:
    for name in "edcba":
        await service.create(f"org.example:{name}", "p")
    first = await service.page("", 2)
    assert [device.device_id for device in first.devices] == ["org.example:a", "org.example:b"]
    assert first.next_from == "org.example:b"
    last = await service.page("org.example:c", 2)
    assert [device.device_id for device in last.devices] == ["org.example:d", "org.example:e"]
    assert last.next_from is None  # exactly full, and nothing after it
    for limit in (0, MAX_PAGE_SIZE + 1):
        with pytest.raises(ValueError, match="limit"):
            await service.page("", limit)


async def test_refusals(service: DeviceService) -> None:
    with pytest.raises(DeviceIdInvalid):
        await service.create("no-namespace")
    with pytest.raises(DevicePasswordInvalid):
        await service.create("org.example:a", "")
    await service.create("org.example:a", "p")
    with pytest.raises(DeviceConflict):
        await service.create("org.example:a")
    for missing in (service.retrieve, service.reset_password, service.delete):
        with pytest.raises(DeviceNotFound):
            await missing("org.example:nobody")
    await service.delete("org.example:a")
    with pytest.raises(DeviceNotFound):
        await service.retrieve("org.example:a")
