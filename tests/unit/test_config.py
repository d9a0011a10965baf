from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.config import DEFAULT_DATA_DIR, DEFAULT_PORT, Settings, SettingsError, load_settings


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "twinhub.toml"
    path.write_text(text)
    return path


# --- defaults -------------------------------------------------------------------------------


def test_defaults() -> None:
    settings = Settings()
    assert settings.host == "127.0.0.1"
    assert settings.port == DEFAULT_PORT == 8080
    assert settings.data_dir == DEFAULT_DATA_DIR == Path("./twinhub-data")
    assert settings.auth_mode == "dev"
    assert settings.default_namespace == "org.eclipse.ditto"
    assert settings.max_thing_size == 100 * 1024
    assert settings.max_request_size == 1024 * 1024
    assert settings.cache_size == 100_000


def test_empty_environment_gives_the_defaults() -> None:
    assert load_settings({}) == Settings()


def test_unrelated_environment_variables_are_ignored() -> None:
    assert load_settings({"PORT": "1", "TWINHUB_UNKNOWN": "x", "HOME": "/root"}) == Settings()


def test_settings_are_immutable() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


# --- TOML file ------------------------------------------------------------------------------


def test_toml_file_sets_values(tmp_path: Path) -> None:
    path = _toml(tmp_path, 'host = "0.0.0.0"\nport = 9000\ndata_dir = "/var/lib/twinhub"\n'
                           'default_namespace = "com.acme"\nmax_thing_size = 2048\ncache_size = 10\n')
    settings = load_settings({}, config_file=path)
    assert settings == Settings(host="0.0.0.0", port=9000, data_dir=Path("/var/lib/twinhub"),
                                default_namespace="com.acme", max_thing_size=2048, cache_size=10)
    assert isinstance(settings.data_dir, Path)


def test_toml_file_is_found_through_twinhub_config(tmp_path: Path) -> None:
    path = _toml(tmp_path, "port = 9001\n")
    assert load_settings({"TWINHUB_CONFIG": str(path)}).port == 9001


def test_an_empty_twinhub_config_means_no_file() -> None:
    assert load_settings({"TWINHUB_CONFIG": ""}) == Settings()


def test_config_file_argument_wins_over_twinhub_config(tmp_path: Path) -> None:
    chosen = _toml(tmp_path, "port = 9002\n")
    other = tmp_path / "other.toml"
    other.write_text("port = 9003\n")
    assert load_settings({"TWINHUB_CONFIG": str(other)}, config_file=chosen).port == 9002


def test_empty_toml_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_settings({}, config_file=_toml(tmp_path, "")) == Settings()


def test_unknown_toml_key_is_a_settings_error(tmp_path: Path) -> None:
    path = _toml(tmp_path, "port = 9000\nprot = 9001\n")
    with pytest.raises(SettingsError, match="prot"):
        load_settings({}, config_file=path)


@pytest.mark.parametrize("text", ['port = "eighty"\n', "port = true\n", "cache_size = 1.5\n", "port = [1]\n"])
def test_toml_value_that_is_not_an_int_is_a_settings_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(SettingsError):
        load_settings({}, config_file=_toml(tmp_path, text))


def test_malformed_toml_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        load_settings({}, config_file=_toml(tmp_path, "port = \n"))


def test_missing_config_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        load_settings({}, config_file=tmp_path / "absent.toml")
    with pytest.raises(SettingsError):
        load_settings({"TWINHUB_CONFIG": str(tmp_path / "absent.toml")})


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


# --- environment ----------------------------------------------------------------------------


