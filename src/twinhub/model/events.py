"""Thing state and thing events: what the write path commits and the journal replays.

Times are aware UTC datetimes here and everywhere inside; `format_timestamp` writes them as Ditto's clients,
the journal and the bus see them, `read_timestamp` reads that form back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

from twinhub.model.points import Point
from twinhub.model.types import JsonObject, JsonValue, Pointer

EventAction = Literal["created", "modified", "merged", "migrated", "deleted"]
# The actions whose value is a JSON merge patch at the event's path: a merge, and a definition migration
# (Ditto's `ThingDefinitionMigrated`, whose thing is the migration's patch with the thing id, applied as a merge).
PATCH_ACTIONS: frozenset[str] = frozenset({"merged", "migrated"})

# The Ditto headers of the command an event came from (correlation-id, ditto-originator,
# requested-acks): what subscribers need to answer acknowledgements and to show an event's context.
# They travel with the event on the bus but are not part of its identity, nor stored in the journal.
EventHeaders = Mapping[str, str]
NO_HEADERS: EventHeaders = MappingProxyType({})


def _no_headers() -> EventHeaders:
    return NO_HEADERS  # shared: a read-only mapping, never mutated


def format_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds and a `Z`, so timestamps sort as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_timestamp(text: str) -> datetime:
    """The moment `format_timestamp` wrote (as the stores and the bus keep it), in UTC; raises ValueError
    for text of another form."""
    moment = datetime.fromisoformat(text[:-1]) if text.endswith("Z") else None
    if moment is None or moment.tzinfo is not None:
        raise ValueError(f"{text!r} is not a stored timestamp")
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Thing:
    """A thing at one revision. `doc` is Ditto's thing JSON without the `_`-prefixed fields; `metadata` its
    `_metadata` tree (`twinhub.model.metadata`), None when it has none.

    A deleted thing is kept as a tombstone (`deleted=True`, empty `doc`) so that a thing created again
    under the same id continues the revision count, as Ditto's journal does.
    """

    thing_id: str
    doc: JsonObject
    revision: int
    created: datetime
    modified: datetime
    deleted: bool = False
    metadata: JsonObject | None = None


METADATA_KEY = "_metadata"


def thing_document(thing: Thing) -> JsonObject:
    """What the stores and caches keep of a thing: its `doc`, with its metadata under `_metadata` if it has any
    (so that metadata needs no column of its own, and costs nothing to a thing without)."""
    return thing.doc if thing.metadata is None else {**thing.doc, METADATA_KEY: thing.metadata}


def thing_from_document(thing_id: str, document: JsonObject, revision: int, created: datetime, modified: datetime,
                        deleted: bool = False) -> Thing:
    """The thing `thing_document` kept (`document` is taken over: its `_metadata` is moved out of it)."""
    if METADATA_KEY not in document:  # most things: no metadata to move out
        return Thing(thing_id, document, revision, created, modified, deleted)
    metadata = document.pop(METADATA_KEY)
    return Thing(thing_id, document, revision, created, modified, deleted,
                 metadata if isinstance(metadata, dict) else None)


@dataclass(frozen=True, slots=True)
class ThingEvent:
    """One change of a thing: `value` is the new value (created/modified), the patch (merged; migrated at `/`,
    with the thing id) or None."""

    thing_id: str
    action: EventAction
    path: Pointer
    value: JsonValue
    revision: int
    timestamp: datetime
    headers: EventHeaders = field(default_factory=_no_headers, compare=False, hash=False, repr=False)
    # The history points its commit recorded (`Commit.points` of this thing and revision): published with
    # the event so that live history sees exactly what committed, on every worker; like `headers`, not part
    # of its identity and not stored in the journal (the points have their own table).
    points: tuple[Point, ...] = field(default=(), compare=False, hash=False, repr=False)
    # The thing's metadata at `path` after a command that sent metadata headers (Ditto's event metadata, which the
    # Ditto Protocol shows as the payload's `metadata`); published, not journaled.
    metadata: JsonObject | None = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class ThingWrite:
    """What one command commits: the new state and its event, if the stored revision is still `expected`.

    `expected_revision` is 0 when no row exists for the thing yet.
    """

    thing: Thing
    event: ThingEvent
    expected_revision: int
    # `thing.doc` as JSON when the write path encoded it already (`Applied.encoded`); None: the store encodes.
    encoded: bytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A journal row: the event, and the full thing after it when the store kept a snapshot there."""

    event: ThingEvent
    snapshot: Thing | None


PolicyAction = Literal["created", "modified", "deleted"]


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy document at one revision (Ditto's policy JSON); a deleted one is kept as a tombstone."""

    policy_id: str
    doc: JsonObject
    revision: int
    created: datetime
    modified: datetime
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class PolicyEvent:
    """One change of a policy: `value` is the new value at `path` (None when deleted)."""

    policy_id: str
    action: PolicyAction
    path: Pointer
    value: JsonValue
    revision: int
    timestamp: datetime
    headers: EventHeaders = field(default_factory=_no_headers, compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class PolicyJournalEntry:
    """A policy journal row: the event, and the whole policy after it when the store kept a snapshot there."""

    event: PolicyEvent
    snapshot: Policy | None


@dataclass(frozen=True, slots=True)
class PolicyWrite:
    policy: Policy
    event: PolicyEvent
    expected_revision: int


ConnectionAction = Literal["created", "modified", "deleted"]


@dataclass(frozen=True, slots=True)
class StoredConnection:
    """A connection as the store keeps it: Ditto's connection JSON (without its `_`-prefixed fields) at a
    revision; a deleted one is kept as a tombstone so that its revisions go on. The connection model that
    reads `doc` is `twinhub.connectivity.model` (an edge: the store only keeps JSON)."""

    connection_id: str
    doc: JsonObject
    revision: int
    created: datetime
    modified: datetime
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """One change of a connection: `value` is its whole new JSON (None when deleted), so that every
    worker's connection runtime can follow without reading the store. `path` is always the root."""

    connection_id: str
    action: ConnectionAction
    value: JsonValue
    revision: int
    timestamp: datetime
    headers: EventHeaders = field(default_factory=_no_headers, compare=False, hash=False, repr=False)

    @property
    def path(self) -> Pointer:
        return ()


@dataclass(frozen=True, slots=True)
class ConnectionWrite:
    connection: StoredConnection
    event: ConnectionEvent
    expected_revision: int


EntityWrite = ThingWrite | PolicyWrite | ConnectionWrite
