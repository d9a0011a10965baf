"""Settings, built once from an optional TOML file and the environment (env vars win).

Every setting has an env var `TWINHUB_<NAME>` and a TOML key `<name>` (lower case):

    host, port, data_dir, default_namespace, max_thing_size, max_request_size,
    cache_size, cache_bytes (the things and the policies each cached per worker: at most that many entries of
    at most that many estimated bytes in memory, least recently used first out),
    dev_auth, pre_authentication, basic_auth, oidc ([[oidc]] tables; JSON in TWINHUB_OIDC),
    policy_expiry_granularity (seconds subject expiries are rounded up to),
    store_url (postgresql://...), bus_url (nats://...), workers,
    shutdown_timeout (seconds a stopping worker waits for open SSE streams before it is stopped anyway),
    session_buffer_bytes (what one WebSocket session or SSE stream may fall behind before it is closed),
    buffer_budget_bytes (the same for all of a worker's sessions and streams together: past it, those
    holding the most are closed), max_sessions_per_subject (open WebSocket sessions of one subject per worker),
    admin_subjects (who may manage connections: comma-separated subjects in TWINHUB_ADMIN_SUBJECTS, a list
    in TOML; in development mode every authenticated subject may),
    mqtt_port (the device endpoint's port: unset/empty is off, 0 any free one), mqtt_telemetry (where device
    telemetry lands: features | attributes | merge; see twinhub.connectivity.device.telemetry),
    history_include, history_exclude (which leaves history records: `glob` or `namespace:glob` rules,
    comma-separated in TWINHUB_HISTORY_INCLUDE / _EXCLUDE, a list in TOML; default: every leaf),
    history_cursor_key (signs history page cursors; default: derived from the store's epoch),
    history_rollups (rollup widths kept per leaf, `1m,1h` by default, `none`: none), history_retention (how
    long raw points are kept: `30d,features/*/properties/debug*=1d`; default forever), history_rollup_retention
    (per width: `1m=90d,1h=5y`), journal_retention (how long the thing journal is kept: `90d`; default forever),
    retention_interval (seconds between two pruning passes); see twinhub.history.retention,
    history_influxdb_url (an InfluxDB `/write` URL the points this worker commits are forwarded to, as
    `http://127.0.0.1:8086/write?db=twinhub`; empty: none), history_influxdb_token (sent as `Token <token>`),
    console (serve the web console at `/` and `/console/`: on by default),
    cors_origins (the browser origins, `https://console.example.com`, that may call the API cross-origin:
    comma-separated in TWINHUB_CORS_ORIGINS, a list in TOML; `*` is any origin; default none: no CORS headers),
    wot_fetch_timeout, wot_max_model_bytes (bounds of one Thing Model download), wot_fetch_private_hosts (false:
    models are downloaded only from hosts on public addresses, never loopback, private or link-local ones; on by
    default, as Ditto, which fetches any URL), wot_cache_size,
    wot_cache_bytes, wot_cache_ttl (the downloaded models cached per worker), wot_model_map (`<url-prefix>=store`
    or `<url-prefix>=<directory>` entries, comma-separated: models read locally instead of downloaded),
    wot_skeleton_optional, wot_skeleton_strict (skeletons of things and features created with a Thing Model URL),
    wot_base_prefix, wot_td_template, wot_td_placeholders (generated Thing Descriptions), wot_directory_auth,
    wot_validation (check writes and messages of things whose definitions link a WoT Thing Model against it; on
    by default, as Ditto's `ditto.things.wot.tm-model-validation.enabled`), wot_validation_log_only (log a
    warning instead of refusing: Ditto's `log-warning-instead-of-failing-api-calls`), wot_validation_off (the
    aspects switched off, by their Ditto config keys, `thing.forbid.non-modeled-attributes,feature.enforce.
    properties`: comma-separated in TWINHUB_WOT_VALIDATION_OFF, a list in TOML; see twinhub.wot.validation.config),
    wot_validation_dynamic (Ditto's `dynamic-configuration`: a JSON array of sections overriding those switches for
    calls whose headers or definitions match; see twinhub.wot.validation.dynamic)
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from twinhub.auth import OidcIssuer, oidc_issuers_to_json, parse_oidc_issuers
from twinhub.history import HistoryRules, parse_rules
from twinhub.history.retention import (
    DEFAULT_ROLLUPS,
    HistoryRetention,
    parse_duration,
    parse_retention,
    parse_rollup_retention,
    parse_rollups,
)
from twinhub.history.rules import setting_items
from twinhub.model.types import JsonObject, JsonValue
from twinhub.wot.sources import parse_model_map
from twinhub.wot.validation import ValidationConfig

DEFAULT_PORT = 8080
MAX_PORT = 65535
DEFAULT_DATA_DIR = Path("./twinhub-data")


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = DEFAULT_DATA_DIR
    default_namespace: str = "org.eclipse.ditto"
    max_thing_size: int = 100 * 1024
    max_request_size: int = 1024 * 1024
    cache_size: int = 100_000
    cache_bytes: int = 256 * 1024 * 1024
    # Insecure development mode: any HTTP basic user is `nginx:<user>` without a password check, and the
    # x-ditto-pre-authenticated header is trusted. The server says so loudly when it starts.
    dev_auth: bool = False
    # Trust `x-ditto-pre-authenticated: <issuer>:<subject>` from a proxy in front (off by default).
    pre_authentication: bool = False
    # HTTP basic against the users of `twinhub user add` (subject `nginx:<user>`).
    basic_auth: bool = True
    oidc: tuple[OidcIssuer, ...] = ()
    policy_expiry_granularity: int = 3600
    # Scale-out: a PostgreSQL DSN (postgresql://...) instead of the embedded store, and a NATS URL
    # (nats://...) instead of the in-process bus. Several workers need both.
    store_url: str = ""
    bus_url: str = ""
    # The JetStream stream's name: each store epoch gets `<bus_stream>_<epoch>`, on the subjects
    # `twinhub-events.<bus_stream in lower case>.<epoch>.>` (see twinhub.bus.nats).
    bus_stream: str = "TWINHUB_EVENTS"
    workers: int = 1
    # On SIGINT/SIGTERM the server stops accepting and waits for open responses; an SSE stream never ends by
    # itself, so after this many seconds the worker is stopped anyway (every acknowledged write is durable).
    shutdown_timeout: int = 10
    # Memory for clients that do not keep up: per WebSocket session or SSE stream, and per worker in all.
    session_buffer_bytes: int = 4 * 1024 * 1024
    buffer_budget_bytes: int = 256 * 1024 * 1024
    max_sessions_per_subject: int = 100
    # The subjects (`nginx:admin`, `oidc:<sub>`) that may manage connections (`/api/2/connections`), as
    # Ditto's devops subjects; none: nobody, except in development mode (`dev_auth`), where anyone may.
    admin_subjects: tuple[str, ...] = ()
    # The MQTT device endpoint in the server process (single worker); None: off.
    mqtt_port: int | None = None
    mqtt_telemetry: str = "features"
    # Which leaves history records (twinhub.history.rules): `glob` or `namespace:glob` rules, comma-separated
    # in TWINHUB_HISTORY_INCLUDE / _EXCLUDE; no include rule records every leaf.
    history_include: tuple[str, ...] = ()
    history_exclude: tuple[str, ...] = ()
    # The key that signs history page cursors (any text); empty: one derived from the store's epoch, which all
    # workers of a store share. Set it to keep cursors private to deployments that know it.
    history_cursor_key: str = field(default="", repr=False)
    # Retention and rollups (twinhub.history.retention): rollup widths maintained in the transaction of each
    # point, how long raw points, rollups and the thing journal are kept, and how often a worker prunes.
    history_rollups: tuple[str, ...] = DEFAULT_ROLLUPS
    history_retention: tuple[str, ...] = ()
    history_rollup_retention: tuple[str, ...] = ()
    journal_retention: str = "none"
    retention_interval: int = 60
    # The InfluxDB sink (twinhub.history.sink): where each worker forwards the points it commits; the token
    # (InfluxDB 1.8+/2.x `Authorization: Token`) is kept out of `repr`.
    history_influxdb_url: str = ""
    history_influxdb_token: str = field(default="", repr=False)
    # Cross-origin requests from browsers (twinhub.api.cors): the origins allowed, `*` for any; none: CORS off.
    cors_origins: tuple[str, ...] = ()
    # Web of Things (twinhub.wot): one Thing Model download may take at most `wot_fetch_timeout` seconds and
    # `wot_max_model_bytes` bytes; downloaded models are cached per worker (entries, estimated bytes, seconds);
    # `wot_model_map` maps URL prefixes to the local model store or a directory (twinhub.wot.sources).
    wot_fetch_timeout: int = 10
    wot_max_model_bytes: int = 1024 * 1024
    wot_cache_size: int = 1000
    wot_cache_bytes: int = 32 * 1024 * 1024
    wot_cache_ttl: int = 3600
    wot_model_map: tuple[str, ...] = ()
    # False: refuse model hosts on addresses that are not public (whoever writes a definition picks the URL).
    wot_fetch_private_hosts: bool = True
    # Skeletons on creation (Ditto's `tm-based-creation`): values for `tm:optional` properties too; refuse the
    # creation when the model cannot be fetched or resolved (default: created without skeleton, as Ditto documents).
    wot_skeleton_optional: bool = False
    wot_skeleton_strict: bool = False
    # The web console (`twinhub.console`) at `/` and `/console/`; off leaves only the API.
    console: bool = True
    # Thing Descriptions (Ditto's `to-thing-description`): the public URL prefix of the API (empty: the URL each
    # request came to), a JSON object set over each TD's top level (empty: Ditto's basic-auth template), and a
    # JSON object of placeholder values for models (after each thing's own `model-placeholders`).
    wot_base_prefix: str = ""
    wot_td_template: str = ""
    wot_td_placeholders: str = ""
    # `/.well-known/wot` (the Thing Directory) asks for authentication (Ditto: public by default).
    wot_directory_auth: bool = False
    # WoT Thing Model validation (twinhub.wot.validation): on, log-only, and the aspects switched off.
    wot_validation: bool = True
    wot_validation_log_only: bool = False
    wot_validation_off: tuple[str, ...] = ()
    wot_validation_dynamic: str = ""  # Ditto's `dynamic-configuration` as a JSON array (twinhub.wot.validation.dynamic)

    def to_environ(self) -> dict[str, str]:
        """The env vars that rebuild these settings in a worker process."""
        environ = {f"TWINHUB_{field.name.upper()}": _environ_text(getattr(self, field.name)) for field in fields(self)}
        environ["TWINHUB_OIDC"] = oidc_issuers_to_json(self.oidc)
        environ["TWINHUB_MQTT_PORT"] = "" if self.mqtt_port is None else str(self.mqtt_port)
        return environ

    def history_rules(self) -> HistoryRules:
        """The rules of `history_include` and `history_exclude` (checked when the settings were loaded)."""
        return HistoryRules(parse_rules(self.history_include), parse_rules(self.history_exclude))

    def rollup_widths(self) -> tuple[timedelta, ...]:
        """The rollup widths maintained, finest first (checked when the settings were loaded)."""
        return parse_rollups(self.history_rollups)

    def retention(self) -> HistoryRetention:
        return parse_retention(self.history_retention)

    def rollup_retention(self) -> Mapping[timedelta, timedelta]:
        return parse_rollup_retention(self.history_rollup_retention, self.rollup_widths())

    def wot_validation_config(self) -> ValidationConfig:
        """The WoT validation switches (checked when the settings were loaded)."""
        return ValidationConfig.of(enabled=self.wot_validation, log_only=self.wot_validation_log_only,
                                   off=self.wot_validation_off, dynamic=_json_setting(self.wot_validation_dynamic))

    def journal_keep(self) -> timedelta | None:
        """How long journal entries are kept (None: forever)."""
        return parse_duration(self.journal_retention)


class SettingsError(ValueError):
    pass


_POSITIVE = ("session_buffer_bytes", "buffer_budget_bytes", "max_sessions_per_subject", "retention_interval",
             "wot_fetch_timeout", "wot_max_model_bytes", "wot_cache_ttl")
# Settings kept as their text and read where they are used: each is read once when loaded, so that a bad value
# stops the start with the setting named (in this order: the rollup retention names the rollup widths).
_PARSED: dict[str, Callable[[Settings], object]] = {
    "history_include": lambda settings: parse_rules(settings.history_include),
    "history_exclude": lambda settings: parse_rules(settings.history_exclude),
    "history_rollups": Settings.rollup_widths,
    "history_retention": Settings.retention,
    "history_rollup_retention": Settings.rollup_retention,
    "journal_retention": Settings.journal_keep,
    "wot_model_map": lambda settings: parse_model_map(settings.wot_model_map),
    "wot_td_template": lambda settings: json_object_setting(settings.wot_td_template),
    "wot_td_placeholders": lambda settings: json_object_setting(settings.wot_td_placeholders),
    "wot_validation_off": lambda settings: ValidationConfig.of(off=settings.wot_validation_off),
    "wot_validation_dynamic": lambda settings: ValidationConfig.of(
        dynamic=_json_setting(settings.wot_validation_dynamic)),
}


def _json_setting(text: str) -> JsonValue:
    """A setting holding JSON (empty: None); raises ValueError for text that is no JSON."""
    if not text.strip():
        return None
    try:
        value: JsonValue = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{text[:80]!r} is no JSON") from exc
    return value


def json_object_setting(text: str) -> JsonObject | None:
    """A setting holding a JSON object (empty: None); raises ValueError for anything else."""
    if not text.strip():
        return None
    value = _json_setting(text)
    if not isinstance(value, dict):
        raise ValueError(f"{text[:80]!r} is no JSON object")
    return value


def _environ_text(value: object) -> str:
    """A setting as its env var spells it: a list of names comma-separated (as `_convert` reads it back)."""
    return ",".join(value) if isinstance(value, tuple) and all(isinstance(item, str) for item in value) \
        else str(value)


def _convert(name: str, raw: object) -> object:
    if name == "oidc":
        try:
            return parse_oidc_issuers(raw)
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
    if name == "mqtt_port":
        return _mqtt_port(raw)
    if name == "history_influxdb_url" and str(raw) and (urlsplit(str(raw)).scheme not in ("http", "https")
                                                         or not urlsplit(str(raw)).hostname):
        raise SettingsError(f"setting 'history_influxdb_url': {raw!r} is not an http(s) URL")
    if name == "mqtt_telemetry" and str(raw) not in TELEMETRY_LAYOUTS:
        raise SettingsError(f"setting 'mqtt_telemetry': {raw!r} is not one of {', '.join(TELEMETRY_LAYOUTS)}")
    if name == "cors_origins":
        return _cors_origins(raw)
    if name == "wot_validation_dynamic" and isinstance(raw, list):  # a TOML array of tables: kept as its JSON
        return json.dumps(raw)
    default = getattr(Settings(), name)
    if isinstance(default, tuple):  # a list of names: comma-separated text, or a TOML list of strings
        items = raw if isinstance(raw, list) else str(raw).split(",")
        if not all(isinstance(item, str) for item in items):
            raise SettingsError(f"setting {name!r}: {raw!r} is not a list of strings")
        return tuple(dict.fromkeys(setting_items(items)))
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
                raise ValueError(raw)
            return str(raw).lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(str(raw))
        if isinstance(default, Path):
            return Path(str(raw))
    except ValueError as exc:
        raise SettingsError(f"setting {name!r}: {raw!r} is not valid") from exc
    return str(raw)


TELEMETRY_LAYOUTS = ("features", "attributes", "merge")  # twinhub.connectivity.device.telemetry.Layout, which
# config cannot import (it sits below connectivity); tests/unit/test_config.py pins them equal


def _cors_origins(raw: object) -> tuple[str, ...]:
    """Origins as a browser sends them (`scheme://host[:port]`, lower case, no path), or `*`."""
    items = raw if isinstance(raw, list) else str(raw).split(",")
    origins: list[str] = []
    for item in setting_items(str(item) for item in items):
        origin = item if item == "*" else item.rstrip("/").lower()
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise SettingsError(f"setting 'cors_origins': {item!r} is not an origin (scheme://host[:port]) nor *")
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://([^\s/?#@:\[\]]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?")


def _mqtt_port(raw: object) -> int | None:
    if raw is None or str(raw).strip() == "":
        return None
    try:
        port = int(str(raw))
    except ValueError:
        port = -1
    if not 0 <= port <= MAX_PORT:
        raise SettingsError(f"setting 'mqtt_port': {raw!r} is not a port number (0 to {MAX_PORT}, 0: any free one)")
    return port


def load_settings(environ: Mapping[str, str] | None = None, *, config_file: Path | None = None,
                  **overrides: object) -> Settings:
    """Settings from defaults < TOML file (`TWINHUB_CONFIG` or `config_file`) < env vars < overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    path = config_file or (Path(env["TWINHUB_CONFIG"]) if env.get("TWINHUB_CONFIG") else None)
    if path is not None:
        try:
            values.update(tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read config file {path}: {exc}") from exc
    names = {field.name for field in fields(Settings)}
    unknown = (set(values) | set(overrides)) - names
    if unknown:
        raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
    for name in names:
        if (raw := env.get(f"TWINHUB_{name.upper()}")) is not None:
            values[name] = raw
    values.update({key: value for key, value in overrides.items() if value is not None})
    converted: dict[str, Any] = {name: _convert(name, value) for name, value in values.items()}
    for name in _POSITIVE:
        if name in converted and converted[name] < 1:
            raise SettingsError(f"setting {name!r}: {converted[name]!r} must be at least 1")
    settings = replace(Settings(), **converted)
    for name, parse in _PARSED.items():
        try:
            parse(settings)
        except ValueError as exc:
            raise SettingsError(f"setting {name!r}: {exc}") from exc
    if not 0 <= settings.port <= MAX_PORT:
        raise SettingsError(f"setting 'port': {settings.port} is not a port number (0 to {MAX_PORT}, 0: any free one)")
    return settings
