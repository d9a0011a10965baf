"""History points as the stores keep them (pure): one `history_points` row per point, and pages of them.

A row is (thing_id, path, t_us, revision, type, num, str): the time as microseconds since the Unix epoch
(an integer both databases sort, compare and bucket cheaply), the value by JSON type: booleans and numbers
in `num` (a double, what aggregates read), strings in `str`, and an integer a double cannot hold exactly
also as its decimal text in `str`, so every value reads back as it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from twinhub.history import MAX_LIMIT
from twinhub.history.points import Point, PointValue
from twinhub.history.series import from_micros
from twinhub.history.series import micros as to_micros

__all__ = ["PointCursor", "PointPage", "PointRow", "decode_point", "encode_point",
           "from_micros", "make_page", "page_bounds", "to_micros"]

PointRow = tuple[str, str, int, int, int, float | None, str | None]

# The `type` column: what JSON type the value had; DELETED marks a leaf that was removed.
DELETED, BOOLEAN, INTEGER, FLOAT, STRING = range(5)


def encode_point(point: Point) -> PointRow:
    value = point.value
    head = (point.thing_id, point.path, to_micros(point.time), point.revision)
    if value is None:
        return (*head, DELETED, None, None)
    if isinstance(value, bool):
        return (*head, BOOLEAN, float(value), None)
    if isinstance(value, int):
        approximate = float(value)
        return (*head, INTEGER, approximate, None if approximate == value else str(value))
    if isinstance(value, float):
        return (*head, FLOAT, value, None)
    return (*head, STRING, None, value)


def decode_point(thing_id: str, path: str, row: Sequence[object]) -> Point:
    """A point from the columns (t_us, revision, type, num, str) of its row."""
    micros, revision, kind, number, text = row
    assert isinstance(micros, int) and isinstance(revision, int)
    value: PointValue
    if kind == BOOLEAN:
        value = bool(number)
    elif kind == INTEGER:
        value = int(text) if isinstance(text, str) else int(_number(number))
    elif kind == FLOAT:
        value = _number(number)
    elif kind == STRING:
        value = str(text)
    elif kind == DELETED:
        value = None
    else:
        raise ValueError(f"stored point type {kind!r} is unknown")
    return Point(thing_id, path, from_micros(micros), value, revision)


def _number(number: object) -> float:
    if not isinstance(number, int | float):
        raise ValueError(f"stored point number {number!r} is not a number")
    return float(number)


@dataclass(frozen=True, slots=True, order=True)
class PointCursor:
    """The position after a point in a series (its time, then its revision); its text is `<t_us>.<revision>`."""

    micros: int
    revision: int

    def encode(self) -> str:
        return f"{self.micros}.{self.revision}"

    @classmethod
    def decode(cls, text: str) -> PointCursor:
        """Raises ValueError for text `encode` did not write."""
        micros, dot, revision = text.partition(".")
        if not dot or not micros.lstrip("-").isdigit() or not revision.isdigit():
            raise ValueError(f"{text!r} is not a history cursor")
        return cls(int(micros), int(revision))


@dataclass(frozen=True, slots=True)
class PointPage:
    """Points of one series, oldest first; `next` is where the following page starts (None: no more)."""

    points: tuple[Point, ...]
    next: PointCursor | None


def page_bounds(start: datetime, end: datetime, after: PointCursor | None, limit: int) -> tuple[int, int, int, int]:
    """The query's (t_us, revision) lower bound (exclusive), its t_us upper bound (exclusive) and the rows to
    fetch (one more than `limit`, to know whether more follow). Raises ValueError for a limit below 1 or above
    the history queries' `MAX_LIMIT` (a page is bounded)."""
    if limit < 1:
        raise ValueError("a page holds at least one point")
    if limit > MAX_LIMIT:
        raise ValueError(f"a page holds at most {MAX_LIMIT} points")
    lower = PointCursor(to_micros(start), -1)  # (t, -1) < (t, r) for every revision r >= 0: t itself included
    if after is not None and after > lower:
        lower = after
    return lower.micros, lower.revision, to_micros(end), limit + 1


def make_page(thing_id: str, path: str, rows: Sequence[Sequence[object]], limit: int) -> PointPage:
    points = tuple(decode_point(thing_id, path, row) for row in rows[:limit])
    if len(rows) <= limit:
        return PointPage(points, None)
    last = points[-1]
    return PointPage(points, PointCursor(to_micros(last.time), last.revision))
