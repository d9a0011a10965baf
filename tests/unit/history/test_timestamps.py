from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from twinhub.history import HISTORY_TIMESTAMP_HEADER, parse_device_time
from twinhub.model.errors import HeaderInvalid


@pytest.mark.parametrize(("text", "moment"), [
    ("2025-12-31T23:00:00.250Z", datetime(2025, 12, 31, 23, 0, 0, 250_000, tzinfo=UTC)),
    ("2025-12-31T23:00:00+01:00", datetime(2025, 12, 31, 22, tzinfo=UTC)),
])
def test_the_header_sets_the_time_in_utc(text: str, moment: datetime) -> None:
    found = parse_device_time(text)
    assert found == moment and found.utcoffset() == timedelta(0) and found.tzinfo is UTC


@pytest.mark.parametrize("text", ["yesterday", "", "2025-12-31T23:00:00", "1700000000", "2025-13-01T00:00:00Z",
                                  "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])  # no UTC moment
def test_a_value_that_is_no_timestamp_with_a_zone_is_a_ditto_header_error(text: str) -> None:
    with pytest.raises(HeaderInvalid) as raised:
        parse_device_time(text)
    assert raised.value.status == 400 and raised.value.code == "header.invalid"
    assert HISTORY_TIMESTAMP_HEADER in raised.value.message


def test_an_offset_is_kept_as_the_same_moment() -> None:
    zone = timezone(timedelta(hours=-5))
    assert parse_device_time(datetime(2026, 1, 1, 7, tzinfo=zone).isoformat()) == \
        datetime(2026, 1, 1, 12, tzinfo=UTC)
