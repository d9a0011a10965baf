from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from twinhub.history import Partial, Sample, partials
from twinhub.history.plan import Segment, coarsest_width, combine, plan_segments

T0 = datetime(2026, 1, 1, tzinfo=UTC)
S, M, H = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)

times = st.datetimes(min_value=datetime(1969, 12, 30), max_value=datetime(1970, 1, 3), timezones=st.just(UTC))
values = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False, width=32),
                   st.booleans(), st.text(max_size=3))
widths = st.sets(st.sampled_from([S, 10 * S, M, 5 * M, H, 6 * H]), max_size=4)
steps = st.sampled_from([S, 7 * S, 30 * S, M, 5 * M, 15 * M, H, 2 * H, 24 * H])


def test_the_coarsest_width_that_divides_the_step_is_chosen() -> None:
    assert coarsest_width(H, [M, H]) == H
    assert coarsest_width(15 * M, [M, H]) == M
    assert coarsest_width(24 * H, [M, H, 5 * H]) == H  # 5h does not divide a day
    assert coarsest_width(30 * S, [M, H]) is None  # finer than every rollup
    assert coarsest_width(90 * S, [M]) is None  # a minute bucket would straddle two 90 s buckets


def test_a_range_is_read_raw_at_its_ends_and_from_the_rollup_between() -> None:
    start, end = T0 + 90 * S, T0 + 3 * H + 5 * S
    assert plan_segments(start, end, H, [M, H]) == (
        Segment(start, T0 + H), Segment(T0 + H, T0 + 3 * H, H), Segment(T0 + 3 * H, end))
    assert plan_segments(T0, T0 + 2 * H, 5 * M, [M, H]) == (Segment(T0, T0 + 2 * H, M),)  # aligned: no raw


def test_raw_points_answer_when_no_rollup_fits() -> None:
    assert plan_segments(T0, T0 + H, 30 * S, [M, H]) == (Segment(T0, T0 + H),)
    assert plan_segments(T0 + S, T0 + M - S, M, [M]) == (Segment(T0 + S, T0 + M - S),)  # no whole minute
    assert plan_segments(T0, T0 + H, M, []) == (Segment(T0, T0 + H),)
    assert plan_segments(T0, T0, M, [M]) == ()


def _samples() -> st.SearchStrategy[list[Sample]]:
    rows = st.tuples(times, values, st.integers(0, 3))
    return st.lists(rows, max_size=60, unique_by=lambda row: (row[0], row[2])).map(
        lambda rows: [Sample(time, value, revision, "ns:t") for time, value, revision in rows])


def _read(samples: list[Sample], segment: Segment, step: timedelta) -> dict[datetime, Partial]:
    """What a store gives for a segment: raw partials by step, or the partials a rollup of its width keeps."""
    inside = [sample for sample in samples if segment.start <= sample.time < segment.end]
    return partials(inside, segment.width or step)


@settings(max_examples=400, deadline=None)
@given(_samples(), times, times, steps, widths)
def test_segments_tile_the_range_and_combine_to_the_partials_of_the_raw_samples(
        samples: list[Sample], a: datetime, b: datetime, step: timedelta, maintained: set[timedelta]) -> None:
    start, end = min(a, b), max(a, b)
    segments = plan_segments(start, end, step, maintained)
    if start == end:
        assert segments == ()
        return
    assert segments[0].start == start and segments[-1].end == end
    assert all(left.end == right.start for left, right in pairwise(segments))
    assert all(segment.start < segment.end for segment in segments)
    for segment in segments:
        if segment.width is not None:  # whole, aligned rollup buckets, each inside one step bucket
            assert step % segment.width == timedelta(0) and segment.width in maintained
            assert (segment.start - datetime(1970, 1, 1, tzinfo=UTC)) % segment.width == timedelta(0)
            assert (segment.end - datetime(1970, 1, 1, tzinfo=UTC)) % segment.width == timedelta(0)
        else:  # raw only at the ends, shorter than the rollup used between them
            assert len(segments) == 1 or segment.end - segment.start < max(
                s.width for s in segments if s.width is not None)
    expected = partials([sample for sample in samples if start <= sample.time < end], step)
    assert combine(((segment, _read(samples, segment, step)) for segment in segments), step) == expected
