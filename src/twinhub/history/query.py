"""The parameters of a history query, parsed and bounded: range, paths, step and aggregation, page size, cursor.

Parameters come as the query string gives them (`Mapping[str, str]`); the clock is an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from twinhub.history.aggregate import Aggregation
from twinhub.history.timespec import TimeRange, bucket_count, parse_range, parse_step
from twinhub.model.errors import HistoryAggregationInvalid, HistoryLimitInvalid, HistoryPathsInvalid
from twinhub.model.pointer import format_pointer, parse_pointer

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_PATHS",
    "HistoryQuery",
    "parse_agg",
    "parse_paths",
    "parse_query",
    "requested_paths",
]

MAX_PATHS = 100  # paths of one request
DEFAULT_LIMIT = 1_000  # raw points of one page
MAX_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """A parsed query: raw points when `step` is None (paged by `limit` and `cursor`), else `agg` per bucket."""

    range: TimeRange
    paths: tuple[str, ...]
    step: timedelta | None
    agg: Aggregation | None
    limit: int
    cursor: str | None

    @property
    def aggregated(self) -> bool:
        return self.step is not None


def parse_paths(text: str) -> tuple[str, ...]:
    """The comma-separated JSON pointers of `paths`, normalised (`/a/b`), duplicates dropped, order kept.
    Raises HistoryPathsInvalid (empty, the root, too many) or JsonPointerInvalid / JsonKeyInvalid."""
    parts = text.split(",")
    if len(parts) > MAX_PATHS:
        raise HistoryPathsInvalid(text, f"At most {MAX_PATHS} paths are queried at once.")
    paths: dict[str, None] = {}
    for part in parts:
        pointer = parse_pointer(part)
        if not pointer:
            raise HistoryPathsInvalid(text, "Each path names a value below the thing's root, as /attributes/x.")
        paths[format_pointer(pointer)] = None
    return tuple(paths)


def requested_paths(params: Mapping[str, str], path: str | None) -> tuple[str, ...]:
    """The paths of a request: `path` (the one the URL names, if any), then those of `paths`, as `parse_paths`
    gives them. Raises HistoryPathsInvalid when there are none, and what `parse_paths` raises."""
    given = ",".join(text for text in (path, params.get("paths")) if text is not None)
    if not given:
        raise HistoryPathsInvalid("", "Name a path in the URL or with paths=.")
    return parse_paths(given)


def parse_agg(text: str) -> Aggregation:
    """The aggregation `text` names; raises HistoryAggregationInvalid."""
    try:
        return Aggregation(text)
    except ValueError as exc:
        names = ", ".join(agg.value for agg in Aggregation)
        raise HistoryAggregationInvalid(text, f"Use one of {names}.") from exc


def _parse_limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise HistoryLimitInvalid(text, f"The limit is a whole number from 1 to {MAX_LIMIT}.")
    return int(text)


def parse_query(params: Mapping[str, str], now: datetime, *, path: str | None = None) -> HistoryQuery:
    """The query of `params` (`from`, `to`, `paths`, `step`, `agg`, `limit`, `cursor`); `path` is the one the
    URL names, if any, and comes before those of `paths`. `step` without `agg` means mean; `agg` without `step`,
    and `cursor` with `step`, are refused. Raises the History*Invalid errors (400)."""
    time_range = parse_range(params.get("from"), params.get("to"), now)
    paths = requested_paths(params, path)
    step_text, agg_text, cursor = params.get("step"), params.get("agg"), params.get("cursor")
    step = agg = None
    if step_text is not None:
        step = parse_step(step_text)
        bucket_count(time_range, step)
        agg = parse_agg(agg_text) if agg_text is not None else Aggregation.MEAN
        if cursor is not None:
            raise HistoryAggregationInvalid(agg.value, "Aggregated series are not paged; drop the cursor.")
    elif agg_text is not None:
        raise HistoryAggregationInvalid(agg_text, "An aggregation needs a step, as step=1m.")
    return HistoryQuery(time_range, paths, step, agg, _parse_limit(params.get("limit")), cursor)
