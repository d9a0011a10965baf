"""Where RQL's fields and literals live in the search tables: a few fields are columns of `things`, the others
index rows at a path (`twinhub.store.index`), and a literal compares only with rows of its JSON type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from twinhub.model.pointer import format_pointer
from twinhub.rql.fields import FieldPath
from twinhub.store.index import BOOLEAN, NULL, NUMBER, STRING
from twinhub.store.search.sql import SqlValue

__all__ = ["COLUMNS", "Column", "Target", "json_type", "stored", "target"]


@dataclass(frozen=True, slots=True)
class Column:
    """A field kept in a `things` column: its JSON type, and the path READ must reach, if any."""

    expr: str
    type: int
    nullable: bool = False
    guard: str | None = None
    timestamp: bool = False

    def literal(self, value: object) -> SqlValue:
        """`value` as the column stores it (timestamps in their stored form)."""
        return _timestamp(value) if self.timestamp and isinstance(value, str) else stored(value)


# thingId, namespace, _revision, _created, _modified need no READ (Ditto's allow-list); policyId does.
COLUMNS: Final = {
    "thingId": Column("t.thing_id", STRING),
    "namespace": Column("t.namespace", STRING, nullable=True),
    "policyId": Column("t.policy_id", STRING, nullable=True, guard="/policyId"),
    "revision": Column("t.revision", NUMBER),
    "created": Column("t.created", STRING, nullable=True, timestamp=True),
    "modified": Column("t.modified", STRING, nullable=True, timestamp=True),
}


@dataclass(frozen=True, slots=True)
class Target:
    """The index rows of a field: at `path`, or with `wildcard`, at `wpath` (the feature id as `*`)."""

    path: str
    wildcard: bool


def target(field: FieldPath) -> Target:
    if field.kind == "definition":
        return Target("/definition", False)
    pointer = field.pointer
    return Target(format_pointer(pointer), len(pointer) > 1 and pointer[0] == "features" and pointer[1] == "*")


def stored(value: object) -> SqlValue:
    """A literal as the index stores it (booleans as 0/1); placeholders must be resolved before."""
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, int | float | str):
        return value
    raise TypeError(f"not a resolved RQL value: {value!r}")


def json_type(value: object) -> int:
    """The index row type a literal compares with."""
    stored(value)
    return BOOLEAN if isinstance(value, bool) else NULL if value is None else STRING if isinstance(value, str) \
        else NUMBER


def _timestamp(text: str) -> str:
    """An ISO timestamp in the stored form (UTC, microseconds, `Z`), so that it compares as text."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return text if moment.tzinfo is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
