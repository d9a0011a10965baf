"""The vocabulary the pure history logic works on: scalar values, timed samples, recorded points.

Storage-independent: a store's own point type fits `RecordedPoint` by having the same read-only attributes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from twinhub.model.json import dumps

__all__ = [
    "EPOCH",
    "RecordedPoint",
    "Sample",
    "Scalar",
    "format_time",
    "from_micros",
    "is_number",
    "micros",
    "sample_of",
    "scalar_json",
]

Scalar = bool | int | float | str

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Sample(NamedTuple):
    """One value of one series at one time. Samples are ordered by `(time, revision, thing_id)` (`order`), as the
    stores order them: unique within a series (a thing's path has one value per revision), and total across
    the things of a fleet aggregation, so `first` and `last` never depend on the order samples arrive in."""

    time: datetime
    value: Scalar
    revision: int = 0
    thing_id: str = ""

    @property
    def order(self) -> tuple[datetime, int, str]:
        return self.time, self.revision, self.thing_id


class RecordedPoint(Protocol):
    """A point as captured: which thing and path, when, what value, at which revision of the thing."""

    @property
    def thing_id(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def time(self) -> datetime: ...
    @property
    def value(self) -> Scalar: ...
    @property
    def revision(self) -> int: ...


def sample_of(point: RecordedPoint) -> Sample:
    """The sample a recorded point gives to aggregation."""
    return Sample(point.time, point.value, point.revision, point.thing_id)


def is_number(value: Scalar) -> bool:
    """Whether `value` counts as a number for mean, sum, min and max: booleans do not, nor NaN and infinities
    (they have no exact sum; JSON cannot carry them, so only a misuse brings them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def micros(time: datetime) -> int:
    """Whole microseconds since the Unix epoch, exactly (no float on the way); `time` must be aware."""
    return (time - EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    """The instant `value` whole microseconds after the Unix epoch, in UTC (inverse of `micros`); raises
    OverflowError outside the years 1 to 9999."""
    return EPOCH + timedelta(microseconds=value)


def format_time(time: datetime) -> str:
    """ISO-8601 in UTC with `Z`: whole seconds when there are no microseconds, else six fraction digits."""
    spec = "seconds" if not time.microsecond else "microseconds"
    if time.tzinfo is not UTC:  # a bucket start or a point read back is in UTC already: no conversion
        time = time.astimezone(UTC)
    return time.isoformat(timespec=spec)[:-6] + "Z"  # "+00:00" written as "Z"


def scalar_json(value: Scalar) -> str:
    """`value` as JSON text, integers of any size included (orjson stops at 64 bits)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return dumps(value).decode()
