"""History rollups as the stores keep them (pure): one `history_rollups` row per thing, path, width and bucket.

A row is what `twinhub.history.Partial` needs, in columns a SQL upsert can combine with another row:

    count, numbers (of the samples that are numbers), floats (of those, the non-integers),
    isum (exact sum of the integers), fsum (double sum of the floats),
    min_* and max_* (type, num, str of the extreme number), first_* and last_* (t_us, revision, type, num, str)

Values are encoded as in `history_points` (`twinhub.store.points`). A batch's points are combined here per row key
first (one upsert per key and width, as PostgreSQL's ON CONFLICT allows only one per row and statement); the
store's upsert then combines that with the stored row (`on_conflict`). Deletion markers are not rolled up.

Integer extremes always carry their decimal text (`*_str`), so that two compare exactly. Exactness: count,
first, last, min and max are exact (but for a float and a different integer beyond 2**53 that round to the same
double, and on SQLite integers beyond 64 bits); integer sums are exact (PostgreSQL `numeric`; SQLite 64-bit,
beyond which they turn into doubles); float sums are double sums (tests compare them with a relative tolerance
of 1e-9).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from twinhub.history.aggregate import Partial
from twinhub.history.series import Sample
from twinhub.store.points import DELETED, FLOAT, INTEGER, PointRow, decode_point, from_micros

__all__ = ["COLUMNS", "RollupRow", "decode_partial", "on_conflict", "rollup_rows", "width_micros"]

RollupRow = tuple[Any, ...]  # the COLUMNS in order

COLUMNS = ("thing_id", "path", "width_us", "bucket_us", "count", "numbers", "floats", "isum", "fsum",
           "min_type", "min_num", "min_str", "max_type", "max_num", "max_str",
           "first_t", "first_rev", "first_type", "first_num", "first_str",
           "last_t", "last_rev", "last_type", "last_num", "last_str")
_VALUE = ("type", "num", "str")
_POINT = ("t", "rev", *_VALUE)


def _take(column: str, condition: str) -> str:
    return f"{column} = CASE WHEN {condition} THEN excluded.{column} ELSE r.{column} END"


def _extreme(name: str, less: str, exact: str) -> list[str]:
    # The new extreme wins when the stored row has none or it passes it. Doubles decide unless equal; then two
    # integers compare exactly by their decimal text (`exact` turns it into the database's exact integers), and
    # an integer beats a float of the same value (1 over 1.0, as `Partial` does).
    new, old = f"excluded.{name}", f"r.{name}"
    tie = (f"CASE WHEN {new}_type = {INTEGER} AND {old}_type = {INTEGER} "
           f"THEN {exact.format(f'{new}_str')} {less} {exact.format(f'{old}_str')} "
           f"ELSE {new}_type = {INTEGER} AND {old}_type <> {INTEGER} END")
    condition = f"{old}_num IS NULL OR {new}_num {less} {old}_num OR ({new}_num = {old}_num AND {tie})"
    return [_take(f"{name}_{part}", condition) for part in _VALUE]


def _end(name: str, less: str) -> list[str]:
    condition = f"(excluded.{name}_t, excluded.{name}_rev) {less} (r.{name}_t, r.{name}_rev)"
    return [_take(f"{name}_{part}", condition) for part in _POINT]


def on_conflict(exact: str) -> str:
    """The upsert clause of `INSERT INTO history_rollups AS r (COLUMNS) ... ON CONFLICT ...`: every expression
    reads the stored row (`r`) and the new one (`excluded`) as they were before. `exact`: how the dialect reads
    an integer's decimal text as an exact integer (`{}` stands for the column)."""
    assignments = [*(f"{column} = r.{column} + excluded.{column}"
                     for column in ("count", "numbers", "floats", "isum", "fsum")),
                   *_extreme("min", "<", exact), *_extreme("max", ">", exact), *_end("first", "<"), *_end("last", ">")]
    return f"ON CONFLICT (thing_id, path, width_us, bucket_us) DO UPDATE SET {', '.join(assignments)}"


