from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinhub.auth.jwt import OidcIssuer
from twinhub.auth.settings import parse_oidc_issuers
from twinhub.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_PORT,
    TELEMETRY_LAYOUTS,
    Settings,
    SettingsError,
    load_settings,
)
from twinhub.connectivity.device.telemetry import Layout
from twinhub.history import HistoryRules, Rule

BOOLEANS = ("dev_auth", "pre_authentication", "basic_auth")
TRUE_TEXTS = ("1", "true", "yes", "on", "TRUE", "Yes", "On")
FALSE_TEXTS = ("0", "false", "no", "off", "FALSE", "No", "OFF")
JWKS_URL = "https://sso.example.com/realms/iot/protocol/openid-connect/certs"

OIDC_TOML = f'''
[[oidc]]
key = "keycloak"
issuer = "https://sso.example.com/realms/iot"
audience = "twinhub"
jwks_url = "{JWKS_URL}"
auth_subjects = ["{{{{ jwt:sub }}}}", "{{{{ jwt:realm_access/roles }}}}"]
leeway_seconds = 10

[[oidc]]
key = "local"
issuer = "http://localhost:9000"
jwks_file = "/etc/twinhub/jwks.json"
'''
KEYCLOAK = OidcIssuer(key="keycloak", issuer="https://sso.example.com/realms/iot", audience="twinhub",
                      jwks_url=JWKS_URL, auth_subjects=("{{ jwt:sub }}", "{{ jwt:realm_access/roles }}"),
                      leeway_seconds=10)
LOCAL = OidcIssuer(key="local", issuer="http://localhost:9000", jwks_file=Path("/etc/twinhub/jwks.json"))


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
    assert settings.default_namespace == "org.eclipse.ditto"
    assert settings.max_thing_size == 100 * 1024
    assert settings.max_request_size == 1024 * 1024
    assert settings.cache_size == 100_000
    assert settings.dev_auth is False
    assert settings.pre_authentication is False
    assert settings.basic_auth is True
    assert settings.oidc == ()
    assert settings.policy_expiry_granularity == 3600
    assert settings.store_url == ""
    assert settings.bus_url == ""
    assert settings.bus_stream == "TWINHUB_EVENTS"
    assert settings.workers == 1


def test_auth_mode_is_gone() -> None:
    assert not hasattr(Settings(), "auth_mode")
    with pytest.raises(TypeError):
        Settings(auth_mode="dev")  # type: ignore[call-arg]


def test_empty_environment_gives_the_defaults() -> None:
    assert load_settings({}) == Settings()


def test_unrelated_environment_variables_are_ignored() -> None:
    # TWINHUB_AUTH_MODE names a setting that no longer exists: ignored like any other unrelated variable.
    environ = {"PORT": "1", "TWINHUB_UNKNOWN": "x", "HOME": "/root", "TWINHUB_AUTH_MODE": "dev"}
    assert load_settings(environ) == Settings()


def test_settings_are_immutable() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


# --- TOML file ------------------------------------------------------------------------------


def test_toml_file_sets_values(tmp_path: Path) -> None:
    path = _toml(tmp_path, 'host = "0.0.0.0"\nport = 9000\ndata_dir = "/var/lib/twinhub"\n'
                           'default_namespace = "com.acme"\nmax_thing_size = 2048\ncache_size = 10\n'
                           'dev_auth = true\npre_authentication = true\nbasic_auth = false\n'
                           'policy_expiry_granularity = 60\n')
    settings = load_settings({}, config_file=path)
    assert settings == Settings(host="0.0.0.0", port=9000, data_dir=Path("/var/lib/twinhub"),
                                default_namespace="com.acme", max_thing_size=2048, cache_size=10, dev_auth=True,
                                pre_authentication=True, basic_auth=False, policy_expiry_granularity=60)
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


def test_auth_mode_in_the_file_is_an_unknown_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="auth_mode"):
        load_settings({}, config_file=_toml(tmp_path, 'auth_mode = "dev"\n'))


