"""Partials computed in the database (pure): the request both backends' bucket SQL takes, and its rows turned into
`twinhub.history.Partial` exactly as `Partial.of` makes them from the same samples.

The SQL aggregates each bucket by value class, so that every number stays exact where `Partial.of` is exact:

- integers without text (`store.points`: exactly their `num`, at most 2**53): their sum as an exact integer, and
  their least and greatest `num`;
- integers with text (beyond 2**53): their exact sum, least and greatest (PostgreSQL numeric; SQLite an
  aggregate of this package);
- floats: their least and greatest, and their double sum in two parts, those below 2**512 and those above it
  scaled by 2**-512, so that no sum of finite doubles overflows. Only this sum is not exact: the database adds
  doubles (the result is within a few units in the last place per sample of the exact sum).

Ties of an integer and a float of equal value resolve to the integer, as `Partial.of` does. First and last of a
series are its first and last time with the least and greatest revision there; of a group of things, the least
and greatest of a key that sorts as (time, revision, thing id) (`twinhub.store.keys`). Their values are read back
by primary key in the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, NamedTuple

from twinhub.history import MAX_BUCKETS, MAX_FLEET_THINGS, FleetPartials, Partial, Sample
from twinhub.store.points import decode_point, from_micros, to_micros

__all__ = ["LARGE", "BucketRequest", "BucketRow", "SeriesBuckets", "bucket_request",
           "fleet_partials", "partial_of", "sample_of_row"]

LARGE = 2.0**512  # floats at or beyond this are summed scaled by 1 / LARGE, so that no double sum overflows
_LARGE = Fraction(LARGE)


class BucketRequest(NamedTuple):
    """A bucket query as SQL binds it: (thing id, group index) per distinct thing of each group, the range in
    microseconds since the epoch ([start, end)) and the bucket width in microseconds."""

    members: tuple[tuple[str, int], ...]
    groups: int
    start: int
    end: int
    width: int


class BucketRow(NamedTuple):
    """One bucket of one group as the SQL gives it (see the module docstring); `first` and `last` are samples."""

    group: int
    bucket: int
    samples: int
    numbers: int
    floats: int
    small_sum: int | None
    small_min: float | None
    small_max: float | None
    big_sum: int | None
    big_min: int | None
    big_max: int | None
    float_sum: float | None
    float_sum_large: float | None
    float_min: float | None
    float_max: float | None
    first: Sample
    last: Sample


def bucket_request(groups: Sequence[Sequence[str]], start: datetime, end: datetime, step: timedelta) -> BucketRequest:
    """The request for buckets of `step` in [start, end) of each group's things (duplicates within a group count
    once). Raises ValueError for more than `MAX_FLEET_THINGS` ids in all, a step below a microsecond, or a range
    of more than `MAX_BUCKETS` buckets."""
    if sum(len(group) for group in groups) > MAX_FLEET_THINGS:
        raise ValueError(f"a fleet query reads at most {MAX_FLEET_THINGS} things")
    width = step // timedelta(microseconds=1)
    if width < 1:
        raise ValueError("a bucket is at least a microsecond wide")
    first, last = to_micros(start), to_micros(end)
    if last > first and (last - 1) // width - first // width + 1 > MAX_BUCKETS:
        raise ValueError(f"a range holds at most {MAX_BUCKETS} buckets")
    members = tuple((thing_id, index) for index, group in enumerate(groups) for thing_id in dict.fromkeys(group))
    return BucketRequest(members, len(groups), first, last, width)


def sample_of_row(columns: Sequence[Any]) -> Sample:
    """The sample of a bucket's first or last row: (t_us, revision, thing id, type, num, str)."""
    micros, revision, thing_id, *value = columns
    point = decode_point(str(thing_id), "", (micros, revision, *value))
    if point.value is None:
        raise ValueError("a deletion marker is no sample")
    return Sample(point.time, point.value, point.revision, point.thing_id)


def fleet_partials(request: BucketRequest, things: Sequence[tuple[int, int]],
                   rows: Sequence[BucketRow]) -> list[FleetPartials]:
    """Per group, in order: how many things have samples (`things`: (group, count) pairs) and the partials of
    its bucket rows."""
    counts = dict(things)
    partials: list[dict[datetime, Partial]] = [{} for _ in range(request.groups)]
    for row in sorted(rows, key=lambda row: (row.group, row.bucket)):
        partials[row.group][from_micros(row.bucket)] = partial_of(row)
    return [FleetPartials(counts.get(index, 0), group) for index, group in enumerate(partials)]


def partial_of(row: BucketRow) -> Partial:
    """The partial `Partial.of` gives for the samples of the bucket `row` sums up."""
    if row.numbers < row.samples:
        return Partial(row.samples, None, False, None, None, row.first, row.last)
    # each extreme on its own: in a row combining rollup rows, the least may be an integer and the greatest a float
    lows: list[int | float] = [int(low) for low in (row.small_min, row.big_min) if low is not None]
    highs: list[int | float] = [int(high) for high in (row.small_max, row.big_max) if high is not None]
    if row.float_min is not None:
        lows.append(float(row.float_min))
    if row.float_max is not None:
        highs.append(float(row.float_max))
    # of equal numbers (1 and 1.0) the integer, as Partial.of
    minimum = min(lows, key=lambda number: (number, not isinstance(number, int)))
    maximum = max(highs, key=lambda number: (number, isinstance(number, int)))
    integers = (row.small_sum or 0) + (row.big_sum or 0)
    total = Fraction(integers)
    if row.floats:  # (Fraction arithmetic is the cost here: only what is there)
        if row.float_sum:
            total += Fraction(row.float_sum)
        if row.float_sum_large:
            total += Fraction(row.float_sum_large) * _LARGE
    return Partial(row.samples, total, row.floats == 0, minimum, maximum, row.first, row.last)


class SeriesBuckets:
    """`Store.buckets` for a store with `Store.fleet_buckets`: one series is the only thing of the only group."""

    async def fleet_buckets(self, groups: Sequence[Sequence[str]], path: str, *, start: datetime, end: datetime,
                            step: timedelta) -> list[FleetPartials]:
        raise NotImplementedError

    async def buckets(self, thing_id: str, path: str, *, start: datetime, end: datetime,
                      step: timedelta) -> dict[datetime, Partial]:
        """See `Store.buckets`."""
        return (await self.fleet_buckets([[thing_id]], path, start=start, end=end, step=step))[0].partials
