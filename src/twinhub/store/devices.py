"""The `DeviceStore` protocol: devices as identities, each a thing id with a password hash.

A device logs in with its thing id as the username and authenticates as the subject `device:<thingId>`
(as devices of Hono's device registry reach Ditto), which policies grant like any other subject. The
store never sees a password, only its argon2 hash (`twinhub.auth.passwords`).
"""

from __future__ import annotations

from typing import Final, Protocol

from twinhub.model.errors import TwinhubError
from twinhub.model.ids import parse_thing_id

__all__ = ["DEVICE_SUBJECT_ISSUER", "DeviceIdInvalid", "DeviceStore", "device_subject", "is_valid_device_id",
           "validate_device_id"]

DEVICE_SUBJECT_ISSUER: Final = "device"


class DeviceIdInvalid(ValueError):
    """The device id is no valid thing id (`<namespace>:<name>`)."""

    def __init__(self, device_id: str) -> None:
        super().__init__(f"invalid device id {device_id[:256]!r}: it must be a thing id '<namespace>:<name>'")


def is_valid_device_id(device_id: str) -> bool:
    try:
        parse_thing_id(device_id)
    except TwinhubError:
        return False
    return True


def validate_device_id(device_id: str) -> str:
    """Return `device_id` if it is a valid thing id; raises DeviceIdInvalid otherwise."""
    if not is_valid_device_id(device_id):
        raise DeviceIdInvalid(device_id)
    return device_id


def device_subject(device_id: str) -> str:
    """The subject a device acts as: `device:<thingId>`."""
    return f"{DEVICE_SUBJECT_ISSUER}:{device_id}"


class DeviceStore(Protocol):
    """Devices and their password hashes."""

    async def get_password_hash(self, device_id: str) -> str | None:
        """The device's password hash, or None if there is no such device (or the id is invalid)."""
        ...

    async def add_device(self, device_id: str, password_hash: str) -> bool:
        """Register the device; False (and nothing changed) if it exists already. Raises DeviceIdInvalid, and
        ValueError for an empty hash."""
        ...

    async def replace_password_hash(self, device_id: str, old_hash: str, new_hash: str) -> bool:
        """Swap the hash only while it is still `old_hash` (a re-hash on login); True if it was swapped. Raises
        ValueError for an empty `new_hash`."""
        ...

    async def remove_device(self, device_id: str) -> bool:
        """Delete the device; True if it existed."""
        ...

    async def list_devices(self) -> list[str]:
        """All device ids, sorted by code point."""
        ...

    async def page_devices(self, after: str, limit: int) -> list[str]:
        """At most `limit` device ids that sort after `after` ("": from the first), sorted by code point: one
        page, read by the index, whatever the number of devices. Raises ValueError for a `limit` below 1."""
        ...
