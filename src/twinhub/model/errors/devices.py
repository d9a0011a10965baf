"""Errors of the devices API (`/api/2/devices`, a twinhub extension: Ditto has no device registry), worded as
Ditto words its entities' errors. A device's id is a thing id; its subject `device:<thingId>`."""

from __future__ import annotations

from twinhub.model.errors.base import Conflict, Invalid, NotFound, echoed

__all__ = ["DeviceConflict", "DeviceIdInvalid", "DeviceNotFound", "DevicePasswordInvalid"]


class DeviceIdInvalid(Invalid):
    """A device id that is no thing id (`<namespace>:<name>`)."""

    def __init__(self, device_id: str) -> None:
        super().__init__(
            "devices:device.id.invalid",
            400,
            f"The Device ID '{echoed(device_id)}' is not valid!",
            "A device's ID is the ID of its thing: it must contain a namespace prefix (java package notation) "
            "and a name, separated by a colon (':').",
        )


class DevicePasswordInvalid(Invalid):
    """A chosen password that cannot be set (empty, too long, not a string)."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            "devices:device.password.invalid",
            400,
            f"The password of the device is not valid: {problem}.",
            "Leave the password out to have one generated, or give a non-empty string of at most 1024 characters.",
        )


class DeviceNotFound(NotFound):
    """No device with that id."""

    def __init__(self, device_id: str) -> None:
        super().__init__(
            "devices:device.notfound",
            404,
            f"The Device with ID '{echoed(device_id)}' could not be found.",
            "Check if the ID of your requested Device was correct.",
        )


class DeviceConflict(Conflict):
    """A device with that id exists already (or changed while its password was being replaced)."""

    def __init__(self, device_id: str, *, changed_meanwhile: bool = False) -> None:
        super().__init__(
            "devices:device.conflict",
            409,
            f"The Device with ID '{echoed(device_id)}' was changed while its password was being replaced."
            if changed_meanwhile else f"The Device with ID '{echoed(device_id)}' already exists.",
            "To issue new credentials for an existing Device, reset its password instead.",
        )
