from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tests.unit.history.recorded import Point
from twinhub.history.series import (
    Sample,
    Scalar,
    format_time,
    from_micros,
    is_number,
    micros,
    sample_of,
    scalar_json,
)


def test_times_are_written_in_utc_with_z_and_microseconds_only_when_there_are_some() -> None:
    assert format_time(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00Z"
    assert format_time(datetime(2026, 1, 1, 0, 0, 0, 1500, tzinfo=UTC)) == "2026-01-01T00:00:00.001500Z"
    assert format_time(datetime(2026, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))) == "2026-01-01T00:00:00Z"


@given(st.datetimes(timezones=st.just(UTC)))
def test_formatted_times_read_back_and_micros_are_exact(time: datetime) -> None:
    assert datetime.fromisoformat(format_time(time)) == time
    assert datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros(time)) == time
    assert from_micros(micros(time)) == time and from_micros(micros(time)).tzinfo is UTC


def test_numbers_are_finite_ints_and_floats_but_no_booleans() -> None:
    assert [is_number(v) for v in (1, 1.5, True, "1", float("nan"), float("inf"))] == [
        True, True, False, False, False, False]


@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.text()))
def test_scalar_json_reads_back_as_the_same_value(value: Scalar) -> None:
    parsed = json.loads(scalar_json(value))  # the stdlib reads integers of any size
    assert parsed == value and type(parsed) is type(value)


def test_a_recorded_point_gives_its_sample() -> None:
    time = datetime(2026, 1, 1, tzinfo=UTC)
    assert sample_of(Point("ns:t", "/attributes/a", time, 3, 7)) == Sample(time, 3, 7, "ns:t")
