"""Thing and policy writes to table rows, and rows back to entities and journal entries (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from twinhub.model.events import (
    ConnectionEvent,
    ConnectionWrite,
    EntityWrite,
    EventAction,
    JournalEntry,
    Policy,
    PolicyAction,
    PolicyEvent,
    PolicyJournalEntry,
    StoredConnection,
    Thing,
    ThingEvent,
    ThingWrite,
    format_timestamp,
    read_timestamp,
    thing_document,
    thing_from_document,
)
from twinhub.model.json import dumps, loads
from twinhub.model.points import leaf_path, leaf_pointer
from twinhub.model.types import JsonObject, Pointer
from twinhub.store.announcements import AnnouncementRow, encode_change
from twinhub.store.commit import Commit
from twinhub.store.index import EVERY_ROW, IndexScope, PolicyIndex, ThingIndexChange, thing_index_rows
from twinhub.store.points import PointRow, encode_point

__all__ = ["SNAPSHOT_INTERVAL", "EncodedCommit", "EncodedIndex", "EncodedWrite", "Kind", "decode_connection",
           "decode_entry", "decode_policy", "decode_thing", "encode_commit", "encode_write"]

Kind = Literal["thing", "policy", "connection"]

# Every SNAPSHOT_INTERVAL-th revision keeps the full thing in its journal row, so rebuilding any past
# revision replays fewer than SNAPSHOT_INTERVAL events.
SNAPSHOT_INTERVAL = 100

_ACTIONS: dict[str, EventAction] = {action: action for action in get_args(EventAction)}
_POLICY_ACTIONS: dict[str, PolicyAction] = {action: action for action in get_args(PolicyAction)}

EntityRow = tuple[str, int, str, str, int, bytes]  # id, revision, created, modified, deleted, doc
ThingRow = EntityRow
IndexRowValues = tuple[str, str, str, int, int | float | str | None, int]  # thing_id, path, wpath, type, value, empty


@dataclass(frozen=True, slots=True)
class EncodedIndex:
    """A policy's READ rows and imports for the search index (replaces what was indexed for it)."""

    policy_id: str
    rows: tuple[tuple[str, str, str, int, int, str | None], ...]
    imports: tuple[tuple[str, str], ...]


JournalRow = tuple[str, int, str, str, str, bytes, bytes | None]  # ..., action, path, value, snapshot


@dataclass(frozen=True, slots=True)
class EncodedWrite:
    """A thing or policy write as the writer thread binds it: JSON encoded off the writer's transaction."""

    kind: Kind
    entity_id: str
    expected_revision: int
    entity_row: EntityRow
    journal_row: JournalRow
    # Things only: the search columns (namespace, policy id), and the thing's search index rows this write
    # removes (`index_removed`) and then adds (`index_rows`).
    search_columns: tuple[str, str | None] | None = None
    index_rows: tuple[IndexRowValues, ...] = ()
    index_removed: tuple[IndexScope, ...] = ()
    # Things only: the write creates the thing again over its tombstone, starting a new life whose history
    # must show nothing of the earlier ones (perhaps someone else's, under another policy).
    starts_life_again: bool = False

    @property
    def thing_id(self) -> str:  # the name the thing-only tests know
        return self.entity_id

    @property
    def thing_row(self) -> EntityRow:
        return self.entity_row


def keeps_snapshot(event: ThingEvent | PolicyEvent | ConnectionEvent) -> bool:
    """Creations of the whole thing start a history; every SNAPSHOT_INTERVAL-th revision bounds replay.
    A connection's events carry its whole JSON: they need no snapshot. A thing event that set or deleted metadata
    keeps one too: the journal keeps no metadata headers, so its past metadata is read from there."""
    if isinstance(event, ConnectionEvent):
        return False
    return ((event.action == "created" and not event.path) or event.revision % SNAPSHOT_INTERVAL == 0
            or (isinstance(event, ThingEvent) and event.metadata is not None))