@pytest.mark.parametrize("text", ['port = "eighty"\n', "port = true\n", "cache_size = 1.5\n", "port = [1]\n",
                                  "policy_expiry_granularity = false\n"])
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
               "TWINHUB_MAX_REQUEST_SIZE": "20", "TWINHUB_CACHE_SIZE": "0", "TWINHUB_DEV_AUTH": "yes",
               "TWINHUB_PRE_AUTHENTICATION": "on", "TWINHUB_BASIC_AUTH": "0",
               "TWINHUB_POLICY_EXPIRY_GRANULARITY": "900", "TWINHUB_STORE_URL": "postgresql://db/twinhub",
               "TWINHUB_BUS_URL": "nats://bus:4222", "TWINHUB_WORKERS": "4"}
    assert load_settings(environ) == Settings(host="::", port=8181, data_dir=Path("/data"), default_namespace="io.x",
                                              max_thing_size=10, max_request_size=20, cache_size=0, dev_auth=True,
                                              pre_authentication=True, basic_auth=False,
                                              policy_expiry_granularity=900, store_url="postgresql://db/twinhub",
                                              bus_url="nats://bus:4222", workers=4)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = _toml(tmp_path, 'port = 9000\nhost = "file-host"\ndev_auth = true\n')
    settings = load_settings({"TWINHUB_PORT": "9100", "TWINHUB_DEV_AUTH": "off"}, config_file=path)
    assert settings.port == 9100
    assert settings.host == "file-host"
    assert settings.dev_auth is False


@pytest.mark.parametrize("raw", ["abc", "", "1.5", "0x10", "8080 tcp"])
def test_bad_int_in_the_environment_is_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match="port"):
        load_settings({"TWINHUB_PORT": raw})
    with pytest.raises(SettingsError, match="policy_expiry_granularity"):
        load_settings({"TWINHUB_POLICY_EXPIRY_GRANULARITY": raw})
    with pytest.raises(SettingsError, match="workers"):
        load_settings({"TWINHUB_WORKERS": raw})


@pytest.mark.parametrize("raw", ["-1", "65536", "70000"])
def test_a_port_out_of_range_is_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"'port': .* is not a port number \(0 to 65535"):
        load_settings({"TWINHUB_PORT": raw})
    with pytest.raises(SettingsError, match="not a port number"):
        load_settings({}, port=raw)


def test_port_zero_is_any_free_port() -> None:
    assert load_settings({"TWINHUB_PORT": "0"}).port == 0


# --- booleans -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BOOLEANS)
@pytest.mark.parametrize(("raw", "expected"), [(text, True) for text in TRUE_TEXTS]
                         + [(text, False) for text in FALSE_TEXTS])
def test_boolean_spellings_in_the_environment(name: str, raw: str, expected: bool) -> None:
    value = getattr(load_settings({f"TWINHUB_{name.upper()}": raw}), name)
    assert value is expected


