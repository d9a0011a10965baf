from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from twinhub.history import TimeRange, bucket_count, parse_instant, parse_range, parse_step
from twinhub.history.timespec import format_step, parse_span
from twinhub.model.errors import HistoryStepInvalid, HistoryTimeInvalid

NOW = datetime(2026, 12, 7, 12, 30, 15, 250_000, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("now", NOW),
    ("-24h", NOW - timedelta(hours=24)),
    ("-15m", NOW - timedelta(minutes=15)),
    ("-7d", NOW - timedelta(days=7)),
    ("-30s", NOW - timedelta(seconds=30)),
    ("2026-01-01T00:00:00Z", datetime(2026, 1, 1, tzinfo=UTC)),
    ("2026-01-01T02:00:00+02:00", datetime(2026, 1, 1, tzinfo=UTC)),
    ("2026-01-01T00:00:00.5Z", datetime(2026, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)),
    ("2026-01-01T00:00:00", datetime(2026, 1, 1, tzinfo=UTC)),
    ("2026-01-01", datetime(2026, 1, 1, tzinfo=UTC)),
])
def test_instants_are_iso_8601_or_relative_to_now_and_always_utc(text: str, expected: datetime) -> None:
    parsed = parse_instant(text, NOW)
    assert parsed == expected and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "yesterday", "-1y", "24h", "-h", "+5m", "-1.5h", "2026-13-01T00:00:00Z",
                                  "2026-01-01 00:00:00", "-9999999999d", "-999999999d", "0001-01-01T00:00:00+01:00",
                                  "2026-02-30", "١٢٣"])
def test_anything_else_is_an_invalid_time(text: str) -> None:
    with pytest.raises(HistoryTimeInvalid) as raised:
        parse_instant(text, NOW)
    assert raised.value.status == 400 and raised.value.code == "history:time.invalid"


def test_a_missing_range_is_the_last_hour() -> None:
    assert parse_range(None, None, NOW) == TimeRange(NOW - timedelta(hours=1), NOW)


def test_a_missing_from_is_an_hour_before_to() -> None:
    end = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_range(None, "2026-01-01T00:00:00Z", NOW) == TimeRange(end - timedelta(hours=1), end)


def test_an_empty_or_reversed_range_is_refused() -> None:
    with pytest.raises(HistoryTimeInvalid):
        parse_range("now", "now", NOW)
    with pytest.raises(HistoryTimeInvalid):
        parse_range("-1h", "-2h", NOW)
    with pytest.raises(HistoryTimeInvalid):
        parse_range(None, "0001-01-01T00:30:00Z", NOW)


def test_a_range_is_half_open_and_aware() -> None:
    time_range = TimeRange(NOW - timedelta(seconds=1), NOW)
    assert NOW - timedelta(seconds=1) in time_range and NOW not in time_range
    with pytest.raises(ValueError):
        TimeRange(NOW.replace(tzinfo=None), NOW.replace(tzinfo=None))
    assert parse_instant("2026-01-01T00:00:00-05:00", NOW).tzinfo == UTC
    assert parse_instant("2026-01-01T00:00:00-05:00", NOW) == datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize(("text", "seconds"), [("1s", 1), ("90s", 90), ("5m", 300), ("1h", 3600), ("24h", 86400),
                                               ("1d", 86400)])
def test_steps_run_from_a_second_to_a_day(text: str, seconds: int) -> None:
    assert parse_step(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["1s", "59s", "90s", "1m", "7m", "1h", "25m", "1d"])
def test_a_step_formats_back_to_text_that_parses_to_it(text: str) -> None:
    assert parse_step(format_step(parse_step(text))) == parse_step(text)
    assert format_step(timedelta(hours=24)) == "1d" and format_step(timedelta(seconds=90)) == "90s"


@pytest.mark.parametrize("text", ["", "0s", "2d", "25h", "1w", "1", "m", "1.5m", "-1m", "1M", "9999999s"])
def test_other_steps_are_refused(text: str) -> None:
    with pytest.raises(HistoryStepInvalid) as raised:
        parse_step(text)
    assert raised.value.status == 400


def test_buckets_are_counted_by_epoch_alignment_with_the_end_excluded() -> None:
    hour = TimeRange(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC))
    assert bucket_count(hour, timedelta(minutes=1)) == 60
    shifted = TimeRange(datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC), datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC))
    assert bucket_count(shifted, timedelta(minutes=1)) == 2


def test_too_many_buckets_are_refused_and_the_limit_itself_is_not() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert bucket_count(TimeRange(start, start + timedelta(seconds=100_000)), timedelta(seconds=1)) == 100_000
    with pytest.raises(HistoryStepInvalid):
        bucket_count(TimeRange(start, start + timedelta(seconds=100_001)), timedelta(seconds=1))
    huge = parse_range("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", NOW)
    with pytest.raises(HistoryStepInvalid):
        bucket_count(huge, timedelta(days=1))


def test_spans_are_one_grammar_whose_units_each_reader_chooses() -> None:
    assert parse_span("90s") == timedelta(seconds=90) and parse_span("2d") == timedelta(days=2)
    assert parse_span("2w", "smhdwy") == timedelta(days=14) and parse_span("1y", "smhdwy") == timedelta(days=365)
    for text in ("1w", "1y", "", "1", "-1s", "1.5m", "1M", "1000000000s", " 1s", "١s"):
        assert parse_span(text) is None, text
    assert parse_span("999999999d") == timedelta(days=999_999_999)  # the largest timedelta
    assert parse_span("999999999y", "y") is None  # beyond it: no span rather than an OverflowError