def encode_write(write: EntityWrite, index_change: ThingIndexChange | None = None) -> EncodedWrite:
    """Encode `write` (a thing write's index rows as `index_change` says, else all replaced); raises ValueError
    when entity, event and expected revision do not line up.

    Checking here keeps a malformed write from reaching the batch, where a primary-key clash in the
    journal would fail the transaction of every other write with it.
    """
    kind: Kind
    entity: Thing | Policy | StoredConnection
    if isinstance(write, ThingWrite):
        kind, entity, entity_id, event_id = "thing", write.thing, write.thing.thing_id, write.event.thing_id
    elif isinstance(write, ConnectionWrite):
        kind, entity = "connection", write.connection
        entity_id, event_id = write.connection.connection_id, write.event.connection_id
    else:
        kind, entity, entity_id, event_id = "policy", write.policy, write.policy.policy_id, write.event.policy_id
    event = write.event
    if entity_id != event_id:
        raise ValueError(f"event of {event_id!r} committed with {kind} {entity_id!r}")
    if not entity.revision == event.revision == write.expected_revision + 1 or write.expected_revision < 0:
        raise ValueError(
            f"revisions do not line up for {entity_id!r}: expected {write.expected_revision}, "
            f"{kind} {entity.revision}, event {event.revision}"
        )
    snapshot = None
    kept = thing_document(entity) if isinstance(entity, Thing) else entity.doc
    if keeps_snapshot(event):
        snapshot = dumps({"created": format_timestamp(entity.created), "deleted": entity.deleted, "doc": kept})
    encoded = write.encoded if isinstance(write, ThingWrite) else None
    document = dumps(kept) if encoded is None else encoded
    search_columns = None
    index_rows: tuple[IndexRowValues, ...] = ()
    index_removed: tuple[IndexScope, ...] = ()
    if kind == "thing":
        policy_id = entity.doc.get("policyId")
        search_columns = (entity_id.split(":", 1)[0], policy_id if isinstance(policy_id, str) else None)
        if index_change is not None:
            index_removed = index_change.removed
            index_rows = tuple((entity_id, *row) for row in index_change.rows)
        else:
            index_removed = EVERY_ROW
            if not entity.deleted:
                index_rows = tuple((entity_id, *row) for row in thing_index_rows(
                    entity.doc, entity.metadata if isinstance(entity, Thing) else None))
    return EncodedWrite(
        kind,
        entity_id,
        write.expected_revision,
        (entity_id, entity.revision, format_timestamp(entity.created), format_timestamp(entity.modified),
         int(entity.deleted), document),
        (entity_id, event.revision, format_timestamp(event.timestamp), event.action, format_path(event.path),
         dumps(event.value), snapshot),
        search_columns,
        index_rows,
        index_removed,
        kind == "thing" and event.action == "created" and not event.path and write.expected_revision > 0,
    )


@dataclass(frozen=True, slots=True)
class EncodedCommit:
    """A `Commit` as a backend binds it: its entity writes (things, policies, connections), policy
    indexes and history points."""

    writes: tuple[EncodedWrite, ...]
    policy_indexes: tuple[EncodedIndex, ...]
    points: tuple[PointRow, ...] = ()
    announcements: tuple[AnnouncementRow, ...] = ()


def encode_commit(commit: Commit) -> EncodedCommit:
    """Encode every write of `commit`; raises ValueError as `encode_write` does."""
    changes = {(change.thing_id, change.revision): change for change in commit.index_changes}
    writes: tuple[EntityWrite, ...] = (*commit.things, *commit.policies, *commit.connections)
    return EncodedCommit(tuple(encode_write(write, changes.get((write.thing.thing_id, write.thing.revision))
                                            if isinstance(write, ThingWrite) else None) for write in writes),
                         tuple(encode_index(index) for index in commit.policy_indexes),
                         tuple(encode_point(point) for point in commit.points),
                         tuple(encode_change(change) for change in commit.announcements))


def encode_index(index: PolicyIndex) -> EncodedIndex:
    return EncodedIndex(
        index.policy_id,
        tuple((index.policy_id, row.subject, row.path, row.depth, row.effect, row.expiry) for row in index.rows),
        tuple((index.policy_id, imported) for imported in index.imports),
    )