@pytest.mark.parametrize("name", BOOLEANS)
@pytest.mark.parametrize("raw", ["", "2", "-1", "maybe", "truthy", "y", "n", "t", "f", "enabled", " true", "nein"])
def test_other_boolean_text_is_a_settings_error(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({f"TWINHUB_{name.upper()}": raw})


@pytest.mark.parametrize("name", BOOLEANS)
def test_toml_booleans(tmp_path: Path, name: str) -> None:
    assert getattr(load_settings({}, config_file=_toml(tmp_path, f"{name} = true\n")), name) is True
    assert getattr(load_settings({}, config_file=_toml(tmp_path, f"{name} = false\n")), name) is False
    assert getattr(load_settings({}, config_file=_toml(tmp_path, f'{name} = "yes"\n')), name) is True
    with pytest.raises(SettingsError, match=name):
        load_settings({}, config_file=_toml(tmp_path, f'{name} = "maybe"\n'))


@pytest.mark.parametrize("name", BOOLEANS)
def test_boolean_keyword_overrides(name: str) -> None:
    assert getattr(load_settings({f"TWINHUB_{name.upper()}": "false"}, **{name: True}), name) is True
    assert getattr(load_settings({f"TWINHUB_{name.upper()}": "true"}, **{name: "off"}), name) is False
    with pytest.raises(SettingsError, match=name):
        load_settings({}, **{name: "sometimes"})


# --- OIDC issuers ---------------------------------------------------------------------------


def test_oidc_tables_in_the_toml_file(tmp_path: Path) -> None:
    settings = load_settings({}, config_file=_toml(tmp_path, OIDC_TOML))
    assert settings.oidc == (KEYCLOAK, LOCAL)
    assert settings.oidc[1].auth_subjects == ("{{ jwt:sub }}",)
    assert settings.oidc[1].leeway_seconds == 30
    assert settings.oidc[1].audience is None


def test_oidc_json_in_the_environment() -> None:
    tables = [{"key": "keycloak", "issuer": "https://sso.example.com/realms/iot", "audience": "twinhub",
               "jwks_url": JWKS_URL, "auth_subjects": ["{{ jwt:sub }}", "{{ jwt:realm_access/roles }}"],
               "leeway_seconds": 10}]
    assert load_settings({"TWINHUB_OIDC": json.dumps(tables)}).oidc == (KEYCLOAK,)


def test_oidc_in_the_environment_overrides_the_file(tmp_path: Path) -> None:
    environ = {"TWINHUB_OIDC": json.dumps([{"key": "local", "issuer": "http://localhost:9000",
                                            "jwks_file": "/etc/twinhub/jwks.json"}])}
    assert load_settings(environ, config_file=_toml(tmp_path, OIDC_TOML)).oidc == (LOCAL,)


def test_empty_oidc_environment_variable_means_no_issuer() -> None:
    assert load_settings({"TWINHUB_OIDC": ""}).oidc == ()
    assert parse_oidc_issuers(None) == parse_oidc_issuers("") == parse_oidc_issuers([]) == ()


def test_oidc_tables_round_trip_through_the_environment(tmp_path: Path) -> None:
    # Top-level keys first: after an [[oidc]] header, TOML keys belong to that table.
    settings = load_settings({}, config_file=_toml(tmp_path, "port = 9000\ndev_auth = true\n" + OIDC_TOML))
    assert (settings.port, settings.dev_auth, settings.oidc) == (9000, True, (KEYCLOAK, LOCAL))
    environ = settings.to_environ()
    assert json.loads(environ["TWINHUB_OIDC"])[0]["key"] == "keycloak"
    assert load_settings(environ=environ) == settings
    assert load_settings(environ=environ).oidc == (KEYCLOAK, LOCAL)


@pytest.mark.parametrize("table", [
    'key = "k"\nissuer = "https://idp"\n',  # neither jwks_url nor jwks_file
    f'key = "k"\nissuer = "https://idp"\njwks_url = "{JWKS_URL}"\njwks_file = "/etc/jwks.json"\n',  # both
    'key = "k"\nissuer = "https://idp"\njwks_url = "http://sso.example.com/certs"\n',  # http off loopback
    f'key = "k:1"\nissuer = "https://idp"\njwks_url = "{JWKS_URL}"\n',  # ':' in the key
    f'issuer = "https://idp"\njwks_url = "{JWKS_URL}"\n',  # no key
    f'key = "k"\nissuer = "https://idp"\njwks_url = "{JWKS_URL}"\nscopes = ["openid"]\n',  # unknown key
    f'key = "k"\nissuer = "https://idp"\njwks_url = "{JWKS_URL}"\nleeway_seconds = "30"\n',
    f'key = "k"\nissuer = "https://idp"\njwks_url = "{JWKS_URL}"\nauth_subjects = "{{{{ jwt:sub }}}}"\n',
])
def test_invalid_oidc_table_is_a_settings_error(tmp_path: Path, table: str) -> None:
    with pytest.raises(SettingsError, match="oidc"):
        load_settings({}, config_file=_toml(tmp_path, "[[oidc]]\n" + table))


def test_oidc_key_configured_twice_is_a_settings_error(tmp_path: Path) -> None:
    twice = OIDC_TOML + f'\n[[oidc]]\nkey = "keycloak"\nissuer = "https://other"\njwks_url = "{JWKS_URL}"\n'
    with pytest.raises(SettingsError, match="keycloak"):
        load_settings({}, config_file=_toml(tmp_path, twice))


@pytest.mark.parametrize("raw", ["[{", '{"key": "k"}', "42", '["not a table"]'])
def test_invalid_oidc_json_is_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match="oidc"):
        load_settings({"TWINHUB_OIDC": raw})


