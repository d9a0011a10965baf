"""A history point: one value of one leaf of a thing at a moment. Here in the model because a committed
thing event carries the points its commit recorded (`twinhub.model.events.ThingEvent.points`); which leaves
a change records is history's logic (`twinhub.history.points`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Point", "PointValue"]

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
