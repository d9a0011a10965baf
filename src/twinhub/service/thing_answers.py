"""What the thing service answers: a read's readable value with its tag, a write's outcome with its tag."""

from __future__ import annotations

from dataclasses import dataclass

from twinhub.model.commands import Applied, exists
from twinhub.model.etag import hash_tag, revision_tag
from twinhub.model.events import Thing
from twinhub.model.pointer import get_at
from twinhub.model.types import MISSING, JsonObject, JsonValue, Pointer
from twinhub.policy import Enforcer

__all__ = ["Executed", "Retrieved", "entity_tag"]


@dataclass(frozen=True, slots=True)
class Retrieved:
    thing: Thing
    value: JsonValue
    etag: str
    metadata: JsonObject | None = None  # the readable `_metadata` of the thing, when asked for and there is some


@dataclass(frozen=True, slots=True)
class Executed:
    applied: Applied
    etag: str | None


def entity_tag(thing: Thing | None, path: Pointer, enforcer: Enforcer | None, subjects: tuple[str, ...]) -> str | None:
    """The tag of the part of `thing` at `path` as the subjects may READ it, or None when it does not exist: a
    whole thing by its revision, a part by a hash of their READ view of it (see `twinhub.model.etag`)."""
    if not exists(thing):
        return None
    assert thing is not None
    if not path:
        return revision_tag(thing.revision)
    found = get_at(thing.doc, path)
    if found is MISSING:
        return None
    return hash_tag(MISSING if enforcer is None else enforcer.view(subjects, "thing", path, found))
