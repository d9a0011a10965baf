"""History rollups as the stores keep them (pure): one `history_rollups` row per thing, path, width and bucket.

A row is what `twinhub.history.Partial` needs, in columns a SQL upsert can combine with another row:

    count, numbers (of the samples that are numbers), floats (of those, the non-integers),
    isum (exact sum of the integers), fsum and fsum_large (double sums of the floats below LARGE in magnitude,
    and of the others scaled by 1 / LARGE, so that neither overflows: PostgreSQL refuses a double that does),
    min_* and max_* (type, num, str of the extreme number), first_* and last_* (t_us, revision, type, num, str)

Values are encoded as in `history_points` (`twinhub.store.points`). A batch's points are combined here per row key
first (one upsert per key and width, as PostgreSQL's ON CONFLICT allows only one per row and statement); the
store's upsert then combines that with the stored row (`on_conflict`). Deletion markers are not rolled up.

Integer extremes always carry their decimal text (`*_str`), so that two compare exactly. Exactness: count,
first, last, min and max are exact (but for a float and a different integer beyond 2**53 that round to the same
double, and on SQLite integers beyond 64 bits); integer sums are exact (PostgreSQL `numeric`; SQLite an integer,
or beyond 64 bits its decimal text, added by `add_integers`); float sums are double sums (tests compare them with
a relative tolerance of 1e-9), split at LARGE so that none overflows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, NamedTuple

from twinhub.history.aggregate import Partial
from twinhub.history.series import Sample
from twinhub.store.buckets import LARGE, BucketRow, partial_of
from twinhub.store.keys import KEY_THING, fleet_key
from twinhub.store.points import DELETED, FLOAT, INTEGER, PointRow, decode_point, from_micros

INT64 = 2**63  # SQLite's integers
_LARGE = Fraction(LARGE)
_THING = KEY_THING - 1  # in Python's indexing

__all__ = [
    "COLUMNS",
    "INT64",
    "RollupRow",
    "add_integers",
    "decode_partial",
    "fleet_rollup_partials",
    "fleet_rollups_sql",
    "on_conflict",
    "rollup_rows",
    "width_micros",
]

RollupRow = tuple[Any, ...]  # the COLUMNS in order

COLUMNS = ("thing_id", "path", "width_us", "bucket_us", "count", "numbers", "floats", "isum", "fsum", "fsum_large",
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


def on_conflict(exact: str, add: str = "{} + {}") -> str:
    """The upsert clause of `INSERT INTO history_rollups AS r (COLUMNS) ... ON CONFLICT ...`: every expression
    reads the stored row (`r`) and the new one (`excluded`) as they were before. `exact`: how the dialect reads
    an integer's decimal text as an exact integer (`{}` stands for the column); `add`: how it adds two integer
    sums exactly."""
    assignments = [*(f"{column} = r.{column} + excluded.{column}"
                     for column in ("count", "numbers", "floats", "fsum", "fsum_large")),
                   f"isum = {add.format('r.isum', 'excluded.isum')}",
                   *_extreme("min", "<", exact), *_extreme("max", ">", exact), *_end("first", "<"), *_end("last", ">")]
    return f"ON CONFLICT (thing_id, path, width_us, bucket_us) DO UPDATE SET {', '.join(assignments)}"


def width_micros(widths: Iterable[timedelta]) -> tuple[int, ...]:
    return tuple(width // timedelta(microseconds=1) for width in widths)


class _Bucket:
    """One row being built from a batch's points (mutable, local to `rollup_rows`)."""

    __slots__ = ("count", "first", "floats", "fsum", "fsum_large", "isum", "last", "max", "min", "numbers")

    def __init__(self, point: PointRow) -> None:
        self.count = self.numbers = self.floats = self.isum = 0
        self.fsum = self.fsum_large = 0.0
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
            if abs(number) < LARGE:
                self.fsum += number
            else:
                self.fsum_large += number / LARGE
        else:
            self.isum += int(text) if text is not None else int(number)
        value = (kind, number, text if text is not None or kind == FLOAT else str(int(number)))
        if self.min is None or _beats(value, self.min, -1):
            self.min = value
        if self.max is None or _beats(value, self.max, 1):
            self.max = value

    def row(self, key: tuple[str, str, int, int], isum_bound: int | None) -> RollupRow:
        isum: int | str = self.isum
        if isum_bound is not None and not -isum_bound <= self.isum < isum_bound:
            isum = str(self.isum)  # beyond the database's integers: as text (see `add_integers`)
        extremes = [*(self.min or (None, None, None)), *(self.max or (None, None, None))]
        return (*key, self.count, self.numbers, self.floats, isum, self.fsum, self.fsum_large, *extremes,
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


def add_integers(a: int | str, b: int | str) -> int | str:
    """The exact sum of two integer sums, each an integer or its decimal text: SQLite's `twinhub_add` (an integer
    within 64 bits, else the text)."""
    total = int(a) + int(b)
    return total if -INT64 <= total < INT64 else str(total)


def rollup_rows(points: Iterable[PointRow], widths: Sequence[int], *, isum_bound: int | None = None) -> list[RollupRow]:
    """One row per (thing, path, width, bucket) that `points` touch, sorted by that key (so concurrent writers
    take row locks in one order); `widths` in microseconds. `isum_bound`: integer sums at or beyond it (in
    magnitude) are written as decimal text."""
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


def decode_partial(thing_id: str, path: str, row: Sequence[Any], *,
                   ends_of: tuple[str, str] | None = None) -> tuple[datetime, Partial]:
    """The bucket start and partial of a read row: the COLUMNS from `bucket_us` on. `ends_of`: the things of
    the first and the last sample, when the row combines several things' rows (else `thing_id`)."""
    (bucket, count, numbers, floats, isum, fsum, fsum_large, min_type, min_num, min_str, max_type, max_num, max_str,
     *ends) = row
    # PostgreSQL's sum() of bigint counts is numeric: read as Decimal, which a count must not stay
    count, numbers, floats = int(count), int(numbers), int(floats)
    first_thing, last_thing = ends_of or (thing_id, thing_id)
    first, last = _sample(first_thing, path, ends[:5]), _sample(last_thing, path, ends[5:])
    if numbers < count:
        return from_micros(bucket), Partial(count, None, False, None, None, first, last)
    if not floats:
        total = Fraction(isum)  # int, Decimal or text: exactly
    else:  # only the Fractions of the parts there: building them is most of a series' decode
        total = Fraction(fsum)
        if isum:
            total += Fraction(isum)
        if fsum_large:
            total += Fraction(fsum_large) * _LARGE
    return from_micros(bucket), Partial(count, total, floats == 0, _number(min_type, min_num, min_str),
                                        _number(max_type, max_num, max_str), first, last)


class FleetDialect(NamedTuple):
    """What the fleet statement spells per database: `integers` the integer sum as three expressions, `total = first
    * 2**26 + second + third` (SQLite's sum() of integers must not overflow; the third, an integer or the text
    '<sum> ...', sums integer sums kept as text), `extremes` the least and greatest integer extreme each as two
    expressions (number, or exact number or '<sum> <least> <greatest>' text), `text` an integer as decimal text and
    `thing` the thing id in the first/last key (`twinhub.store.keys`), and the parameters `path`,
    `width`, `start`, `end`."""

    integers: tuple[str, str, str]
    extremes: tuple[str, str, str, str]
    text: str
    thing: str
    path: str
    width: str
    start: str
    end: str


def fleet_rollups_sql(ids: str, dialect: FleetDialect) -> str:
    """The statement that combines the rollup rows of each group's things (`ids`: a CTE body of (thing_id, grp)
    rows) per bucket, without sorting rows: sums, the least and greatest of each kind of extreme (Python picks
    among them as `Partial` does: by value, an integer before an equal float), and first and last by their key,
    whose rows are read back by primary key. Its rows are what `fleet_rollup_partials` reads."""
    d = dialect
    first_key = fleet_key(f"h.first_t - {d.start}", "h.first_rev", d.thing, text=d.text)
    last_key = fleet_key(f"h.last_t - {d.start}", "h.last_rev", d.thing, text=d.text)
    ends = ", ".join([*(f"f.first_{part}" for part in _POINT), *(f"l.last_{part}" for part in _POINT)])
    return f"""
WITH ids(thing_id, grp) AS ({ids}),
agg AS (
    SELECT ids.grp, h.bucket_us, sum(h.count) AS n, sum(h.numbers) AS numbers, sum(h.floats) AS floats,
           {d.integers[0]} AS high, {d.integers[1]} AS low, {d.integers[2]} AS big,
           sum(h.fsum) AS fsum, sum(h.fsum_large) AS fsum_large,
           {d.extremes[0]} AS int_min, {d.extremes[1]} AS big_min,
           min(h.min_num) FILTER (WHERE h.min_type = {FLOAT}) AS float_min,
           {d.extremes[2]} AS int_max, {d.extremes[3]} AS big_max,
           max(h.max_num) FILTER (WHERE h.max_type = {FLOAT}) AS float_max,
           min({first_key}) AS first_key, max({last_key}) AS last_key
    FROM ids JOIN history_rollups AS h ON h.thing_id = ids.thing_id AND h.path = {d.path} AND h.width_us = {d.width}
         AND h.bucket_us >= {d.start} AND h.bucket_us < {d.end}
    GROUP BY ids.grp, h.bucket_us)
SELECT agg.*, {ends}
FROM agg
JOIN history_rollups AS f ON f.thing_id = substr(agg.first_key, {KEY_THING}) AND f.path = {d.path}
     AND f.width_us = {d.width} AND f.bucket_us = agg.bucket_us
JOIN history_rollups AS l ON l.thing_id = substr(agg.last_key, {KEY_THING}) AND l.path = {d.path}
     AND l.width_us = {d.width} AND l.bucket_us = agg.bucket_us
"""


def fleet_rollup_partials(groups: int, path: str, rows: Sequence[Sequence[Any]]) -> list[dict[datetime, Partial]]:
    """Per group, the partials of `fleet_rollups_sql`'s rows, by bucket, oldest first (each row read as the
    `BucketRow` of raw points it sums up)."""
    found: list[dict[datetime, Partial]] = [{} for _ in range(groups)]
    for row in rows:
        (group, bucket, count, numbers, floats, high, low, big, fsum, fsum_large, int_min, big_min, float_min,
         int_max, big_max, float_max, first_key, last_key, *ends) = row
        first, last = _sample(first_key[_THING:], path, ends[:5]), _sample(last_key[_THING:], path, ends[5:])
        integers = int(high or 0) * 2**26 + int(low or 0) + (int(big.split()[0]) if isinstance(big, str)
                                                               else int(big or 0))
        # PostgreSQL's sums of bigint are numeric: counts as int
        found[group][from_micros(bucket)] = partial_of(BucketRow(
            group, bucket, int(count), int(numbers), int(floats), integers, int_min, int_max, None,
            _exact_integer(big_min, 1), _exact_integer(big_max, 2), fsum, fsum_large, float_min, float_max, first,
            last))
    return [dict(sorted(partials.items())) for partials in found]


def _exact_integer(extreme: Any, position: int) -> int | None:
    """An exact integer extreme of a fleet row: PostgreSQL's number, or the `position` of SQLite's
    '<sum> <least> <greatest>' text."""
    if isinstance(extreme, str):
        return int(extreme.split()[position])
    return None if extreme is None else int(extreme)


def _sample(thing_id: str, path: str, columns: Sequence[Any]) -> Sample:
    micros, revision, kind, number, _ = columns
    if kind == FLOAT:  # the common case, without building a point
        return Sample(from_micros(micros), float(number), revision, thing_id)
    point = decode_point(thing_id, path, columns)
    if point.value is None:
        raise ValueError("a rollup's first or last sample is a deletion marker")
    return Sample(point.time, point.value, point.revision, thing_id)


def _number(kind: Any, number: Any, text: Any) -> int | float:
    if kind == FLOAT:
        return float(number)
    if kind == INTEGER:
        return int(text) if text is not None else int(number)
    raise ValueError(f"a rollup's extreme of type {kind!r} is no number")
