"""The search index, as rows both store backends write in the same transaction as the entity (pure).

A thing becomes one row per JSON node under `attributes`, `definition` and each feature: objects and
arrays get a row of their own (for `exists` and `empty`), array elements are indexed under the array's
path (any-element matching, positions dropped, as Ditto's search does), scalars carry their value.

A policy becomes one row per (subject, READ grant or revoke on a `thing:` resource), so that search can
ask, inside its SQL, whether the caller may read a thing or a field: grants and revokes carry the depth
of their resource, and a field is readable when the deepest grant on its path outranks the deepest
revoke (Ditto's trie, for READ). Entries restricted to namespaces only contribute their revokes: search
never shows more than the enforcer would, at worst less.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, NamedTuple

from twinhub.model.events import ThingWrite
from twinhub.model.merge import json_equal
from twinhub.model.pointer import format_pointer
from twinhub.model.policy import READ, split_resource_key, strings, subjects_of
from twinhub.model.types import MISSING, JsonObject, JsonValue, Missing

# Types, in the order mixed values sort in (MongoDB's bracket order, which Ditto's search inherits).
NULL: Final = 0
NUMBER: Final = 1
STRING: Final = 2
OBJECT: Final = 3
ARRAY: Final = 4
BOOLEAN: Final = 5

INDEXED_ROOTS: Final = ("attributes", "definition", "features")


class IndexRow(NamedTuple):
    """One node of a thing: `path` like `/attributes/a/b`, `wpath` the same with the feature id as `*`.

    A tuple, as it goes straight into the database driver (one per node of every thing written).
    """

    path: str
    wpath: str
    type: int
    value: int | float | str | None
    empty: int


@dataclass(frozen=True, slots=True)
class PolicyIndexRow:
    """A READ grant (effect 1) or revoke (-1) of a subject on `thing:<path>` (`path` '' is `thing:/`)."""

    subject: str
    path: str
    depth: int
    effect: int
    expiry: str | None


@dataclass(frozen=True, slots=True)
class PolicyIndex:
    """What search knows of one policy: its READ rows (imports resolved) and the policies it imports.

    Committed with the policy, and again for each importer whenever an imported policy changes.
    """

    policy_id: str
    rows: tuple[PolicyIndexRow, ...]
    imports: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IndexScope:
    """Index rows of one thing that a write replaces: the row at `path` and, if `subtree`, every row below it
    (`path` '' with `subtree`: all of the thing's rows)."""

    path: str
    subtree: bool


EVERY_ROW: Final = (IndexScope("", True),)


@dataclass(frozen=True, slots=True)
class ThingIndexChange:
    """How one thing write changes its search index rows: the rows in `removed` go, `rows` come (written after
    the removal). A write without one replaces all of its thing's rows."""

    thing_id: str
    revision: int
    removed: tuple[IndexScope, ...]
    rows: tuple[IndexRow, ...]


METADATA_ROOT: Final = "/_metadata"


def thing_index_rows(doc: JsonObject, metadata: JsonObject | None = None) -> list[IndexRow]:
    """Every index row of a thing: its data, and its metadata under `/_metadata` (searched as Ditto's
    `_metadata/<ptr>` fields)."""
    rows: list[IndexRow] = []
    for root in INDEXED_ROOTS:
        if root in doc:
            _walk(doc[root], "/" + root, "/" + root, rows, feature_level=root == "features")
    if metadata is not None:
        _walk(metadata, METADATA_ROOT, METADATA_ROOT, rows)
    return rows


@dataclass(slots=True)
class _Change:
    removed: list[IndexScope] = field(default_factory=list)
    rows: list[IndexRow] = field(default_factory=list)


def thing_index_change(write: ThingWrite, before: JsonObject | None,
                       before_metadata: JsonObject | None = None) -> ThingIndexChange:
    """The index rows `write` changes, `before` being its thing's document at the expected revision (None: no
    thing, or a tombstone), whose rows the store holds when the write passes its compare-and-set.

    Only the branch at the event's path is compared, as a command changes nothing outside it (a property write
    costs that property, not the thing); within it, unchanged subtrees (shared by a merge, or equal) write
    nothing, and a node that changed its JSON type has all of its rows replaced. The thing's metadata
    (`before_metadata` before) is compared whole, where it changed at all (only things with metadata pay).
    """
    change = _Change()
    old: JsonObject = before or {}
    new: JsonObject = {} if write.thing.deleted else write.thing.doc
    under = write.event.path
    for root in (under[:1] if under else INDEXED_ROOTS):
        if root in INDEXED_ROOTS:
            _compare(old.get(root, MISSING), new.get(root, MISSING), "/" + root, "/" + root, change,
                     feature_level=root == "features", under=under[1:])
    metadata = None if write.thing.deleted else write.thing.metadata
    if metadata is not before_metadata:
        _compare(MISSING if before_metadata is None else before_metadata, MISSING if metadata is None else metadata,
                 METADATA_ROOT, METADATA_ROOT, change, feature_level=False, under=())
    return ThingIndexChange(write.thing.thing_id, write.thing.revision, tuple(change.removed), tuple(change.rows))


def _compare(old: JsonValue | Missing, new: JsonValue | Missing, path: str, wpath: str, change: _Change, *,
             feature_level: bool, under: tuple[str, ...]) -> None:
    """Record in `change` how the rows at and below `path` differ from `old` to `new` (MISSING: absent); where
    `under` names a key, only that child can differ."""
    if old is new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        if (not old) != (not new):  # the object's own row says whether it is empty
            change.removed.append(IndexScope(path, False))
            change.rows.append(IndexRow(path, wpath, OBJECT, None, 0 if new else 1))
        keys = under[:1] if under else [*new, *(key for key in old if key not in new)]
        for key in keys:
            escaped = _escape(key)
            _compare(old.get(key, MISSING), new.get(key, MISSING), f"{path}/{escaped}",
                     f"{wpath}/*" if feature_level else f"{wpath}/{escaped}", change,
                     feature_level=False, under=under[1:])
    elif isinstance(old, Missing) or isinstance(new, Missing) or not json_equal(old, new):
        change.removed.append(IndexScope(path, True))
        if not isinstance(new, Missing):
            _walk(new, path, wpath, change.rows, feature_level=feature_level)


def _escape(key: str) -> str:
    # As `format_pointer`, so index and query paths agree.
    return key.replace("~", "~0") if "~" in key else key


def _walk(value: JsonValue, path: str, wpath: str, rows: list[IndexRow], *, feature_level: bool = False) -> None:
    if isinstance(value, dict):
        rows.append(IndexRow(path, wpath, OBJECT, None, 0 if value else 1))
        for key, child in value.items():
            child_path = f"{path}/{_escape(key)}"
            child_wpath = f"{wpath}/*" if feature_level else f"{wpath}/{_escape(key)}"
            _walk(child, child_path, child_wpath, rows)
    elif isinstance(value, list):
        rows.append(IndexRow(path, wpath, ARRAY, None, 0 if value else 1))
        for element in value:
            _walk_element(element, path, wpath, rows)
    else:
        rows.append(_scalar(value, path, wpath))


def _walk_element(value: JsonValue, path: str, wpath: str, rows: list[IndexRow]) -> None:
    """Array elements live at the array's path; nested arrays are flattened into it."""
    if isinstance(value, list):
        for element in value:
            _walk_element(element, path, wpath, rows)
    elif isinstance(value, dict):
        for key, child in value.items():
            _walk(child, f"{path}/{_escape(key)}", f"{wpath}/{_escape(key)}", rows)
    else:
        rows.append(_scalar(value, path, wpath))


def _scalar(value: JsonValue, path: str, wpath: str) -> IndexRow:
    if isinstance(value, str):
        return IndexRow(path, wpath, STRING, value, 0 if value else 1)
    if value is None:
        return IndexRow(path, wpath, NULL, None, 1)
    if value is True or value is False:
        return IndexRow(path, wpath, BOOLEAN, int(value), 0)
    assert isinstance(value, int | float)
    return IndexRow(path, wpath, NUMBER, value, 0)


def policy_index_rows(entries: list[tuple[str, JsonObject]]) -> list[PolicyIndexRow]:
    """The READ rows of resolved policy entries (local and imported, see `resolved_entries`)."""
    rows: set[PolicyIndexRow] = set()
    for _label, entry in entries:
        restricted = bool(entry.get("namespaces"))
        resources = entry.get("resources")
        if not isinstance(resources, dict):
            continue
        for key, permissions in resources.items():
            resource_type, pointer = split_resource_key(key)
            if resource_type != "thing" or not isinstance(permissions, dict):
                continue
            path = format_pointer(pointer) if pointer else ""
            depth = len(pointer)
            effects = []
            if READ in strings(permissions.get("grant")) and not restricted:
                effects.append(1)
            if READ in strings(permissions.get("revoke")):
                effects.append(-1)
            for subject_id, subject in subjects_of(entry).items():
                expiry = subject.get("expiry") if isinstance(subject, dict) else None
                for effect in effects:
                    rows.add(PolicyIndexRow(subject_id, path, depth, effect,
                                            expiry if isinstance(expiry, str) else None))
    return sorted(rows, key=lambda row: (row.subject, row.path, row.effect))


__all__ = [
    "ARRAY", "BOOLEAN", "EVERY_ROW", "NULL", "NUMBER", "OBJECT", "STRING", "IndexRow", "IndexScope", "PolicyIndex",
    "PolicyIndexRow", "ThingIndexChange", "policy_index_rows", "thing_index_change", "thing_index_rows",
]
