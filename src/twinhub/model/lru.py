"""`Lru`: a least-recently-used map bounded in entries and in estimated bytes.

Bytes are the caller's estimate of what an entry holds in memory: the bound keeps a cache in step with its
setting whatever the size of what it holds (the thing, policy and enforcer caches, the stores' search plans).
Whatever leaves (evicted, dropped, cleared) is handed to `on_evict`, so that tables beside the map (which
policy an enforcer was built from) leave with it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Lru"]

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most `max_entries` entries of at most `max_bytes` estimated bytes in all; the least recently used
    leave first. An entry larger than `max_bytes` alone is not kept; a bound of 0 (or less) keeps nothing."""

    __slots__ = ("_bytes", "_entries", "_max_bytes", "_max_entries", "_on_evict")

    def __init__(self, *, max_entries: int, max_bytes: int, on_evict: Callable[[K, V], None] | None = None) -> None:
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._on_evict = on_evict

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: K) -> bool:
        return key in self._entries

    @property
    def bytes(self) -> int:
        """The estimated bytes of the entries held."""
        return self._bytes

    def get(self, key: K) -> V | None:
        """The entry of `key`, now the most recently used; None if absent."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def peek(self, key: K) -> V | None:
        """The entry of `key` without counting it as used; None if absent."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, key: K, value: V, size: int) -> None:
        """Hold `value` (of `size` estimated bytes) under `key`, replacing the entry there (not evicted: the
        caller replaces it knowingly), then evict the least recently used past either bound."""
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        if size > self._max_bytes or self._max_entries <= 0:
            if old is not None and self._on_evict is not None:
                self._on_evict(key, old[0])
            return
        self._entries[key] = (value, size)
        self._bytes += size
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._evict(*self._entries.popitem(last=False))

    def pop(self, key: K) -> V | None:
        """Drop the entry of `key` (handed to `on_evict`); returns it, or None if absent."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self._evict(key, entry)
        return entry[0]

    def clear(self) -> None:
        entries, self._entries = self._entries, OrderedDict()
        for key, entry in entries.items():
            self._evict(key, entry)

    def _evict(self, key: K, entry: tuple[V, int]) -> None:
        self._bytes -= entry[1]
        if self._on_evict is not None:
            self._on_evict(key, entry[0])
