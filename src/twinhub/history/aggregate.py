"""Bucketing and aggregation of samples in memory: the reference semantics the stores' SQL must match.

A bucket of width `step` starts at `floor((t - epoch) / step) * step` after the Unix epoch, in UTC (no DST,
no calendar); only buckets with samples appear. Each bucket keeps a `Partial`: count, exact sum, minimum,
maximum, and the first and last sample with their times. Partials of fine buckets combine into coarser ones
(`rollup`) to exactly what the samples give directly, which downsampling builds on.

mean, sum, min and max take numbers only (booleans are no numbers); count, first and last take any scalar.
Sums are exact (`Fraction`), so neither the order of samples nor the way they were rolled up changes a result:
the sum of integers is an integer, any other sum and every mean are the exact value rounded once to a float.

For the stores' SQL: with `t` the time in microseconds since the epoch and `w` the step in microseconds, the
bucket starts at `t - ((t % w) + w) % w` (SQL's `%` and integer `/` truncate toward zero, which differs from
the floor before 1970); first and last order by time, revision, thing id.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from twinhub.history.series import Sample, Scalar, format_time, from_micros, is_number, micros
from twinhub.history.timespec import format_step
from twinhub.model.errors import HistoryAggregationInvalid, HistoryStepInvalid

__all__ = ["Aggregation", "Bucket", "Partial", "aggregate", "bucket_start", "finish", "partials", "rollup"]

Bucket = list[str | Scalar]  # [bucket_start_iso, value], as the API answers it


class Aggregation(enum.StrEnum):
    """What a bucket's samples become."""

    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    SUM = "sum"
    COUNT = "count"
    FIRST = "first"
    LAST = "last"

    @property
    def numeric(self) -> bool:
        """Whether it takes numbers only."""
        return self in _NUMERIC


_NUMERIC = frozenset({Aggregation.MEAN, Aggregation.MIN, Aggregation.MAX, Aggregation.SUM})


@dataclass(frozen=True, slots=True)
class Partial:
    """What a bucket's samples aggregate to, in a form that combines exactly with another bucket's.

    `total`, `minimum` and `maximum` are None unless every sample is a number; `integral` says every sample
    was an integer. `first` and `last` are samples (`Sample.order` orders them).
    """

    count: int
    total: Fraction | None
    integral: bool
    minimum: int | float | None
    maximum: int | float | None
    first: Sample
    last: Sample

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Partial:
        """The partial of a bucket's samples (at least one), in any order."""
        if not samples:
            raise ValueError("a partial needs a sample")
        first, last = min(samples, key=_order), max(samples, key=_order)
        values = [sample.value for sample in samples]
        numbers = [value for value in values if is_number(value) and isinstance(value, int | float)]
        if len(numbers) < len(values):
            return cls(len(values), None, False, None, None, first, last)
        integral = all(isinstance(number, int) for number in numbers)
        total = Fraction(sum(numbers)) if integral else sum(map(Fraction, numbers), Fraction(0))
        # of equal numbers (1 and 1.0) the integer, so that the answer does not depend on the order
        minimum = min(numbers, key=lambda number: (number, not isinstance(number, int)))
        maximum = max(numbers, key=lambda number: (number, isinstance(number, int)))
        return cls(len(values), total, integral, minimum, maximum, first, last)

    def combine(self, other: Partial) -> Partial:
        """The partial of both buckets' samples together."""
        first = min(self.first, other.first, key=_order)
        last = max(self.last, other.last, key=_order)
        count = self.count + other.count
        if (self.total is None or other.total is None or self.minimum is None or other.minimum is None
                or self.maximum is None or other.maximum is None):
            return Partial(count, None, False, None, None, first, last)
        return Partial(count, self.total + other.total, self.integral and other.integral,
                       _extreme(self.minimum, other.minimum, -1), _extreme(self.maximum, other.maximum, 1), first, last)


def _extreme(a: int | float, b: int | float, sign: int) -> int | float:
    """The larger (`sign` 1) or smaller (-1) of two numbers; of equal ones (1 and 1.0) the integer, so that
    the answer does not depend on which came first."""
    if a == b:
        return a if isinstance(a, int) else b
    return a if (a > b) == (sign > 0) else b


def _order(sample: Sample) -> tuple[datetime, int, str]:
    return sample.order


def bucket_start(time: datetime, step: timedelta) -> datetime:
    """The start of the bucket of width `step` that holds `time`, aligned to the Unix epoch."""
    width = step // timedelta(microseconds=1)
    return from_micros((micros(time) // width) * width)


def partials(samples: Iterable[Sample], step: timedelta) -> dict[datetime, Partial]:
    """The partial of every bucket that has samples, by bucket start, oldest first."""
    width = step // timedelta(microseconds=1)
    grouped: dict[int, list[Sample]] = {}
    for sample in samples:
        grouped.setdefault(micros(sample.time) // width, []).append(sample)
    return {from_micros(index * width): Partial.of(members)
            for index, members in sorted(grouped.items())}


def rollup(fine: Mapping[datetime, Partial], step: timedelta, coarse: timedelta) -> dict[datetime, Partial]:
    """The partials of buckets of width `coarse` from those of width `step`; `coarse` must be a whole multiple
    of `step` (else a fine bucket would straddle two coarse ones): raises HistoryStepInvalid otherwise."""
    if coarse < step or coarse % step:
        raise HistoryStepInvalid(format_step(coarse), f"A rollup needs a multiple of the step {format_step(step)}.")
    combined: dict[datetime, Partial] = {}
    for start, partial in fine.items():
        if bucket_start(start, step) != start:
            raise ValueError(f"{start} starts no bucket of {step}")
        target = bucket_start(start, coarse)
        combined[target] = combined[target].combine(partial) if target in combined else partial
    return dict(sorted(combined.items()))


def finish(partial: Partial, agg: Aggregation) -> Scalar:
    """The value of `agg` over a bucket; raises HistoryAggregationInvalid when `agg` takes numbers and the
    bucket holds anything else."""
    if agg is Aggregation.COUNT:
        return partial.count
    if agg is Aggregation.FIRST:
        return partial.first.value
    if agg is Aggregation.LAST:
        return partial.last.value
    if partial.total is None or partial.minimum is None or partial.maximum is None:
        raise HistoryAggregationInvalid(agg.value, f"{agg.value} takes numbers only; use count, first or last.")
    if agg is Aggregation.MIN:
        return partial.minimum
    if agg is Aggregation.MAX:
        return partial.maximum
    if agg is Aggregation.SUM:
        return int(partial.total) if partial.integral else float(partial.total)
    # MEAN: the exact quotient, rounded once (int / int is correctly rounded; faster than a Fraction quotient)
    return partial.total.numerator / (partial.total.denominator * partial.count)


def aggregate(samples: Iterable[Sample], step: timedelta, agg: Aggregation) -> list[Bucket]:
    """`[bucket_start_iso, value]` per bucket of `step` that has samples, oldest first."""
    return [[format_time(start), finish(partial, agg)] for start, partial in partials(samples, step).items()]
