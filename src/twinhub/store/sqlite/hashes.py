"""`StampedHashes`: the password hashes of users or devices remembered by the server, exact across processes.

Every basic login needs its hash, read anew each time so that `twinhub user passwd|remove` (another process,
writing the database file directly while the server runs) counts at once. Even as a primary-key read on the
loop that costs a login ~45 µs under load: each SQLite call releases the GIL, and getting it back waits for
the store's writer thread. Instead every change of the users' or devices' table writes a new random stamp into
a small file beside the database (`<database>-credentials`), after its commit; the server maps that file into
memory and reads the stamp per login, a memory read under the GIL, no system call. A hash (or the absence of
one: a user may be added) read once is served from memory for as long as the stamp stays the one it was read
under; any other stamp drops everything remembered.

A change is seen by the first login after its command wrote the stamp, i.e. before `twinhub user passwd`
returns. A read in flight while the stamp changes is returned but not remembered. Only changes made through
twinhub's own code write the stamp (as only they fire PostgreSQL's triggers there): editing the table by hand
needs a restart. Where the file cannot be mapped, every login reads the table, as without this cache.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from twinhub.model.lru import Lru

__all__ = ["DEFAULT_HASH_CACHE_SIZE", "StampedHashes", "renew_stamp", "renew_stamp_if"]

DEFAULT_HASH_CACHE_SIZE = 10_000  # names; an entry is a name (<= 256 characters) and an argon2 hash (~100 bytes)
_STAMP_BYTES = 8
_ENTRY_BYTES = 1  # bounded in entries: a name and a hash are small and alike

Reader = Callable[[str], Awaitable[str | None]]


def stamp_path(database: Path) -> Path:
    return database.with_name(database.name + "-credentials")


def renew_stamp(database: Path) -> None:
    """Write a new stamp: call after every committed change of the credentials kept in `database`."""
    descriptor = os.open(stamp_path(database), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _at_least_a_stamp(descriptor)
        os.pwrite(descriptor, os.urandom(_STAMP_BYTES), 0)
    finally:
        os.close(descriptor)


def renew_stamp_if(database: Path, changed: bool) -> bool:
    """`changed`, after renewing the stamp if it is true: wraps a committed statement's "did it change a row"."""
    if changed:
        renew_stamp(database)
    return changed


def _at_least_a_stamp(descriptor: int) -> None:
    # Extending pads with zeros and never overwrites a stamp another process wrote meanwhile.
    if os.fstat(descriptor).st_size < _STAMP_BYTES:
        os.ftruncate(descriptor, _STAMP_BYTES)


class StampedHashes:
    """Hashes by name, remembered while `<database>-credentials` keeps its stamp; at most `size` names."""

    def __init__(self, database: Path, *, size: int = DEFAULT_HASH_CACHE_SIZE) -> None:
        self._path = stamp_path(database)
        self._map: mmap.mmap | None = None
        self._unmappable = False
        self._entries: Lru[str, str | None] = Lru(max_entries=size, max_bytes=size * _ENTRY_BYTES)
        self._stamp: bytes | None = None  # the stamp the entries were read under

    async def get(self, name: str, read: Reader) -> str | None:
        """The hash of `name` (None: no such name), remembered, or read with `read` and remembered."""
        stamp = self._read_stamp()
        if stamp is None:
            return await read(name)
        if stamp != self._stamp:
            self._entries.clear()
            self._stamp = stamp
        if name in self._entries:
            return self._entries.get(name)
        value = await read(name)
        if self._read_stamp() == stamp:  # nothing changed while it was read (in a thread, maybe)
            self._entries.put(name, value, _ENTRY_BYTES)
        return value

    def close(self) -> None:
        self._entries.clear()
        self._stamp = None
        if self._map is not None:
            self._map.close()
            self._map = None

    def _read_stamp(self) -> bytes | None:
        if self._map is None:
            if self._unmappable:
                return None
            try:
                self._map = self._open()
            except (OSError, ValueError):
                self._unmappable = True  # served as without this cache; not retried per login
                return None
        return self._map[:_STAMP_BYTES]

    def _open(self) -> mmap.mmap:
        descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _at_least_a_stamp(descriptor)
            return mmap.mmap(descriptor, _STAMP_BYTES, access=mmap.ACCESS_READ)
        finally:
            os.close(descriptor)  # the mapping stays valid
