"""A history point: one value of one leaf of a thing at a moment. Here in the model because a committed
thing event carries the points its commit recorded (`twinhub.model.events.ThingEvent.points`); which leaves
a change records is history's logic (`twinhub.history.points`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from twinhub.model.types import Pointer

__all__ = ["Point", "PointValue", "leaf_path", "leaf_pointer"]

PointValue = bool | int | float | str | None  # None: the leaf was removed


@dataclass(frozen=True, slots=True)
class Point:
    """One value of one leaf of a thing at a moment, written by revision `revision`.

    `path` is the leaf's JSON pointer without its leading slash (`features/temp/properties/value`), keys
    escaped as RFC 6901 does ('~' as '~0', '/' as '~1').
    """

    thing_id: str
    path: str
    time: datetime
    value: PointValue
    revision: int


def leaf_path(keys: Pointer) -> str:
    """A point's `path` for the leaf at `keys` (RFC 6901 escapes, no leading slash)."""
    return "/".join(key.replace("~", "~0").replace("/", "~1") for key in keys)


def leaf_pointer(path: str) -> Pointer:
    """The keys of a point's `path` (RFC 6901 escapes undone): the inverse of `leaf_path`."""
    return tuple(key.replace("~1", "/").replace("~0", "~") for key in path.split("/"))
