from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.history import Point
from twinhub.store.points import PointCursor, decode_point, encode_point, from_micros, page_bounds, to_micros

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
    assert PointCursor.decode(PointCursor(-5, 7).encode()) == PointCursor(-5, 7)
    for text in ("", "1", "a.b", "1.-2", "1.2.3"):
        with pytest.raises(ValueError, match="history cursor"):
            PointCursor.decode(text)


def test_a_cursor_before_the_range_starts_at_the_range() -> None:
    start = to_micros(T)
    assert page_bounds(T, T + timedelta(hours=1), PointCursor(start - 10, 9), 5) == (
        start, -1, start + 3_600_000_000, 6)
    assert page_bounds(T, T + timedelta(hours=1), PointCursor(start + 10, 9), 5)[:2] == (start + 10, 9)


def test_an_unknown_stored_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown"):
        decode_point("ns:t", "attributes/a", (0, 1, 9, None, None))
