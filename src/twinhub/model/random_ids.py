"""Random UUIDs (version 4, as `uuid.uuid4`) without a system call each.

`uuid.uuid4()` reads 16 bytes with `os.urandom`, a system call that gives up the GIL; on the event loop, getting
it back waits for whichever thread took it (the store's writer, under load): py-spy found `uuid4` at 3% of a
loaded PUT's samples, as much as the rest of the command's execution. Here the same kernel randomness is read
4 KiB at a time and handed out 16 bytes per id. A forked worker starts with a pool of its own (none shared with
its parent or its siblings), and the pool is taken under a lock, so no two ids share their bytes.
"""

from __future__ import annotations

import os
import threading

__all__ = ["random_uuid", "random_uuid_hex"]

_POOL_BYTES = 4096
_ID_BYTES = 16
_VERSION_4 = 0x4000 << 64
_VERSION_MASK = ~(0xF000 << 64)
_VARIANT_RFC_4122 = 0x8000 << 48
_VARIANT_MASK = ~(0xC000 << 48)


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bytes = b""
        self._offset = 0

    def take(self) -> bytes:
        with self._lock:
            if self._offset + _ID_BYTES > len(self._bytes):
                self._bytes, self._offset = os.urandom(_POOL_BYTES), 0
            start = self._offset
            self._offset = start + _ID_BYTES
            return self._bytes[start:start + _ID_BYTES]

    def drop(self) -> None:
        self._lock = threading.Lock()  # a lock held by another thread at the fork would never be released
        self._bytes, self._offset = b"", 0


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.drop)


def uuid_hex(random: bytes) -> str:
    """The 32 hex digits of the version 4 UUID of 16 random bytes (as `uuid.UUID(bytes=random, version=4)`)."""
    number = int.from_bytes(random) & _VARIANT_MASK | _VARIANT_RFC_4122
    return f"{number & _VERSION_MASK | _VERSION_4:032x}"


def random_uuid_hex() -> str:
    """A random UUID as 32 hex digits (`random_uuid_hex()`)."""
    return uuid_hex(_pool.take())


def random_uuid() -> str:
    """A random UUID in its usual form (`random_uuid()`)."""
    digits = uuid_hex(_pool.take())
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