def test_oidc_issuer_needs_exactly_one_key_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        OidcIssuer(key="k", issuer="https://idp")
    with pytest.raises(ValueError, match="exactly one"):
        OidcIssuer(key="k", issuer="https://idp", jwks_url=JWKS_URL, jwks_file=Path("/etc/jwks.json"))


# --- keyword overrides ----------------------------------------------------------------------


def test_keyword_overrides_win_over_environment_and_file(tmp_path: Path) -> None:
    path = _toml(tmp_path, "port = 9000\ncache_size = 5\n")
    settings = load_settings({"TWINHUB_PORT": "9100"}, config_file=path, port=9200)
    assert settings.port == 9200
    assert settings.cache_size == 5


def test_none_keyword_overrides_are_ignored() -> None:
    assert load_settings({"TWINHUB_PORT": "9100"}, port=None).port == 9100
    assert load_settings({"TWINHUB_DEV_AUTH": "yes"}, dev_auth=None).dev_auth is True


def test_keyword_overrides_are_converted_and_checked() -> None:
    settings = load_settings({}, port="9300", data_dir="relative/dir", policy_expiry_granularity="60")
    assert settings.port == 9300
    assert settings.data_dir == Path("relative/dir")
    assert settings.policy_expiry_granularity == 60
    with pytest.raises(SettingsError):
        load_settings({}, port="not-a-port")


@pytest.mark.parametrize("overrides", [{"prot": 9000}, {"auth_mode": "dev"}, {"auth_mode": None}])
def test_unknown_keyword_override_is_a_settings_error(overrides: dict[str, object]) -> None:
    with pytest.raises(SettingsError, match=next(iter(overrides))):
        load_settings({}, **overrides)


# --- to_environ -----------------------------------------------------------------------------


def test_to_environ_names_every_setting() -> None:
    names = set(Settings().to_environ())
    assert names == {f"TWINHUB_{field.name.upper()}" for field in fields(Settings)}
    assert names >= {
        "TWINHUB_HOST", "TWINHUB_PORT", "TWINHUB_DATA_DIR", "TWINHUB_DEFAULT_NAMESPACE", "TWINHUB_MAX_THING_SIZE",
        "TWINHUB_MAX_REQUEST_SIZE", "TWINHUB_CACHE_SIZE", "TWINHUB_DEV_AUTH", "TWINHUB_PRE_AUTHENTICATION",
        "TWINHUB_BASIC_AUTH", "TWINHUB_OIDC", "TWINHUB_POLICY_EXPIRY_GRANULARITY", "TWINHUB_STORE_URL",
        "TWINHUB_BUS_URL", "TWINHUB_BUS_STREAM", "TWINHUB_WORKERS",
    }


def test_to_environ_round_trips_the_defaults() -> None:
    assert load_settings(environ=Settings().to_environ()) == Settings()


def test_to_environ_round_trips_settings_loaded_from_a_file(tmp_path: Path) -> None:
    settings = load_settings({}, config_file=_toml(tmp_path, 'port = 1\ndata_dir = "x y/z"\nhost = "h"\n'
                                                             "basic_auth = false\npre_authentication = true\n"))
    assert load_settings(environ=settings.to_environ()) == settings


TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=20)
PATHS = st.lists(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/\\"),
                         min_size=1, max_size=8), min_size=1, max_size=3).map(lambda parts: Path("/".join(parts)))


@given(host=TEXT, port=st.integers(0, 65535), data_dir=PATHS, default_namespace=TEXT,
       max_thing_size=st.integers(0, 2**40), max_request_size=st.integers(0, 2**40), cache_size=st.integers(0, 10**9),
       flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       policy_expiry_granularity=st.integers(0, 10**7), oidc=st.sampled_from([(), (KEYCLOAK,), (LOCAL, KEYCLOAK)]),
       urls=st.tuples(st.just("") | TEXT, st.just("") | TEXT), workers=st.integers(1, 64))
