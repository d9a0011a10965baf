"""Devices log in through the one `Authenticator.login` path: a thing id and its password -> `device:<thingId>`."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from twinhub.auth import build_authenticator, hash_password
from twinhub.model.errors import AuthenticationFailed
from twinhub.store.sqlite.devices import SqliteDeviceStore
from twinhub.store.sqlite.users import SqliteUserStore

pytestmark = pytest.mark.anyio

HASHER = PasswordHasher.from_parameters(CHEAPEST)
DEVICE = "org.example:sensor-1"


@pytest.fixture
async def stores(tmp_path: Path) -> tuple[SqliteUserStore, SqliteDeviceStore]:
    users, devices = SqliteUserStore(tmp_path / "things.db"), SqliteDeviceStore(tmp_path / "things.db")
    await users.set_user("alice", hash_password("alice-pw", hasher=HASHER))
    await devices.add_device(DEVICE, hash_password("device-pw", hasher=HASHER))
    return users, devices


async def test_a_device_logs_in_as_its_subject(stores: tuple[SqliteUserStore, SqliteDeviceStore]) -> None:
    users, devices = stores
    async with build_authenticator(user_store=users, device_store=devices, hasher=HASHER) as authenticator:
        assert (await authenticator.login(DEVICE, "device-pw")).subjects == (f"device:{DEVICE}",)
        assert (await authenticator.login("alice", "alice-pw")).subjects == ("nginx:alice",)


@pytest.mark.parametrize(("username", "password"), [
    (DEVICE, "wrong"), ("org.example:unknown", "device-pw"), ("not/a:thing/id", "device-pw"), (DEVICE, ""),
    ("alice", "device-pw"),
])
async def test_wrong_device_credentials_are_refused(stores: tuple[SqliteUserStore, SqliteDeviceStore],
                                                    username: str, password: str) -> None:
    users, devices = stores
    async with build_authenticator(user_store=users, device_store=devices, hasher=HASHER) as authenticator:
        with pytest.raises(AuthenticationFailed):
            await authenticator.login(username, password)


async def test_without_a_device_store_no_device_logs_in(stores: tuple[SqliteUserStore, SqliteDeviceStore]) -> None:
    users, _devices = stores
    async with build_authenticator(user_store=users, hasher=HASHER) as authenticator:
        with pytest.raises(AuthenticationFailed):
            await authenticator.login(DEVICE, "device-pw")


async def test_dev_mode_takes_any_device_without_a_password() -> None:
    async with build_authenticator(user_store=None, dev=True) as authenticator:
        assert (await authenticator.login("org.example:any", "")).subjects == ("device:org.example:any",)
        with pytest.raises(AuthenticationFailed):
            await authenticator.login("not a:thing/id", "")


async def test_http_basic_cannot_carry_a_device(stores: tuple[SqliteUserStore, SqliteDeviceStore]) -> None:
    """RFC 7617 splits at the first ':', so a thing id never arrives whole as an HTTP basic username."""
    users, devices = stores
    encoded = base64.b64encode(f"{DEVICE}:device-pw".encode()).decode()
    async with build_authenticator(user_store=users, device_store=devices, hasher=HASHER) as authenticator:
        with pytest.raises(AuthenticationFailed):
            await authenticator.authenticate({"authorization": f"Basic {encoded}"}, {})
