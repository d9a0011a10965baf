"""`ThingCache`: the hot things of a worker, least recently used first out, bounded in entries and bytes.

A thing is kept compact: its document as JSON bytes of their exact size beside its revision and times, one
object where the parsed document is a tree of dozens that every full garbage collection visits. Measured on
100,000 things of the HTTP benchmark's shape (148 bytes of JSON): 1,409 → 466 bytes of RSS each, a full
collection 91 → 5 ms.
A read decodes the document anew (~1 µs for such a thing), so every caller gets its own copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from twinhub.model.events import Thing
from twinhub.model.json import dumps, loads
from twinhub.model.lru import Lru

__all__ = ["COMPACT_ENTRY_BYTES", "ThingCache"]

# The memory of an entry beside its JSON, measured with RSS over 100,000 entries (318 bytes): the cache's node
# and key, the entry object and its two datetimes.
COMPACT_ENTRY_BYTES = 320


@dataclass(frozen=True, slots=True)
class _Compact:
    document: bytes
    revision: int
    created: datetime
    modified: datetime
    deleted: bool


class ThingCache:
    """Things by id, at most `max_entries` of at most `max_bytes` (JSON plus `COMPACT_ENTRY_BYTES` each)."""

    __slots__ = ("_lru",)

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self._lru: Lru[str, _Compact] = Lru(max_entries=max_entries, max_bytes=max_bytes)

    def get(self, thing_id: str) -> Thing | None:
        """The cached thing, now the most recently used; None if not cached."""
        kept = self._lru.get(thing_id)
        if kept is None:
            return None
        document = loads(kept.document, max_depth=None)  # encoded here from a thing: an object, of any depth
        assert isinstance(document, dict)
        return Thing(thing_id, document, kept.revision, kept.created, kept.modified, kept.deleted)

    def revision(self, thing_id: str) -> int | None:
        """The revision of the cached thing, without counting it as used; None if not cached."""
        kept = self._lru.peek(thing_id)
        return None if kept is None else kept.revision

    def remember(self, thing: Thing, encoded: bytes | None = None) -> None:
        """Keep `thing` (`encoded`: its document as JSON, when the caller has it), unless a newer revision is
        cached already."""
        cached = self.revision(thing.thing_id)
        if cached is not None and cached > thing.revision:
            return
        # A copy of exact size: an orjson result keeps the buffer it was written into, ~4 KiB of RSS however
        # short the JSON (measured: 4,296 bytes per thing instead of 379 with the copy).
        document = bytes(memoryview(dumps(thing.doc) if encoded is None else encoded))
        self._lru.put(thing.thing_id, _Compact(document, thing.revision, thing.created, thing.modified,
                                               thing.deleted), COMPACT_ENTRY_BYTES + len(document))

    def forget(self, thing_id: str) -> None:
        self._lru.pop(thing_id)

    def forget_older(self, thing_id: str, revision: int) -> None:
        """Drop the cached thing if it is older than `revision` (another worker changed it)."""
        cached = self.revision(thing_id)
        if cached is not None and cached < revision:
            self._lru.pop(thing_id)

    def clear(self) -> None:
        self._lru.clear()

    def __len__(self) -> int:
        return len(self._lru)

    @property
    def bytes(self) -> int:
        """The estimated bytes held."""
        return self._lru.bytes
