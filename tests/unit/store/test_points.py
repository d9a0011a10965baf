from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.history import MAX_LIMIT, MAX_PATHS, Point
from twinhub.store.points import (
    PageBounds,
    PointCursor,
    SeriesBound,
    decode_point,
    encode_point,
    from_micros,
    page_bounds,
    to_micros,
)

T = datetime(2026, 1, 1, tzinfo=UTC)
_values = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5))


@given(_values, st.integers(min_value=-10**15, max_value=10**15))
def test_a_point_reads_back_as_written_value_type_and_time(value: object, micros: int) -> None:
    moment = T + timedelta(microseconds=micros)
    point = Point("ns:t", "attributes/a", moment, value, 3)  # type: ignore[arg-type]
    row = encode_point(point)
    back = decode_point(row[0], row[1], row[2:])
    assert back == point and type(back.value) is type(value)


def test_micros_are_since_the_unix_epoch() -> None:
    assert to_micros(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005
    assert from_micros(1_000_005) == datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)


def test_a_cursor_round_trips_and_foreign_text_is_refused() -> None:
    for cursor in (PointCursor(-5, 7, "attributes/a"), PointCursor(0, 0, "a.b.c"), PointCursor(1, 2, "")):
        assert PointCursor.decode(cursor.encode()) == cursor
    for text in ("", "1", "1.2", "a.b.c", "1.-2.p", "1.2", "-.1.p", "1.x.p", "١.2.p"):
        with pytest.raises(ValueError, match="history cursor"):
            PointCursor.decode(text)


def test_a_cursor_before_the_range_starts_at_the_range() -> None:
    start = to_micros(T)
    bounds = page_bounds(["p"], T, T + timedelta(hours=1), PointCursor(start - 10, 9, "p"), 5)
    assert bounds == PageBounds((SeriesBound("p", start, -1),), start + 3_600_000_000, 6)
    assert page_bounds(["p"], T, T + timedelta(hours=1), PointCursor(start + 10, 9, "p"), 5).series == (
        SeriesBound("p", start + 10, 9),)


def test_a_cursor_includes_its_time_and_revision_for_paths_after_its_own() -> None:
    start = to_micros(T)
    bounds = page_bounds(["c", "a", "b", "a"], T, T + timedelta(hours=1), PointCursor(start + 10, 9, "b"), 5)
    assert bounds.series == (SeriesBound("a", start + 10, 9), SeriesBound("b", start + 10, 9),
                             SeriesBound("c", start + 10, 8))


def test_page_bounds_refuse_unbounded_pages() -> None:
    with pytest.raises(ValueError, match="at least one point"):
        page_bounds(["p"], T, T, None, 0)
    with pytest.raises(ValueError, match="at most"):
        page_bounds(["p"], T, T, None, MAX_LIMIT + 1)
    with pytest.raises(ValueError, match="at least one path"):
        page_bounds([], T, T, None, 1)
    with pytest.raises(ValueError, match="paths"):
        page_bounds([f"p{index}" for index in range(MAX_PATHS + 1)], T, T, None, 1)


def test_integers_beyond_2_53_keep_their_text_and_smaller_ones_are_exactly_their_number() -> None:
    for value in (2**53, -(2**53), 12, 0):
        assert encode_point(Point("ns:t", "a", T, value, 1))[5:] == (float(value), None)
    for value in (2**53 + 1, -(2**53) - 1, 2**64, 10**30):
        assert encode_point(Point("ns:t", "a", T, value, 1))[5:] == (float(value), str(value))


def test_an_unknown_stored_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown"):
        decode_point("ns:t", "attributes/a", (0, 1, 9, None, None))
