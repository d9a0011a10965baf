"""Times and steps of history queries: `from`/`to` as ISO-8601 or relative to now, and bucket steps.

Ranges are half-open, `[start, end)`, in UTC. The clock is an argument (`now`): this module reads none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from twinhub.history.series import micros
from twinhub.model.errors import HistoryStepInvalid, HistoryTimeInvalid

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_BUCKETS",
    "MAX_STEP",
    "MIN_STEP",
    "TimeRange",
    "bucket_count",
    "format_step",
    "parse_instant",
    "parse_range",
    "parse_span",
    "parse_step",
]

DEFAULT_WINDOW = timedelta(hours=1)  # a query without `from` covers the last hour before `to`
MIN_STEP = timedelta(seconds=1)
MAX_STEP = timedelta(days=1)
MAX_BUCKETS = 100_000  # a step that cuts the range into more buckets than this is refused

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_SPAN = re.compile(r"(?P<amount>[0-9]{1,9})(?P<unit>[smhdwy])")
_MAX_SPAN_SECONDS = timedelta.max.days * 86400
# Python's fromisoformat also takes forms ISO-8601 does not have (`2026-01-01 00:00`); require the `T` and digits.
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.,]+(Z|[+-][0-9:]+)?)?")


@dataclass(frozen=True, slots=True)
class TimeRange:
    """The half-open interval `[start, end)` of a query, both aware and in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a time range is aware")
        if self.start >= self.end:
            raise ValueError("a time range starts before it ends")

    def __contains__(self, time: datetime) -> bool:
        return self.start <= time < self.end


def parse_span(text: str, units: str = "smhd") -> timedelta | None:
    """`<n><unit>` (n of 1 to 9 ASCII digits; the unit one of `units`, from s, m, h, d, w = 7 days, y = 365 days)
    as a timedelta; None for any other text or a span longer than a timedelta holds. The one grammar of steps,
    relative times and retention durations."""
    match = _SPAN.fullmatch(text)
    if match is None or match["unit"] not in units:
        return None
    seconds = int(match["amount"]) * _UNITS[match["unit"]]
    return timedelta(seconds=seconds) if seconds <= _MAX_SPAN_SECONDS else None


def parse_instant(text: str, now: datetime) -> datetime:
    """The instant `text` names: `now`, a relative `-<n><s|m|h|d>` before `now`, or ISO-8601 (an offset or `Z`;
    without one, UTC). Raises HistoryTimeInvalid."""
    if text == "now":
        return now.astimezone(UTC)
    if text.startswith("-") and (before := parse_span(text[1:])) is not None:
        try:
            return (now - before).astimezone(UTC)
        except OverflowError as exc:
            raise HistoryTimeInvalid(text, "The relative time reaches before the year 1.") from exc
    if not _ISO.fullmatch(text):
        raise HistoryTimeInvalid(text, "Use ISO-8601 (2026-01-01T00:00:00Z), now, or -<n> with s, m, h or d.")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise HistoryTimeInvalid(text, "The ISO-8601 time does not exist.") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise HistoryTimeInvalid(text, "The time is outside the years 1 to 9999 in UTC.") from exc


def parse_range(start: str | None, end: str | None, now: datetime) -> TimeRange:
    """The range of `from` and `to` (either absent): `to` defaults to `now`, `from` to an hour before `to`.
    Raises HistoryTimeInvalid when a time does not parse or `from` is not before `to`."""
    end_time = parse_instant(end, now) if end is not None else now.astimezone(UTC)
    if start is not None:
        start_time = parse_instant(start, now)
    else:
        try:
            start_time = end_time - DEFAULT_WINDOW
        except OverflowError as exc:
            raise HistoryTimeInvalid(end or "now", "There is no hour before this time.") from exc
    if start_time >= end_time:
        raise HistoryTimeInvalid(start or "", "The range is empty: `from` must be before `to`.")
    return TimeRange(start_time, end_time)


def parse_step(text: str) -> timedelta:
    """The bucket width `<n><s|m|h|d>`, from 1s to 1d. Raises HistoryStepInvalid."""
    step = parse_span(text)
    if step is None:
        raise HistoryStepInvalid(text, "Use a whole number with s, m, h or d, as 1s, 5m, 1h or 1d.")
    if not MIN_STEP <= step <= MAX_STEP:
        raise HistoryStepInvalid(text, "The step is between 1s and 1d.")
    return step


def bucket_count(time_range: TimeRange, step: timedelta, *, limit: int = MAX_BUCKETS) -> int:
    """How many epoch-aligned buckets of `step` the range touches; raises HistoryStepInvalid past `limit`."""
    width = step // timedelta(microseconds=1)
    first = micros(time_range.start) // width
    last = (micros(time_range.end) - 1) // width  # the end is excluded
    count = last - first + 1
    if count > limit:
        raise HistoryStepInvalid(format_step(step), f"The range holds {count} buckets of this step; at most {limit}.")
    return count


def format_step(step: timedelta) -> str:
    """`step` as `parse_step` reads it, in the largest unit that divides it."""
    seconds = int(step.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"
