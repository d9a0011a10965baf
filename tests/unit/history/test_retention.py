from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twinhub.config import SettingsError, load_settings
from twinhub.history.retention import (
    HistoryRetention,
    parse_duration,
    parse_retention,
    parse_rollup_retention,
    parse_rollups,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def test_durations_have_a_unit_and_none_means_forever() -> None:
    assert parse_duration("30d") == 30 * DAY
    assert parse_duration("5y") == 5 * 365 * DAY
    assert parse_duration("2w") == 14 * DAY
    assert parse_duration(" 90s ") == timedelta(seconds=90)
    assert parse_duration("none") is None
    for bad in ("", "30", "d", "-1d", "1.5h", "0d", "1M", "999999y"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


def test_rollup_widths_default_and_none() -> None:
    assert parse_rollups(["1h", "1m"]) == (timedelta(minutes=1), timedelta(hours=1))
    assert parse_rollups(["none"]) == ()
    assert parse_rollups([]) == ()
    with pytest.raises(ValueError, match="1s to 1d"):
        parse_rollups(["2d"])
    with pytest.raises(ValueError, match="twice"):
        parse_rollups(["60s", "1m"])
    with pytest.raises(ValueError, match="at most 4"):
        parse_rollups(["1s", "1m", "5m", "1h", "1d"])
    with pytest.raises(ValueError, match="just none"):
        parse_rollups(["none", "1m"])


def test_the_first_matching_rule_decides_else_the_default() -> None:
    retention = parse_retention(["30d", "features/*/properties/debug*=1d", "ns.a:attributes/*=none"])
    assert retention.keep("ns.b:t", "features/f/properties/debugLevel") == DAY
    assert retention.keep("ns.a:t", "attributes/x") is None  # kept forever
    assert retention.keep("ns.b:t", "attributes/x") == 30 * DAY
    assert retention.cutoff("ns.b:t", "features/f/properties/debug", NOW) == NOW - DAY
    assert retention.cutoff("ns.a:t", "attributes/x", NOW) is None
    assert not retention.keeps_everything
    assert parse_retention([]) == HistoryRetention() and HistoryRetention().keeps_everything
    assert parse_retention(["attributes/*=1d"]).keep("ns:t", "features/f/properties/x") is None


def test_bad_retention_items_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="second default"):
        parse_retention(["30d", "1d"])
    with pytest.raises(ValueError, match="no rule"):
        parse_retention(["=1d"])
    with pytest.raises(ValueError, match="no duration"):
        parse_retention(["attributes/*=soon"])
    with pytest.raises(ValueError, match="not a namespace"):
        parse_retention(["a b:attributes/*=1d"])


def test_rollup_retention_names_maintained_widths_only() -> None:
    widths = parse_rollups(["1m", "1h"])
    assert parse_rollup_retention(["1m=90d", "1h=5y"], widths) == {timedelta(minutes=1): 90 * DAY,
                                                                     timedelta(hours=1): 5 * 365 * DAY}
    assert parse_rollup_retention(["1h=none"], widths) == {}
    with pytest.raises(ValueError, match="not a maintained"):
        parse_rollup_retention(["5m=1d"], widths)
    with pytest.raises(ValueError, match="<width>=<duration>"):
        parse_rollup_retention(["90d"], widths)
    with pytest.raises(ValueError, match="twice"):
        parse_rollup_retention(["1m=1d", "60s=2d"], widths)


def test_settings_read_and_check_retention() -> None:
    settings = load_settings({"TWINHUB_HISTORY_ROLLUPS": "1m,1h,1d",
                              "TWINHUB_HISTORY_RETENTION": "30d,features/*/properties/debug*=1d",
                              "TWINHUB_HISTORY_ROLLUP_RETENTION": "1m=90d,1h=5y",
                              "TWINHUB_JOURNAL_RETENTION": "90d"})
    assert settings.rollup_widths() == (timedelta(minutes=1), timedelta(hours=1), DAY)
    assert settings.retention().keep("ns:t", "attributes/a") == 30 * DAY
    assert settings.rollup_retention() == {timedelta(minutes=1): 90 * DAY, timedelta(hours=1): 5 * 365 * DAY}
    assert settings.journal_keep() == 90 * DAY
    assert load_settings(settings.to_environ()) == settings
    defaults = load_settings({})
    assert defaults.rollup_widths() == (timedelta(minutes=1), timedelta(hours=1))
    assert defaults.retention().keeps_everything and defaults.journal_keep() is None
    assert load_settings({"TWINHUB_HISTORY_ROLLUPS": "none"}).rollup_widths() == ()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("TWINHUB_HISTORY_ROLLUPS", "1m,3d", "'history_rollups'.*1s to 1d"),
    ("TWINHUB_HISTORY_RETENTION", "30d,1d", "'history_retention'.*second default"),
    ("TWINHUB_HISTORY_ROLLUP_RETENTION", "5m=1d", "'history_rollup_retention'.*not a maintained"),
    ("TWINHUB_JOURNAL_RETENTION", "forever", "'journal_retention'.*no duration"),
    ("TWINHUB_RETENTION_INTERVAL", "0", "'retention_interval'"),
])
def test_bad_retention_settings_are_refused_with_the_setting_named(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({name: value})
