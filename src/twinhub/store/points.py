"""History points as the stores keep them (pure): one `history_points` row per point, and pages of them.

A row is (thing_id, path, t_us, revision, type, num, str): the time as microseconds since the Unix epoch
(an integer both databases sort, compare and bucket cheaply), the value by JSON type: booleans and numbers
in `num` (a double, what aggregates read), strings in `str`, and an integer beyond +-2**53 (where doubles stop
holding every integer) also as its decimal text in `str`, so every value reads back as it was written and an
integer without text is exactly its `num` (what exact integer sums in SQL rely on).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from twinhub.history import MAX_LIMIT, MAX_PATHS
from twinhub.history.points import Point, PointValue
from twinhub.history.series import from_micros
from twinhub.history.series import micros as to_micros
from twinhub.model.errors import TwinhubError
from twinhub.model.ids import parse_thing_id

__all__ = [
    "BOOLEAN",
    "DELETED",
    "FLOAT",
    "INTEGER",
    "MAX_IMPORT",
    "SAFE_INTEGER",
    "STRING",
    "PageBounds",
    "PointCursor",
    "PointPage",
    "PointRow",
    "SeriesBound",
    "decode_point",
    "encode_point",
    "from_micros",
    "import_rows",
    "make_page",
    "page_bounds",
    "to_micros",
]

PointRow = tuple[str, str, int, int, int, float | None, str | None]

# The `type` column: what JSON type the value had; DELETED marks a leaf that was removed.
DELETED, BOOLEAN, INTEGER, FLOAT, STRING = range(5)
MAX_IMPORT = 100_000  # points of one bulk import (one transaction)
SAFE_INTEGER = 2**53  # doubles hold every integer up to this size, and not every one beyond


def encode_point(point: Point) -> PointRow:
    value = point.value
    head = (point.thing_id, point.path, to_micros(point.time), point.revision)
    if value is None:
        return (*head, DELETED, None, None)
    if isinstance(value, bool):
        return (*head, BOOLEAN, float(value), None)
    if isinstance(value, int):
        return (*head, INTEGER, float(value), None if -SAFE_INTEGER <= value <= SAFE_INTEGER else str(value))
    if isinstance(value, float):
        return (*head, FLOAT, value, None)
    return (*head, STRING, None, value)


def import_rows(points: Sequence[Point]) -> list[PointRow]:
    """The rows of points for the bulk path (`Store.import_points`), which no thing command checked. Raises
    ValueError for more than `MAX_IMPORT` points, an invalid thing id, an empty path, a revision outside 0 to
    2**63 - 1, or a float that is not finite (JSON has none; the aggregates would have no exact sum)."""
    if len(points) > MAX_IMPORT:
        raise ValueError(f"an import takes at most {MAX_IMPORT} points at once")
    checked: set[str] = set()
    rows = []
    for point in points:
        if point.thing_id not in checked:
            try:
                parse_thing_id(point.thing_id)
            except TwinhubError as exc:
                raise ValueError(f"{point.thing_id!r} is not a thing id") from exc
            checked.add(point.thing_id)
        if not point.path:
            raise ValueError(f"a point of {point.thing_id!r} has no path")
        if not 0 <= point.revision < 2**63:
            raise ValueError(f"the revision {point.revision} is not one of a thing")
        if isinstance(point.value, float) and not math.isfinite(point.value):
            raise ValueError(f"the value {point.value} is no JSON number")
        rows.append(encode_point(point))
    return rows


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
    """The position after a point in the raw order (its time, revision, then path, as
    `twinhub.history.paging` orders points); its text is `<t_us>.<revision>.<path>`."""

    micros: int
    revision: int
    path: str

    def encode(self) -> str:
        return f"{self.micros}.{self.revision}.{self.path}"

    @classmethod
    def decode(cls, text: str) -> PointCursor:
        """Raises ValueError for text `encode` did not write."""
        micros, dot, rest = text.partition(".")
        revision, dot_, path = rest.partition(".")
        if not (dot and dot_) or not _is_integer(micros) or not revision.isascii() or not revision.isdigit():
            raise ValueError(f"{text!r} is not a history cursor")
        return cls(int(micros), int(revision), path)


def _is_integer(text: str) -> bool:
    digits = text.removeprefix("-")
    return digits.isascii() and digits.isdigit()


@dataclass(frozen=True, slots=True)
class PointPage:
    """Points of one thing's series, oldest first; `next` is where the following page starts (None: no more)."""

    points: tuple[Point, ...]
    next: PointCursor | None


@dataclass(frozen=True, slots=True)
class SeriesBound:
    """Where one path's rows of a page start: after (t_us, revision), exclusive."""

    path: str
    micros: int
    revision: int


@dataclass(frozen=True, slots=True)
class PageBounds:
    """A page query: per path its lower bound, the t_us upper bound (exclusive) and the rows to fetch (one more
    than the limit, to know whether more follow)."""

    series: tuple[SeriesBound, ...]
    end: int
    fetch: int


def page_bounds(paths: Sequence[str], start: datetime, end: datetime, after: PointCursor | None,
                limit: int) -> PageBounds:
    """The bounds of a page of `paths` (duplicates read once) in [start, end) after `after`.

    A page merges each path's rows, read as a range of the key (thing, path, t_us, revision): the cursor's
    (t, r, p) becomes (t, r) exclusive for a path at or before p, (t, r - 1) exclusive (so (t, r) included)
    for a path after it. Raises ValueError for no path, more than `MAX_PATHS`, or a limit below 1 or above
    `MAX_LIMIT` (a page is bounded)."""
    if limit < 1:
        raise ValueError("a page holds at least one point")
    if limit > MAX_LIMIT:
        raise ValueError(f"a page holds at most {MAX_LIMIT} points")
    unique = sorted(set(paths))
    if not unique:
        raise ValueError("a page needs at least one path")
    if len(unique) > MAX_PATHS:
        raise ValueError(f"a page reads at most {MAX_PATHS} paths")
    first = (to_micros(start), -1)  # (t, -1) < (t, r) for every revision r >= 0: t itself included
    series = []
    for path in unique:
        lower = first
        if after is not None:
            lower = max(lower, (after.micros, after.revision - 1 if path > after.path else after.revision))
        series.append(SeriesBound(path, *lower))
    return PageBounds(tuple(series), to_micros(end), limit + 1)


def make_page(thing_id: str, rows: Sequence[Sequence[object]], limit: int) -> PointPage:
    """The page of rows (path, t_us, revision, type, num, str) in page order, `limit` + 1 of them at most."""
    points = tuple(decode_point(thing_id, str(row[0]), row[1:]) for row in rows[:limit])
    if len(rows) <= limit:
        return PointPage(points, None)
    last = points[-1]
    return PointPage(points, PointCursor(to_micros(last.time), last.revision, last.path))