def test_to_environ_round_trips_through_load_settings(host: str, port: int, data_dir: Path, default_namespace: str,
                                                      max_thing_size: int, max_request_size: int, cache_size: int,
                                                      flags: tuple[bool, bool, bool], policy_expiry_granularity: int,
                                                      oidc: tuple[OidcIssuer, ...], urls: tuple[str, str],
                                                      workers: int) -> None:
    dev_auth, pre_authentication, basic_auth = flags
    store_url, bus_url = urls
    settings = Settings(host=host, port=port, data_dir=data_dir, default_namespace=default_namespace,
                        max_thing_size=max_thing_size, max_request_size=max_request_size, cache_size=cache_size,
                        dev_auth=dev_auth, pre_authentication=pre_authentication, basic_auth=basic_auth, oidc=oidc,
                        policy_expiry_granularity=policy_expiry_granularity, store_url=store_url, bus_url=bus_url,
                        workers=workers)
    environ = settings.to_environ()
    assert all(isinstance(value, str) for value in environ.values())
    assert load_settings(environ=environ) == settings


def test_buffer_limits_come_from_the_environment_and_must_be_positive() -> None:
    settings = load_settings({"TWINHUB_SESSION_BUFFER_BYTES": "65536", "TWINHUB_BUFFER_BUDGET_BYTES": "1048576",
                              "TWINHUB_MAX_SESSIONS_PER_SUBJECT": "3"})
    assert (settings.session_buffer_bytes, settings.buffer_budget_bytes, settings.max_sessions_per_subject) == (
        65536, 1048576, 3)
    assert Settings().session_buffer_bytes == 4 * 1024 * 1024
    with pytest.raises(SettingsError):
        load_settings({"TWINHUB_MAX_SESSIONS_PER_SUBJECT": "0"})


# --- admin subjects ---------------------------------------------------------------------------


def test_nobody_is_an_admin_by_default() -> None:
    assert Settings().admin_subjects == ()


def test_admin_subjects_are_comma_separated_in_the_environment() -> None:
    settings = load_settings(environ={"TWINHUB_ADMIN_SUBJECTS": " nginx:admin, oidc:ops ,,nginx:admin"})
    assert settings.admin_subjects == ("nginx:admin", "oidc:ops")


def test_admin_subjects_are_a_list_in_toml(tmp_path: Path) -> None:
    settings = load_settings(environ={}, config_file=_toml(tmp_path, 'admin_subjects = ["nginx:admin"]\n'))
    assert settings.admin_subjects == ("nginx:admin",)


def test_admin_subjects_that_are_not_strings_are_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="admin_subjects"):
        load_settings(environ={}, config_file=_toml(tmp_path, "admin_subjects = [1]\n"))


def test_admin_subjects_survive_to_environ() -> None:
    settings = load_settings(environ={"TWINHUB_ADMIN_SUBJECTS": "nginx:a,oidc:b"})
    assert load_settings(environ=settings.to_environ()) == settings


@pytest.mark.parametrize(("raw", "port"), [(None, None), ("", None), ("  ", None), ("0", 0), ("1884", 1884)])
def test_the_mqtt_port_is_off_unless_set(raw: str | None, port: int | None) -> None:
    environ = {} if raw is None else {"TWINHUB_MQTT_PORT": raw}
    settings = load_settings(environ)
    assert settings.mqtt_port == port
    assert load_settings(settings.to_environ()).mqtt_port == port  # what a worker process rebuilds


@pytest.mark.parametrize("raw", ["x", "-1", "65536", "1.5"])
def test_an_invalid_mqtt_port_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="setting 'mqtt_port'"):
        load_settings({"TWINHUB_MQTT_PORT": raw})


def test_the_telemetry_layout_is_one_of_three() -> None:
    assert load_settings({}).mqtt_telemetry == "features"
    assert load_settings({"TWINHUB_MQTT_TELEMETRY": "attributes"}).mqtt_telemetry == "attributes"
    with pytest.raises(SettingsError, match="mqtt_telemetry"):
        load_settings({"TWINHUB_MQTT_TELEMETRY": "Features"})