def format_path(path: Pointer) -> str:
    """The stored pointer string: '/' for the root, else a point's path (RFC 6901 escapes) after a '/'.

    Escaped here rather than trusting today's key rules, so any key round-trips; only an empty key
    (which Ditto refuses) could not be told apart, so it is refused.
    """
    if not path:
        return "/"
    if "" in path:
        raise ValueError("an empty key cannot be stored in a JSON pointer")
    return "/" + leaf_path(path)


def parse_path(text: str) -> Pointer:
    """The inverse of `format_path`."""
    return () if text == "/" else leaf_pointer(text[1:])


def _object(data: bytes, what: str) -> JsonObject:
    value = loads(data, max_depth=None)  # written by this store: no limit, older data may nest deeper
    if not isinstance(value, dict):
        raise ValueError(f"stored {what} is not a JSON object")
    return value


def decode_thing(thing_id: str, row: tuple[Any, ...]) -> Thing:
    """A `things` row (revision, created, modified, deleted, doc) as a Thing."""
    revision, created, modified, deleted, doc = row
    return thing_from_document(thing_id, _object(doc, "thing"), revision, read_timestamp(created),
                               read_timestamp(modified), bool(deleted))


def decode_policy(policy_id: str, row: tuple[Any, ...]) -> Policy:
    """A `policies` row (revision, created, modified, deleted, doc) as a Policy."""
    revision, created, modified, deleted, doc = row
    return Policy(policy_id, _object(doc, "policy"), revision, read_timestamp(created), read_timestamp(modified),
                  deleted=bool(deleted))


def decode_connection(connection_id: str, row: tuple[Any, ...]) -> StoredConnection:
    """A `connections` row (revision, created, modified, deleted, doc) as a StoredConnection."""
    revision, created, modified, deleted, doc = row
    return StoredConnection(connection_id, _object(doc, "connection"), revision, read_timestamp(created),
                            read_timestamp(modified), deleted=bool(deleted))


def decode_policy_entry(policy_id: str, row: tuple[Any, ...]) -> PolicyJournalEntry:
    """A `policy_journal` row (revision, timestamp, action, path, value, snapshot) as a PolicyJournalEntry."""
    revision, timestamp, action, path, value, snapshot = row
    if action not in _POLICY_ACTIONS:
        raise ValueError(f"stored policy event action {action!r} is unknown")
    moment = read_timestamp(timestamp)
    event = PolicyEvent(policy_id, _POLICY_ACTIONS[action], parse_path(path), loads(value, max_depth=None), revision,
                        moment)
    if snapshot is None:
        return PolicyJournalEntry(event, None)
    doc, created, deleted = _snapshot(snapshot)
    return PolicyJournalEntry(event, Policy(policy_id, doc, revision, created, moment, deleted=deleted))


def _snapshot(snapshot: Any) -> tuple[JsonObject, datetime, bool]:
    """A journal snapshot's document, creation time and deletion flag."""
    kept = _object(snapshot, "snapshot")
    doc, created = kept["doc"], kept["created"]
    if not isinstance(doc, dict) or not isinstance(created, str):
        raise ValueError("stored snapshot lacks its document or creation time")
    return doc, read_timestamp(created), bool(kept.get("deleted", False))


def decode_entry(thing_id: str, row: tuple[Any, ...]) -> JournalEntry:
    """A `thing_journal` row (revision, timestamp, action, path, value, snapshot) as a JournalEntry."""
    revision, timestamp, action, path, value, snapshot = row
    if action not in _ACTIONS:
        raise ValueError(f"stored event action {action!r} is unknown")
    moment = read_timestamp(timestamp)
    event = ThingEvent(thing_id, _ACTIONS[action], parse_path(path), loads(value, max_depth=None), revision, moment)
    if snapshot is None:
        return JournalEntry(event, None)
    doc, created, deleted = _snapshot(snapshot)
    return JournalEntry(event, thing_from_document(thing_id, doc, revision, created, moment, deleted))
