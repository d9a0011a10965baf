"""Raw points in pages: the reference for what each page of a raw history query holds.

Raw points are ordered by `(time, revision, path)` (unique for one thing), oldest first; a page holds the first
`limit` points of the range after the cursor's position, and continues (a next position) only when more remain.
The stores' SQL (`ORDER BY time, revision, path ... LIMIT limit + 1`) must give the same pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from twinhub.history.cursor import Position
from twinhub.history.series import RecordedPoint
from twinhub.history.timespec import TimeRange

__all__ = ["Page", "page_of", "position_of"]


@dataclass(frozen=True, slots=True)
class Page:
    """The points of one page, and where the next starts (None: this is the last page)."""

    points: Sequence[RecordedPoint]
    next: Position | None


def position_of(point: RecordedPoint) -> Position:
    """Where `point` stands in the raw order."""
    return Position(point.time, point.revision, point.path)


def page_of(points: Iterable[RecordedPoint], time_range: TimeRange, limit: int, after: Position | None = None) -> Page:
    """The page of `points` (any order) within `time_range` after `after`, at most `limit` long."""
    if limit < 1:
        raise ValueError("a page holds at least one point")
    chosen = sorted((point for point in points
                     if point.time in time_range and (after is None or position_of(point) > after)),
                    key=position_of)
    page = chosen[:limit]
    return Page(page, position_of(page[-1]) if len(chosen) > limit else None)
