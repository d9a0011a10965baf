"""`wot_model_map`: URL prefixes mapped to the local model store or a directory (twinhub.wot.sources)."""

from __future__ import annotations

import pytest

from twinhub.config import SettingsError, load_settings
from twinhub.wot import MappedPrefix, parse_model_map


def test_entries_parse_longest_prefix_first() -> None:
    assert parse_model_map(("https://m.example/=store", "https://m.example/tm/v2/=/srv/tm")) == (
        MappedPrefix("https://m.example/tm/v2/", "/srv/tm"), MappedPrefix("https://m.example/", "store"))


@pytest.mark.parametrize("entry", ["store", "https://m.example/=", "=store", "ftp://m.example/=store",
                                   "https://m.example/=relative/dir", "file:///x=store"])
def test_malformed_entries_stop_the_start_with_the_setting_named(entry: str) -> None:
    with pytest.raises(SettingsError, match="wot_model_map"):
        load_settings({"TWINHUB_WOT_MODEL_MAP": entry})


def test_download_bounds_must_be_positive() -> None:
    for name in ("TWINHUB_WOT_FETCH_TIMEOUT", "TWINHUB_WOT_MAX_MODEL_BYTES", "TWINHUB_WOT_CACHE_TTL"):
        with pytest.raises(SettingsError):
            load_settings({name: "0"})
    settings = load_settings({"TWINHUB_WOT_FETCH_TIMEOUT": "3", "TWINHUB_WOT_MODEL_MAP": "https://m.example/=store"})
    assert settings.wot_fetch_timeout == 3 and settings.wot_model_map == ("https://m.example/=store",)
