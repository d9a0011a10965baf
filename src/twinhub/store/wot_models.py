"""The `ThingModelStore` protocol: WoT Thing Models kept in twinhub itself, by name, so that definitions resolve
on a machine without internet (`twinhub.wot.sources`: a URL prefix mapped to `store`).

A name is a relative path of segments of `[A-Za-z0-9._~-]` joined by `/` (`lamp-1.0.0.tm.jsonld`,
`acme/lamp/1.0.0.tm.jsonld`), at most `MAX_MODEL_NAME_LENGTH` characters, without `.` or `..` segments: what a
URL path can carry unchanged. The document is kept as sent (JSON bytes; the caller checks it).
"""

from __future__ import annotations

import re
from typing import Protocol

__all__ = ["MAX_MODEL_NAME_LENGTH", "ModelNameInvalid", "ThingModelStore", "is_valid_model_name",
           "validate_model_name"]

MAX_MODEL_NAME_LENGTH = 256
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


class ModelNameInvalid(ValueError):
    """A Thing Model name outside the rules of this module."""

    def __init__(self, name: str) -> None:
        super().__init__(f"invalid Thing Model name {name[:MAX_MODEL_NAME_LENGTH]!r}: segments of "
                         f"[A-Za-z0-9._~-] joined by '/', no '.' or '..' segment, at most {MAX_MODEL_NAME_LENGTH} "
                         "characters")


def is_valid_model_name(name: str) -> bool:
    return 0 < len(name) <= MAX_MODEL_NAME_LENGTH and all(
        _SEGMENT.fullmatch(segment) and segment not in (".", "..") for segment in name.split("/"))


def validate_model_name(name: str) -> str:
    """Return `name` if it is valid; raises ModelNameInvalid otherwise."""
    if not is_valid_model_name(name):
        raise ModelNameInvalid(name)
    return name


class ThingModelStore(Protocol):
    async def get_model(self, name: str) -> bytes | None:
        """The document stored under `name`, or None (also for an invalid name)."""
        ...

    async def put_model(self, name: str, document: bytes) -> bool:
        """Store `document` under `name`, replacing what was there; True if it was new. Raises
        ModelNameInvalid."""
        ...

    async def delete_model(self, name: str) -> bool:
        """Delete the model; True if it existed."""
        ...

    async def list_models(self) -> list[str]:
        """Every name, in code point order."""
        ...
