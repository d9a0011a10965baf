from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from twinhub.history import MAX_BUCKETS, MAX_FLEET_THINGS, Partial, Sample
from twinhub.store.buckets import LARGE, BucketRow, bucket_request, partial_of, sample_of_row
from twinhub.store.points import FLOAT, INTEGER, STRING, to_micros

T = datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)  # before 1970: negative microseconds
FIRST = Sample(T, 1, 1, "ns:a")
LAST = Sample(T + timedelta(seconds=1), 2.0, 2, "ns:b")


def row(**columns: object) -> BucketRow:
    empty: dict[str, object] = {name: None for name in BucketRow._fields}
    return BucketRow(**{**empty, "group": 0, "bucket": 0, "first": FIRST, "last": LAST, "floats": 0,
                        **columns})  # type: ignore[arg-type]


def test_a_request_reads_each_thing_of_a_group_once_and_keeps_the_groups_order() -> None:
    request = bucket_request([["ns:b", "ns:a", "ns:b"], [], ["ns:a"]], T, T + timedelta(hours=1),
                             timedelta(minutes=1))
    assert request.members == (("ns:b", 0), ("ns:a", 0), ("ns:a", 2))
    assert (request.groups, request.start, request.end, request.width) == (
        3, to_micros(T), to_micros(T) + 3_600_000_000, 60_000_000)


def test_a_request_is_bounded() -> None:
    end = T + timedelta(seconds=MAX_BUCKETS)
    assert bucket_request([["ns:a"]], T, end, timedelta(seconds=1)).width == 1_000_000  # exactly the most
    with pytest.raises(ValueError, match="buckets"):
        bucket_request([["ns:a"]], T, end + timedelta(microseconds=1), timedelta(seconds=1))
    with pytest.raises(ValueError, match="microsecond"):
        bucket_request([["ns:a"]], T, end, timedelta(0))
    with pytest.raises(ValueError, match="things"):
        bucket_request([["ns:a"] * MAX_FLEET_THINGS, ["ns:b"]], T, end, timedelta(hours=1))


def test_ties_of_an_integer_and_a_float_resolve_to_the_integer() -> None:
    partial = partial_of(row(samples=4, numbers=4, floats=2, small_sum=3, small_min=1.0, small_max=2.0,
                             float_sum=3.0, float_min=1.0, float_max=2.0))
    assert partial == Partial(4, Fraction(6), False, 1, 2, FIRST, LAST)
    assert type(partial.minimum) is int and type(partial.maximum) is int


def test_integers_beyond_a_double_stay_exact_and_decide_the_extremes() -> None:
    partial = partial_of(row(samples=3, numbers=3, small_sum=5, small_min=5.0, small_max=5.0,
                             big_sum=2**60 + 2**70, big_min=2**60 + 1, big_max=2**70))
    assert partial == Partial(3, Fraction(5 + 2**60 + 2**70), True, 5, 2**70, FIRST, LAST)
    assert partial_of(row(samples=2, numbers=2, floats=1, big_sum=2**60 + 1, big_min=2**60 + 1,
                          big_max=2**60 + 1, float_sum=float(2**60), float_min=float(2**60),
                          float_max=float(2**60))).minimum == float(2**60)  # 2**60 < 2**60 + 1, exactly


def test_each_extreme_is_taken_from_whichever_class_has_one() -> None:
    # rollup rows combined: the least from a row whose minimum is an integer, the greatest from one whose maximum
    # is a float (no integer maximum, no float minimum)
    partial = partial_of(row(samples=4, numbers=4, floats=2, small_sum=-7, small_min=-9.0, float_sum=4.5,
                             big_min=-(2**60), float_max=3.5))
    assert partial == Partial(4, Fraction(-7) + Fraction(4.5), False, -(2**60), 3.5, FIRST, LAST)


def test_floats_beyond_2_512_are_summed_scaled_back() -> None:
    partial = partial_of(row(samples=3, numbers=3, floats=3, float_sum=-1.5, float_sum_large=2.0,
                             float_min=-1.5, float_max=1e308))
    assert partial.total == Fraction(-1.5) + 2 * Fraction(LARGE)


def test_a_bucket_with_anything_but_numbers_has_no_sum_and_no_extremes() -> None:
    assert partial_of(row(samples=2, numbers=1, small_sum=1, small_min=1.0, small_max=1.0)) == Partial(
        2, None, False, None, None, FIRST, LAST)


def test_a_first_or_last_row_becomes_its_sample() -> None:
    micros = to_micros(T)
    assert sample_of_row((micros, 3, "ns:a", INTEGER, float(2**60), str(2**60 + 1))) == Sample(T, 2**60 + 1, 3,
                                                                                                 "ns:a")
    assert sample_of_row((micros, 4, "ns:a", STRING, None, "x")) == Sample(T, "x", 4, "ns:a")
    assert type(sample_of_row((micros, 4, "ns:a", FLOAT, 1.0, None)).value) is float
    with pytest.raises(ValueError, match="deletion"):
        sample_of_row((micros, 4, "ns:a", 0, None, None))
