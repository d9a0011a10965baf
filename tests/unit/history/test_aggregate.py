from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twinhub.history import Aggregation, Partial, Sample, Scalar, aggregate, bucket_start, finish, partials, rollup
from twinhub.model.errors import HistoryAggregationInvalid, HistoryStepInvalid

T0 = datetime(2026, 1, 1, tzinfo=UTC)

times = st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
numbers = st.one_of(st.integers(min_value=-10**20, max_value=10**20),
                    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
scalars = st.one_of(numbers, st.booleans(), st.text(max_size=5))
steps = st.sampled_from([1, 7, 60, 300, 3600, 86400]).map(lambda s: timedelta(seconds=s))


def _samples(values: st.SearchStrategy[Scalar]) -> st.SearchStrategy[list[Sample]]:
    # (time, revision, thing) is unique, as in a store: a thing's path has one value per revision
    rows = st.tuples(times, values, st.integers(0, 5), st.sampled_from(["", "ns:a", "ns:b"]))
    return st.lists(rows, max_size=40, unique_by=lambda row: (row[0], row[2], row[3])).map(
        lambda rows: [Sample(time, value, revision, thing) for time, value, revision, thing in rows])


def _expected_buckets(samples: list[Sample], step: timedelta) -> dict[str, list[Sample]]:
    """Grouped by whole seconds since the epoch (steps are whole seconds, so the microseconds never matter)."""
    width = int(step.total_seconds())
    groups: dict[int, list[Sample]] = defaultdict(list)
    for sample in samples:
        delta = sample.time - datetime(1970, 1, 1, tzinfo=UTC)
        groups[(delta.days * 86400 + delta.seconds) // width].append(sample)
    return {(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=index * width)).strftime("%Y-%m-%dT%H:%M:%SZ"):
            group for index, group in sorted(groups.items())}


def _expected(agg: Aggregation, group: list[Sample]) -> Scalar:
    values = [sample.value for sample in group]
    ordered = sorted(group, key=lambda sample: (sample.time, sample.revision, sample.thing_id))
    return {
        Aggregation.COUNT: lambda: len(values),
        Aggregation.FIRST: lambda: ordered[0].value,
        Aggregation.LAST: lambda: ordered[-1].value,
        Aggregation.MIN: lambda: min(values),  # type: ignore[type-var]
        Aggregation.MAX: lambda: max(values),  # type: ignore[type-var]
        # fsum is correctly rounded; an all-integer sum stays exact
        Aggregation.SUM: lambda: sum(values) if all(isinstance(v, int) for v in values)  # type: ignore[arg-type]
        else math.fsum(values),  # type: ignore[arg-type]
        Aggregation.MEAN: lambda: float(statistics.mean(values)),  # type: ignore[type-var]  # exact, rounded once
    }[agg]()


@settings(max_examples=150, deadline=None)
@given(_samples(numbers), steps, st.sampled_from(list(Aggregation)))
def test_numeric_aggregates_match_an_independent_computation(samples: list[Sample], step: timedelta,
                                                             agg: Aggregation) -> None:
    expected = [[start, _expected(agg, group)] for start, group in _expected_buckets(samples, step).items()]
    result = aggregate(samples, step, agg)
    assert [start for start, _ in result] == [start for start, _ in expected]
    for (_, got), (_, want) in zip(result, expected, strict=True):
        assert got == want and type(got) is not bool
        if agg is Aggregation.MEAN:
            assert isinstance(got, float)


@settings(max_examples=100, deadline=None)
@given(_samples(scalars), steps, st.sampled_from([Aggregation.COUNT, Aggregation.FIRST, Aggregation.LAST]))
def test_count_first_and_last_take_any_scalar(samples: list[Sample], step: timedelta, agg: Aggregation) -> None:
    expected = [[start, _expected(agg, group)] for start, group in _expected_buckets(samples, step).items()]
    result = aggregate(samples, step, agg)
    assert len(result) == len(expected)
    for (start, got), (want_start, want) in zip(result, expected, strict=True):
        assert start == want_start and got == want and type(got) is type(want)


@settings(max_examples=150, deadline=None)
@given(_samples(scalars), st.sampled_from([(1, 60), (60, 3600), (60, 300), (300, 86400), (7, 21), (3600, 3600)]))
def test_a_rollup_of_fine_buckets_is_exactly_the_coarse_aggregation(samples: list[Sample],
                                                                   widths: tuple[int, int]) -> None:
    fine, coarse = (timedelta(seconds=width) for width in widths)
    assert rollup(partials(samples, fine), fine, coarse) == partials(samples, coarse)


@settings(max_examples=100, deadline=None)
@given(_samples(numbers))
def test_the_order_of_samples_does_not_change_any_aggregate(samples: list[Sample]) -> None:
    step = timedelta(minutes=1)
    assert partials(samples, step) == partials(list(reversed(samples)), step)


def test_no_samples_give_no_buckets() -> None:
    assert aggregate([], timedelta(seconds=1), Aggregation.MEAN) == []


def test_one_sample_gives_one_bucket_at_the_aligned_start() -> None:
    sample = Sample(T0 + timedelta(minutes=7, seconds=59, microseconds=999_999), 21.5)
    assert aggregate([sample], timedelta(minutes=5), Aggregation.MEAN) == [["2026-01-01T00:05:00Z", 21.5]]


def test_a_sample_on_a_boundary_starts_the_next_bucket() -> None:
    samples = [Sample(T0 + timedelta(seconds=59, microseconds=999_999), 1), Sample(T0 + timedelta(minutes=1), 2)]
    assert aggregate(samples, timedelta(minutes=1), Aggregation.SUM) == [
        ["2026-01-01T00:00:00Z", 1], ["2026-01-01T00:01:00Z", 2]]


def test_only_buckets_with_data_appear() -> None:
    samples = [Sample(T0, 1), Sample(T0 + timedelta(hours=3), 3)]
    assert aggregate(samples, timedelta(hours=1), Aggregation.COUNT) == [
        ["2026-01-01T00:00:00Z", 1], ["2026-01-01T03:00:00Z", 1]]


def test_buckets_before_the_epoch_are_floored_not_truncated() -> None:
    before = datetime(1969, 12, 31, 23, 59, 30, tzinfo=UTC)
    assert bucket_start(before, timedelta(minutes=1)) == datetime(1969, 12, 31, 23, 59, tzinfo=UTC)
    assert bucket_start(before, timedelta(days=1)) == datetime(1969, 12, 31, tzinfo=UTC)


def test_buckets_align_to_utc_whatever_the_offset_of_the_time() -> None:
    from datetime import timezone
    local = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))  # 01:30 UTC
    assert bucket_start(local, timedelta(hours=1)) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert bucket_start(local, timedelta(days=1)) == datetime(2026, 3, 29, tzinfo=UTC)


