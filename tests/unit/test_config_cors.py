"""The `cors_origins` setting: origins as browsers send them in `Origin` (RFC 6454: scheme, host, port; what
Ditto's nginx-cors.conf compares `$http_origin` with), `*` for any, none by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from twinhub.api.cors import cors_middleware
from twinhub.app import create_app
from twinhub.config import Settings, SettingsError, load_settings


def test_no_origins_by_default() -> None:
    assert Settings().cors_origins == ()
    assert load_settings({}).cors_origins == ()


def test_origins_are_comma_separated_normalized_and_unique() -> None:
    settings = load_settings({"TWINHUB_CORS_ORIGINS": " https://Console.Example.com/ ,http://localhost:3000,,"
                                                      "https://console.example.com, http://[::1]:8080"})
    assert settings.cors_origins == ("https://console.example.com", "http://localhost:3000", "http://[::1]:8080")


def test_origins_from_a_toml_list(tmp_path: Path) -> None:
    path = tmp_path / "twinhub.toml"
    path.write_text('cors_origins = ["*", "https://console.example.com"]\n')
    assert load_settings({}, config_file=path).cors_origins == ("*", "https://console.example.com")


def test_origins_round_trip_through_the_environment() -> None:
    settings = load_settings({"TWINHUB_CORS_ORIGINS": "https://a.example,*"})
    assert load_settings(settings.to_environ()).cors_origins == settings.cors_origins


@pytest.mark.parametrize("raw", ["console.example.com", "https://console.example.com/app", "https://",
                                 "https://user@console.example.com", "https://console.example.com?x=1",
                                 "https://console.example.com:port", "**"])
def test_what_is_no_origin_is_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match="cors_origins"):
        load_settings({"TWINHUB_CORS_ORIGINS": raw})


def test_cors_off_adds_no_middleware(tmp_path: Path) -> None:
    """No per-request work without origins: the application has no middleware of its own."""
    assert cors_middleware(Settings()) == []
    assert create_app(Settings(data_dir=tmp_path)).user_middleware == []
    assert len(create_app(Settings(data_dir=tmp_path, cors_origins=("*",))).user_middleware) == 1
