from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from twinhub.rql import (
    Comparison,
    In,
    Placeholder,
    RqlInvalid,
    parse_filter,
    resolve_placeholder,
    resolve_placeholders,
)

# Saturday, 2024-01-06 15:23:42.123456 at UTC+01:00
NOW = datetime(2024, 1, 6, 15, 23, 42, 123456, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("time:now", "2024-01-06T14:23:42.123456Z"),
        ("time:now+1h", "2024-01-06T15:23:42.123456Z"),
        ("time:now-7d", "2023-12-30T14:23:42.123456Z"),
        ("time:now-45", "2024-01-06T14:22:57.123456Z"),
        ("time:now-45s", "2024-01-06T14:22:57.123456Z"),
        ("time:now+250ms", "2024-01-06T14:23:42.373456Z"),
        ("time:now-2w", "2023-12-23T14:23:42.123456Z"),
        ("time:now-1mo", "2023-12-07T03:54:36.123456Z"),  # a month is 2629746 s, as in Ditto
        ("time:now-1y", "2023-01-06T08:34:30.123456Z"),  # a year is 365.2425 days
        ("time:now[ms]", "2024-01-06T14:23:42.123Z"),
        ("time:now[s]", "2024-01-06T14:23:42Z"),
        ("time:now[]", "2024-01-06T14:23:42Z"),
        ("time:now[m]", "2024-01-06T14:23:00Z"),
        ("time:now[h]", "2024-01-06T14:00:00Z"),
        ("time:now[d]", "2024-01-06T00:00:00Z"),  # days truncate in UTC
        ("time:now-25m[m]", "2024-01-06T13:58:00Z"),
        ("time:now+30d[d]", "2024-02-05T00:00:00Z"),
        ("time:now[w]", "2023-12-31T23:00:00Z"),  # Monday 00:00 in the zone of now
        ("time:now[mo]", "2023-12-31T23:00:00Z"),
        ("time:now[y]", "2023-12-31T23:00:00Z"),
        ("time:now_epoch_millis", 1704551022123),
        ("time:now_epoch_millis-1s", 1704551021123),
        ("time:now_epoch_millis[h]", 1704549600000),
    ],
)
def test_time_placeholders(name: str, value: str | int) -> None:
    assert resolve_placeholder(Placeholder(name), NOW) == value


@pytest.mark.parametrize(
    "name",
    ["time:later", "time:now ", "time:nowx", "time:now-", "time:now-1x", "time:now[q]", "time:now-1h[", "time:now--1h"],
)
def test_unsupported_placeholders_are_rql_invalid(name: str) -> None:
    with pytest.raises(RqlInvalid, match="unsupported placeholder"):
        resolve_placeholder(Placeholder(name), NOW)


def test_offsets_beyond_the_calendar_are_rql_invalid() -> None:
    with pytest.raises(RqlInvalid, match="out of the range of dates"):
        resolve_placeholder(Placeholder("time:now+999999999999999999y"), NOW)


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        resolve_placeholder(Placeholder("time:now"), datetime(2024, 1, 1))


def test_instants_print_like_java() -> None:
    assert resolve_placeholder(Placeholder("time:now"), datetime(2024, 1, 6, tzinfo=UTC)) == "2024-01-06T00:00:00Z"
    at_millis = datetime(2024, 1, 6, 0, 0, 0, 100000, tzinfo=UTC)
    assert resolve_placeholder(Placeholder("time:now"), at_millis) == "2024-01-06T00:00:00.100Z"


def test_resolve_placeholders_replaces_values_in_the_whole_tree() -> None:
    node = parse_filter("and(lt(_modified,time:now),not(in(a,1,time:now_epoch_millis)),exists(time:now))")
    assert resolve_placeholders(node, NOW) == parse_filter(
        'and(lt(_modified,"2024-01-06T14:23:42.123456Z"),not(in(a,1,1704551022123)),exists(time:now))'
    )
    assert resolve_placeholders(Comparison("eq", "a", "time:now"), NOW) == Comparison("eq", "a", "time:now")
    assert resolve_placeholders(In("a", (None,)), NOW) == In("a", (None,))