def test_a_day_step_over_a_century_is_exact() -> None:
    far = datetime(2099, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    assert aggregate([Sample(far, 1)], timedelta(days=1), Aggregation.COUNT) == [["2099-12-31T00:00:00Z", 1]]


def test_first_and_last_break_ties_of_time_by_revision_then_thing() -> None:
    samples = [Sample(T0, "b", 2), Sample(T0, "a", 1), Sample(T0, "c", 3)]
    assert aggregate(samples, timedelta(seconds=1), Aggregation.FIRST) == [["2026-01-01T00:00:00Z", "a"]]
    assert aggregate(samples, timedelta(seconds=1), Aggregation.LAST) == [["2026-01-01T00:00:00Z", "c"]]
    fleet = [Sample(T0, "b", 1, "ns:b"), Sample(T0, "a", 1, "ns:a")]
    assert aggregate(fleet, timedelta(seconds=1), Aggregation.FIRST) == [["2026-01-01T00:00:00Z", "a"]]


def test_booleans_are_no_numbers() -> None:
    samples = [Sample(T0, True), Sample(T0, 1)]
    assert aggregate(samples, timedelta(seconds=1), Aggregation.COUNT) == [["2026-01-01T00:00:00Z", 2]]
    for agg in (Aggregation.MEAN, Aggregation.SUM, Aggregation.MIN, Aggregation.MAX):
        with pytest.raises(HistoryAggregationInvalid) as raised:
            aggregate(samples, timedelta(seconds=1), agg)
        assert raised.value.status == 400


def test_mean_of_strings_is_refused() -> None:
    with pytest.raises(HistoryAggregationInvalid):
        aggregate([Sample(T0, "on")], timedelta(seconds=1), Aggregation.MEAN)


def test_a_float_mean_is_the_exact_mean_rounded_once() -> None:
    samples = [Sample(T0, 1e16), Sample(T0, 1.0), Sample(T0, -1e16), Sample(T0, 1.0)]
    assert finish(partials(samples, timedelta(seconds=1))[T0], Aggregation.MEAN) == 0.5
    assert finish(partials(samples, timedelta(seconds=1))[T0], Aggregation.SUM) == 2.0


def test_an_integer_sum_stays_an_integer_beyond_float_precision() -> None:
    samples = [Sample(T0, 2**60 + 1), Sample(T0, 2**60)]
    assert aggregate(samples, timedelta(seconds=1), Aggregation.SUM) == [["2026-01-01T00:00:00Z", 2**61 + 1]]


def test_non_finite_floats_count_but_are_no_numbers() -> None:
    samples = [Sample(T0, math.inf)]
    assert aggregate(samples, timedelta(seconds=1), Aggregation.COUNT) == [["2026-01-01T00:00:00Z", 1]]
    with pytest.raises(HistoryAggregationInvalid):
        aggregate(samples, timedelta(seconds=1), Aggregation.MAX)


def test_a_rollup_needs_a_whole_multiple_of_the_step() -> None:
    fine = partials([Sample(T0, 1)], timedelta(minutes=2))
    with pytest.raises(HistoryStepInvalid):
        rollup(fine, timedelta(minutes=2), timedelta(minutes=3))
    with pytest.raises(HistoryStepInvalid):
        rollup(fine, timedelta(minutes=2), timedelta(minutes=1))


def test_a_rollup_refuses_partials_that_start_no_bucket() -> None:
    with pytest.raises(ValueError):
        rollup(partials([Sample(T0, 1)], timedelta(minutes=1)) | {T0 + timedelta(seconds=1): next(iter(
            partials([Sample(T0, 1)], timedelta(minutes=1)).values()))}, timedelta(minutes=1), timedelta(hours=1))


def test_min_and_max_of_equal_int_and_float_are_the_int_in_any_order() -> None:
    for samples in ([Sample(T0, 1.0), Sample(T0, 1, 1)], [Sample(T0, 1, 1), Sample(T0, 1.0)]):
        for agg in (Aggregation.MIN, Aggregation.MAX):
            (bucket,) = aggregate(samples, timedelta(seconds=1), agg)
            assert bucket[1] == 1 and type(bucket[1]) is int


def test_a_partial_needs_a_sample() -> None:
    with pytest.raises(ValueError):
        Partial.of([])
