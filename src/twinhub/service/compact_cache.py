"""`CompactCache`: the hot things (or policies) of a worker, least recently used first out, bounded in entries
and bytes.

An entity is kept compact: its document as JSON bytes of their exact size beside its revision and times, one
object where the parsed document is a tree of dozens that every full garbage collection visits. Measured on
100,000 things of the HTTP benchmark's shape (148 bytes of JSON): 1,409 → 466 bytes of RSS each, a full
collection 91 → 5 ms; a default policy (296 bytes of JSON) takes ~2,100 bytes parsed. A read decodes the
document anew (~1 µs for such a thing), so every caller gets its own copy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from twinhub.model.json import dumps, loads
from twinhub.model.lru import Lru
from twinhub.model.types import JsonObject

__all__ = ["COMPACT_ENTRY_BYTES", "CompactCache", "Entity"]

# The memory of an entry beside its JSON, measured with RSS over 100,000 entries (318 bytes): the cache's node
# and key, the entry object and its two datetimes.
COMPACT_ENTRY_BYTES = 320


class Entity(Protocol):
    """A thing or a policy at one revision (`twinhub.model.events`)."""

    @property
    def doc(self) -> JsonObject: ...
    @property
    def revision(self) -> int: ...
    @property
    def created(self) -> datetime: ...
    @property
    def modified(self) -> datetime: ...
    @property
    def deleted(self) -> bool: ...


E = TypeVar("E", bound=Entity)


# An entry: (JSON, revision, created, modified, deleted). A plain tuple of objects the collector does not track
# is untracked by the first collection that sees it, so that later ones skip it (a class instance never is).
_Compact = tuple[bytes, int, datetime, datetime, bool]


class CompactCache(Generic[E]):
    """Entities by id, at most `max_entries` of at most `max_bytes` (JSON plus `COMPACT_ENTRY_BYTES` each);
    `make(id, doc, revision, created, modified, deleted)` builds one again (`Thing`, `Policy`) from what `keep`
    gave of it (its `doc` by default)."""

    __slots__ = ("_keep", "_lru", "_make")

    def __init__(self, make: Callable[[str, JsonObject, int, datetime, datetime, bool], E], *,
                 max_entries: int, max_bytes: int, keep: Callable[[E], JsonObject] = lambda entity: entity.doc) -> None:
        self._make = make
        self._keep = keep  # the document kept of an entity, that `make` takes back
        self._lru: Lru[str, _Compact] = Lru(max_entries=max_entries, max_bytes=max_bytes)

    def get(self, entity_id: str) -> E | None:
        """The cached entity, now the most recently used; None if not cached."""
        kept = self._lru.get(entity_id)
        if kept is None:
            return None
        encoded, revision, created, modified, deleted = kept
        document = loads(encoded, max_depth=None)  # encoded here from an entity: an object, of any depth
        assert isinstance(document, dict)
        return self._make(entity_id, document, revision, created, modified, deleted)

    def revision(self, entity_id: str) -> int | None:
        """The revision of the cached entity, without counting it as used; None if not cached."""
        kept = self._lru.peek(entity_id)
        return None if kept is None else kept[1]

    def encoded(self, entity_id: str) -> bytes | None:
        """The cached entity's document as JSON, without decoding it or counting it as used; None if not cached."""
        kept = self._lru.peek(entity_id)
        return None if kept is None else kept[0]

    def remember(self, entity_id: str, entity: E, encoded: bytes | None = None) -> None:
        """Keep `entity` (`encoded`: its document as JSON, when the caller has it), unless a newer revision is
        cached already."""
        cached = self.revision(entity_id)
        if cached is not None and cached > entity.revision:
            return
        # A copy of exact size: an orjson result keeps the buffer it was written into, ~4 KiB of RSS however
        # short the JSON (measured: 4,296 bytes per thing instead of 379 with the copy).
        document = bytes(memoryview(dumps(self._keep(entity)) if encoded is None else encoded))
        self._lru.put(entity_id, (document, entity.revision, entity.created, entity.modified, entity.deleted),
                      COMPACT_ENTRY_BYTES + len(document))

    def forget(self, entity_id: str) -> None:
        self._lru.pop(entity_id)

    def forget_older(self, entity_id: str, revision: int) -> bool:
        """Drop the cached entity if it is older than `revision` (another worker changed it); False when one as
        new is cached (nothing was stale)."""
        cached = self.revision(entity_id)
        if cached is not None and cached >= revision:
            return False
        self._lru.pop(entity_id)
        return True

    def clear(self) -> None:
        self._lru.clear()

    def __len__(self) -> int:
        return len(self._lru)

    @property
    def bytes(self) -> int:
        """The estimated bytes held."""
        return self._lru.bytes
