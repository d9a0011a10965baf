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

from dataclasses import dataclass
from typing import Final, NamedTuple

from twinhub.model.pointer import format_pointer
from twinhub.model.policy import READ, split_resource_key, strings, subjects_of
from twinhub.model.types import JsonObject, JsonValue

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


def thing_index_rows(doc: JsonObject) -> list[IndexRow]:
    rows: list[IndexRow] = []
    for root in INDEXED_ROOTS:
        if root in doc:
            _walk(doc[root], "/" + root, "/" + root, rows, feature_level=root == "features")
    return rows


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
    "ARRAY", "BOOLEAN", "NULL", "NUMBER", "OBJECT", "STRING", "IndexRow", "PolicyIndex", "PolicyIndexRow",
    "policy_index_rows", "thing_index_rows",
]