def width_micros(widths: Iterable[timedelta]) -> tuple[int, ...]:
    return tuple(width // timedelta(microseconds=1) for width in widths)


class _Bucket:
    """One row being built from a batch's points (mutable, local to `rollup_rows`)."""

    __slots__ = ("count", "first", "floats", "fsum", "isum", "last", "max", "min", "numbers")

    def __init__(self, point: PointRow) -> None:
        self.count = self.numbers = self.floats = self.isum = 0
        self.fsum = 0.0
        self.min: tuple[int, float, str | None] | None = None
        self.max: tuple[int, float, str | None] | None = None
        self.first = self.last = point

    def add(self, point: PointRow) -> None:
        _, _, micros, revision, kind, number, text = point
        self.count += 1
        if (micros, revision) < (self.first[2], self.first[3]):
            self.first = point
        if (micros, revision) > (self.last[2], self.last[3]):
            self.last = point
        if number is None or kind not in (INTEGER, FLOAT) or not math.isfinite(number):
            return
        self.numbers += 1
        if kind == FLOAT:
            self.floats += 1
            self.fsum += number
        else:
            self.isum += int(text) if text is not None else int(number)
        value = (kind, number, text if text is not None or kind == FLOAT else str(int(number)))
        if self.min is None or _beats(value, self.min, -1):
            self.min = value
        if self.max is None or _beats(value, self.max, 1):
            self.max = value

    def row(self, key: tuple[str, str, int, int], isum_bound: int | None) -> RollupRow:
        isum: int | float = self.isum
        if isum_bound is not None and not -isum_bound <= isum < isum_bound:
            isum = float(isum)  # beyond the database's integers
        extremes = [*(self.min or (None, None, None)), *(self.max or (None, None, None))]
        return (*key, self.count, self.numbers, self.floats, isum, self.fsum, *extremes,
                *self.first[2:], *self.last[2:])


def _beats(value: tuple[int, float, str | None], held: tuple[int, float, str | None], sign: int) -> bool:
    """Whether `value` is the new extreme: compared exactly (integers by their text), an integer over an equal
    float."""
    exact, other = _exact(value), _exact(held)
    if exact == other:
        return value[0] == INTEGER and held[0] != INTEGER
    return (exact > other) == (sign > 0)


def _exact(value: tuple[int, float, str | None]) -> int | float:
    return int(value[2]) if value[0] == INTEGER and value[2] is not None else value[1]


def rollup_rows(points: Iterable[PointRow], widths: Sequence[int], *, isum_bound: int | None = None) -> list[RollupRow]:
    """One row per (thing, path, width, bucket) that `points` touch, sorted by that key (so concurrent writers
    take row locks in one order); `widths` in microseconds. `isum_bound`: integer sums at or beyond it (in
    magnitude) are written as doubles."""
    buckets: dict[tuple[str, str, int, int], _Bucket] = {}
    for point in points:
        if point[4] == DELETED:
            continue
        for width in widths:
            key = (point[0], point[1], width, point[2] - point[2] % width)
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = _Bucket(point)
            bucket.add(point)
    return [buckets[key].row(key, isum_bound) for key in sorted(buckets)]


def decode_partial(thing_id: str, path: str, row: Sequence[Any]) -> tuple[datetime, Partial]:
    """The bucket start and partial of a read row: the COLUMNS from `bucket_us` on."""
    (bucket, count, numbers, floats, isum, fsum, min_type, min_num, min_str, max_type, max_num, max_str,
     *ends) = row
    first, last = _sample(thing_id, path, ends[:5]), _sample(thing_id, path, ends[5:])
    if numbers < count:
        return from_micros(bucket), Partial(count, None, False, None, None, first, last)
    if not math.isfinite(fsum):  # a double sum of floats near the largest double overflowed: the nearest there is
        fsum = math.copysign(sys.float_info.max, fsum)
    total = Fraction(isum) + Fraction(fsum)  # int, Decimal (numeric) or float: each exactly
    minimum, maximum = _number(thing_id, path, min_type, min_num, min_str), _number(thing_id, path, max_type,
                                                                                 max_num, max_str)
    return from_micros(bucket), Partial(count, total, floats == 0, minimum, maximum, first, last)


def _sample(thing_id: str, path: str, columns: Sequence[Any]) -> Sample:
    point = decode_point(thing_id, path, columns)
    if point.value is None:
        raise ValueError("a rollup's first or last sample is a deletion marker")
    return Sample(point.time, point.value, point.revision, thing_id)


def _number(thing_id: str, path: str, kind: Any, number: Any, text: Any) -> int | float:
    value = decode_point(thing_id, path, (0, 0, kind, number, text)).value
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"a rollup's extreme {value!r} is no number")
    return value
