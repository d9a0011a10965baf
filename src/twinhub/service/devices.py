"""`DeviceService`: the devices of the MQTT endpoint (identities: a thing id and the argon2 hash of a password)
as the devices API manages them, a twinhub extension in the manner of Hono's device registry.

A device authenticates as `device:<thingId>`. Its password is generated (`generate_password`, as
`twinhub device add` does) unless the caller chooses one, is handed back once and kept only as its hash. A new
password replaces the hash, so the authenticator's remembered logins (checked against the hash they were made
with, `twinhub.auth.basic`) and every worker's hash cache (`twinhub.store`) stop accepting the old one at once.

Hashing costs argon2's memory and tens of milliseconds, so it runs in threads, `MAX_CONCURRENT_HASHES` at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Final

from argon2 import PasswordHasher

from twinhub.auth.passwords import DEFAULT_HASHER, generate_password, hash_password, password_problem
from twinhub.model.errors import DeviceConflict, DeviceIdInvalid, DeviceNotFound, DevicePasswordInvalid
from twinhub.store.devices import DeviceStore, device_subject, is_valid_device_id

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_CONCURRENT_HASHES", "MAX_PAGE_SIZE", "Device", "DevicePage", "DeviceService",
           "IssuedCredentials"]

DEFAULT_PAGE_SIZE: Final = 200
MAX_PAGE_SIZE: Final = 200
MAX_CONCURRENT_HASHES: Final = 2
# A replaced hash can only change under us by a concurrent reset or a re-hash on login: a few tries suffice.
_REPLACE_ATTEMPTS: Final = 3


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str

    @property
    def subject(self) -> str:
        return device_subject(self.device_id)


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    """A device and its new password: shown once, to the caller who set it."""

    device: Device
    password: str

    def __repr__(self) -> str:  # never the password, wherever it is printed
        return f"IssuedCredentials({self.device.device_id!r}, password=***)"


@dataclass(frozen=True, slots=True)
class DevicePage:
    devices: tuple[Device, ...]
    next_from: str | None  # the `from` of the next page; None: this is the last


class DeviceService:
    """Lists, creates, re-keys and removes the devices of `store`."""

    def __init__(self, store: DeviceStore, *, hasher: PasswordHasher = DEFAULT_HASHER,
                 max_concurrent_hashes: int = MAX_CONCURRENT_HASHES) -> None:
        self._store = store
        self._hasher = hasher
        self._hashing = asyncio.Semaphore(max_concurrent_hashes)

    async def page(self, after: str = "", limit: int = DEFAULT_PAGE_SIZE) -> DevicePage:
        """The devices after `after` ("": from the first), at most `limit` (1..MAX_PAGE_SIZE), sorted."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be within 1..{MAX_PAGE_SIZE}")
        ids = await self._store.page_devices(after, limit + 1)  # one more: is there a next page?
        shown = ids[:limit]
        return DevicePage(tuple(Device(device_id) for device_id in shown),
                          shown[-1] if len(ids) > limit else None)

    async def retrieve(self, device_id: str) -> Device:
        """The device; raises DeviceIdInvalid, DeviceNotFound."""
        if await self._store.get_password_hash(_valid(device_id)) is None:
            raise DeviceNotFound(device_id)
        return Device(device_id)

    async def create(self, device_id: str, password: str | None = None) -> IssuedCredentials:
        """Register the device with `password` (None: a generated one); raises DeviceIdInvalid,
        DevicePasswordInvalid, DeviceConflict when it exists."""
        _valid(device_id)
        password = _chosen_or_generated(password)
        if await self._store.get_password_hash(device_id) is not None:  # before paying for a hash
            raise DeviceConflict(device_id)
        if not await self._store.add_device(device_id, await self._hash(password)):
            raise DeviceConflict(device_id)
        return IssuedCredentials(Device(device_id), password)

    async def reset_password(self, device_id: str, password: str | None = None) -> IssuedCredentials:
        """Give the device a new password (None: a generated one), replacing the old one at once; raises
        DeviceIdInvalid, DevicePasswordInvalid, DeviceNotFound, and DeviceConflict when its hash kept changing
        meanwhile."""
        _valid(device_id)
        password = _chosen_or_generated(password)
        new_hash = await self._hash(password)
        for _ in range(_REPLACE_ATTEMPTS):
            old_hash = await self._store.get_password_hash(device_id)
            if old_hash is None:
                raise DeviceNotFound(device_id)
            if await self._store.replace_password_hash(device_id, old_hash, new_hash):
                return IssuedCredentials(Device(device_id), password)
        raise DeviceConflict(device_id, changed_meanwhile=True)

    async def delete(self, device_id: str) -> None:
        """Remove the device; raises DeviceIdInvalid, DeviceNotFound."""
        if not await self._store.remove_device(_valid(device_id)):
            raise DeviceNotFound(device_id)

    async def _hash(self, password: str) -> str:
        async with self._hashing:
            return await asyncio.to_thread(partial(hash_password, password, hasher=self._hasher))


def _valid(device_id: str) -> str:
    if not is_valid_device_id(device_id):
        raise DeviceIdInvalid(device_id)
    return device_id


def _chosen_or_generated(password: str | None) -> str:
    if password is None:
        return generate_password()
    if (problem := password_problem(password)) is not None:
        raise DevicePasswordInvalid(problem)
    return password