def test_the_settings_take_exactly_the_layouts_the_device_endpoint_knows() -> None:
    """The settings spell the layouts again (config sits below connectivity); one the endpoint does not know
    would pass the settings and fail every device connection."""
    assert sorted(Layout(name).value for name in TELEMETRY_LAYOUTS) == sorted(layout.value for layout in Layout)
    for name in TELEMETRY_LAYOUTS:
        assert load_settings({"TWINHUB_MQTT_TELEMETRY": name}).mqtt_telemetry == name


def test_history_records_every_leaf_by_default() -> None:
    assert Settings().history_rules() == HistoryRules()


def test_history_rules_come_from_the_environment_and_from_toml(tmp_path: Path) -> None:
    settings = load_settings(environ={"TWINHUB_HISTORY_INCLUDE": "features/*, plant:attributes/*",
                                      "TWINHUB_HISTORY_EXCLUDE": "*/desiredProperties/*"})
    assert settings.history_rules() == HistoryRules(
        (Rule("features/*"), Rule("attributes/*", "plant")), (Rule("*/desiredProperties/*"),))
    assert load_settings(environ=settings.to_environ()) == settings
    from_toml = load_settings(environ={}, config_file=_toml(tmp_path, 'history_exclude = ["attributes/secret"]\n'))
    assert from_toml.history_rules() == HistoryRules(exclude=(Rule("attributes/secret"),))


def test_a_malformed_history_rule_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match=r"history_include.*not a namespace"):
        load_settings(environ={"TWINHUB_HISTORY_INCLUDE": "bad ns:attributes/a"})


def test_the_influxdb_sink_takes_an_http_url_and_keeps_its_token_out_of_repr() -> None:
    settings = load_settings({"TWINHUB_HISTORY_INFLUXDB_URL": "http://127.0.0.1:8086/write?db=twinhub",
                              "TWINHUB_HISTORY_INFLUXDB_TOKEN": "user:s3cret"})
    assert settings.history_influxdb_url == "http://127.0.0.1:8086/write?db=twinhub"
    assert settings.history_influxdb_token == "user:s3cret"
    assert "s3cret" not in repr(settings)
    assert load_settings({}).history_influxdb_url == ""
    for wrong in ("127.0.0.1:8086/write", "ftp://host/write", "/write?db=x", "http:///write"):
        with pytest.raises(SettingsError, match="history_influxdb_url"):
            load_settings({"TWINHUB_HISTORY_INFLUXDB_URL": wrong})


def test_the_history_cursor_key_comes_from_the_environment_and_stays_out_of_repr() -> None:
    assert Settings().history_cursor_key == ""
    settings = load_settings(environ={"TWINHUB_HISTORY_CURSOR_KEY": "s3cret-key"})
    assert settings.history_cursor_key == "s3cret-key"
    assert "s3cret-key" not in repr(settings)
    assert load_settings(environ=settings.to_environ()) == settings


@pytest.mark.parametrize("raw", ["{", "null", "[1]", '"text"'])
def test_a_td_setting_that_is_no_json_object_is_a_settings_error(raw: str) -> None:
    """The Thing Description template and placeholders hold JSON objects; JSON `null` counts as set, not empty."""
    with pytest.raises(SettingsError, match="wot_td_template"):
        load_settings({"TWINHUB_WOT_TD_TEMPLATE": raw})
    with pytest.raises(SettingsError, match="wot_td_placeholders"):
        load_settings({"TWINHUB_WOT_TD_PLACEHOLDERS": raw})


def test_td_settings_read_as_json_objects_and_empty_as_unset() -> None:
    settings = load_settings({"TWINHUB_WOT_TD_TEMPLATE": '{"a": 1}', "TWINHUB_WOT_TD_PLACEHOLDERS": " "})
    assert settings.wot_td_template == '{"a": 1}' and settings.wot_td_placeholders == " "



def test_validation_dynamic_setting_that_is_no_json_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="wot_validation_dynamic"):
        load_settings({"TWINHUB_WOT_VALIDATION_DYNAMIC": "[{"})


def test_an_unknown_validation_aspect_names_its_own_setting() -> None:
    with pytest.raises(SettingsError, match="wot_validation_off"):
        load_settings({"TWINHUB_WOT_VALIDATION_OFF": "no-such-aspect"})