def test_environment_sets_values() -> None:
    environ = {"TWINHUB_HOST": "::", "TWINHUB_PORT": "8181", "TWINHUB_DATA_DIR": "/data",
               "TWINHUB_DEFAULT_NAMESPACE": "io.x", "TWINHUB_MAX_THING_SIZE": "10",
               "TWINHUB_MAX_REQUEST_SIZE": "20", "TWINHUB_CACHE_SIZE": "0", "TWINHUB_AUTH_MODE": "dev"}
    assert load_settings(environ) == Settings(host="::", port=8181, data_dir=Path("/data"), default_namespace="io.x",
                                              max_thing_size=10, max_request_size=20, cache_size=0)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = _toml(tmp_path, 'port = 9000\nhost = "file-host"\n')
    settings = load_settings({"TWINHUB_PORT": "9100"}, config_file=path)
    assert settings.port == 9100
    assert settings.host == "file-host"


@pytest.mark.parametrize("raw", ["abc", "", "1.5", "0x10", "8080 tcp"])
def test_bad_int_in_the_environment_is_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match="port"):
        load_settings({"TWINHUB_PORT": raw})


def test_unknown_auth_mode_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="auth_mode"):
        load_settings({"TWINHUB_AUTH_MODE": "jwt"})


def test_unknown_auth_mode_in_the_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        load_settings({}, config_file=_toml(tmp_path, 'auth_mode = "none"\n'))


# --- keyword overrides ----------------------------------------------------------------------


def test_keyword_overrides_win_over_environment_and_file(tmp_path: Path) -> None:
    path = _toml(tmp_path, "port = 9000\ncache_size = 5\n")
    settings = load_settings({"TWINHUB_PORT": "9100"}, config_file=path, port=9200)
    assert settings.port == 9200
    assert settings.cache_size == 5


def test_none_keyword_overrides_are_ignored() -> None:
    assert load_settings({"TWINHUB_PORT": "9100"}, port=None).port == 9100


def test_keyword_overrides_are_converted_and_checked() -> None:
    settings = load_settings({}, port="9300", data_dir="relative/dir")
    assert settings.port == 9300
    assert settings.data_dir == Path("relative/dir")
    with pytest.raises(SettingsError):
        load_settings({}, port="not-a-port")


# --- to_environ -----------------------------------------------------------------------------


def test_to_environ_names_every_setting() -> None:
    assert set(Settings().to_environ()) == {
        "TWINHUB_HOST", "TWINHUB_PORT", "TWINHUB_DATA_DIR", "TWINHUB_AUTH_MODE", "TWINHUB_DEFAULT_NAMESPACE",
        "TWINHUB_MAX_THING_SIZE", "TWINHUB_MAX_REQUEST_SIZE", "TWINHUB_CACHE_SIZE",
    }


def test_to_environ_round_trips_the_defaults() -> None:
    assert load_settings(environ=Settings().to_environ()) == Settings()


def test_to_environ_round_trips_settings_loaded_from_a_file(tmp_path: Path) -> None:
    settings = load_settings({}, config_file=_toml(tmp_path, 'port = 1\ndata_dir = "x y/z"\nhost = "h"\n'))
    assert load_settings(environ=settings.to_environ()) == settings


TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=20)
PATHS = st.lists(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/\\"),
                         min_size=1, max_size=8), min_size=1, max_size=3).map(lambda parts: Path("/".join(parts)))


@given(host=TEXT, port=st.integers(0, 65535), data_dir=PATHS, default_namespace=TEXT,
       max_thing_size=st.integers(0, 2**40), max_request_size=st.integers(0, 2**40), cache_size=st.integers(0, 10**9))
def test_to_environ_round_trips_through_load_settings(host: str, port: int, data_dir: Path, default_namespace: str,
                                                      max_thing_size: int, max_request_size: int,
                                                      cache_size: int) -> None:
    settings = Settings(host=host, port=port, data_dir=data_dir, default_namespace=default_namespace,
                        max_thing_size=max_thing_size, max_request_size=max_request_size, cache_size=cache_size)
    environ = settings.to_environ()
    assert all(isinstance(value, str) for value in environ.values())
    assert load_settings(environ=environ) == settings
