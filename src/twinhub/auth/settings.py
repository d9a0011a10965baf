"""Authentication settings: OIDC issuers from TOML `[[oidc]]` tables (or JSON in `TWINHUB_OIDC`), and
the `Authenticator` they configure.

    [[oidc]]
    key = "keycloak"                                   # subjects are "keycloak:<value>"
    issuer = "https://sso.example.com/realms/iot"      # the tokens' `iss`
    audience = "twinhub"                               # optional: `aud` must contain it
    jwks_url = "https://sso.example.com/realms/iot/protocol/openid-connect/certs"   # or: jwks_file = "..."
    auth_subjects = ["{{ jwt:sub }}", "{{ jwt:realm_access/roles }}"]               # optional
    leeway_seconds = 30                                # optional
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from twinhub.auth.authenticator import Authenticator
from twinhub.auth.basic import (
    DEFAULT_BASIC_CACHE_SECONDS,
    DEFAULT_MAX_CONCURRENT_VERIFICATIONS,
    BasicVerifier,
)
from twinhub.auth.jwks import DEFAULT_JWKS_TTL_SECONDS, DEFAULT_MIN_RELOAD_SECONDS
from twinhub.auth.jwt import DEFAULT_LEEWAY_SECONDS, JwtAuthenticator, OidcIssuer
from twinhub.auth.passwords import DEFAULT_HASHER
from twinhub.auth.templates import DEFAULT_AUTH_SUBJECT
from twinhub.store.devices import DeviceStore, is_valid_device_id
from twinhub.store.users import UserStore

__all__ = ["build_authenticator", "oidc_issuers_to_json", "parse_oidc_issuers"]

_KEYS = {"key", "issuer", "audience", "jwks_url", "jwks_file", "auth_subjects", "leeway_seconds"}


def parse_oidc_issuers(value: object) -> tuple[OidcIssuer, ...]:
    """Issuers from the TOML value of `oidc` (a list of tables), or from JSON text of the same shape
    (the env var `TWINHUB_OIDC`); None or "" is no issuer. Raises ValueError naming what is wrong (which
    `twinhub.config.load_settings` reports as a SettingsError)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"setting 'oidc': not valid JSON ({exc})") from exc
    if not isinstance(value, list):
        raise ValueError("setting 'oidc': expected a list of tables ([[oidc]] in TOML)")
    issuers = tuple(_issuer(position, table) for position, table in enumerate(value, start=1))
    for attribute in ("key", "issuer"):
        names = [getattr(issuer, attribute) for issuer in issuers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"setting 'oidc': the {attribute} {', '.join(map(repr, duplicates))} "
                                "is configured more than once")
    return issuers


def _issuer(position: int, table: object) -> OidcIssuer:
    where = f"setting 'oidc' #{position}"
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: expected a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    try:
        return OidcIssuer(
            key=_text(table, "key", where),
            issuer=_text(table, "issuer", where),
            audience=_optional_text(table, "audience", where),
            jwks_url=_optional_text(table, "jwks_url", where),
            jwks_file=_optional_path(table, "jwks_file", where),
            auth_subjects=_templates(table, where),
            leeway_seconds=_leeway(table, where),
        )
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _text(table: Mapping[str, object], name: str, where: str) -> str:
    value = table.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{where}: '{name}' must be a string")
    return value


def _optional_text(table: Mapping[str, object], name: str, where: str) -> str | None:
    return None if table.get(name) is None else _text(table, name, where)


def _optional_path(table: Mapping[str, object], name: str, where: str) -> Path | None:
    text = _optional_text(table, name, where)
    return None if text is None else Path(text)


def _templates(table: Mapping[str, object], where: str) -> tuple[str, ...]:
    value = table.get("auth_subjects", [DEFAULT_AUTH_SUBJECT])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: 'auth_subjects' must be a list of strings")
    return tuple(value)


def _leeway(table: Mapping[str, object], where: str) -> int:
    value = table.get("leeway_seconds", DEFAULT_LEEWAY_SECONDS)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: 'leeway_seconds' must be an integer")
    return value


def oidc_issuers_to_json(issuers: Sequence[OidcIssuer]) -> str:
    """The JSON text `parse_oidc_issuers` reads back (for `Settings.to_environ`, as `TWINHUB_OIDC`)."""
    tables: list[dict[str, object]] = []
    for issuer in issuers:
        table: dict[str, object] = {"key": issuer.key, "issuer": issuer.issuer}
        if issuer.audience is not None:
            table["audience"] = issuer.audience
        if issuer.jwks_url is not None:
            table["jwks_url"] = issuer.jwks_url
        if issuer.jwks_file is not None:
            table["jwks_file"] = str(issuer.jwks_file)
        table["auth_subjects"] = list(issuer.auth_subjects)
        table["leeway_seconds"] = issuer.leeway_seconds
        tables.append(table)
    return json.dumps(tables, separators=(",", ":")) if tables else ""


def build_authenticator(*, user_store: UserStore | None, device_store: DeviceStore | None = None,
                        oidc_issuers: Sequence[OidcIssuer] = (),
                        dev: bool = False, pre_authentication: bool = False,
                        http_client: httpx.AsyncClient | None = None,
                        hasher: PasswordHasher = DEFAULT_HASHER,
                        basic_cache_seconds: float = DEFAULT_BASIC_CACHE_SECONDS,
                        max_concurrent_verifications: int = DEFAULT_MAX_CONCURRENT_VERIFICATIONS,
                        jwks_ttl_seconds: float = DEFAULT_JWKS_TTL_SECONDS,
                        jwks_min_reload_seconds: float = DEFAULT_MIN_RELOAD_SECONDS) -> Authenticator:
    """The authenticator for these settings; close it with `aclose()` (or `async with`).

    `user_store` None disables HTTP basic against stored users (dev mode still takes any basic user);
    `device_store` None, device logins (dev mode takes any device). Devices get half the argon2 turns of
    users (their own queue), so both kinds together never run more than 1.5 x `max_concurrent_verifications`.
    Call it inside the server's lifespan: the JWKS client and locks belong to the running loop.
    """
    basic = None
    if user_store is not None:
        basic = BasicVerifier(user_store, hasher=hasher, cache_seconds=basic_cache_seconds,
                              max_concurrent=max_concurrent_verifications)
    devices = None
    if device_store is not None:
        devices = BasicVerifier(device_store, hasher=hasher, cache_seconds=basic_cache_seconds,
                                valid_name=is_valid_device_id,
                                max_concurrent=max(1, max_concurrent_verifications // 2))
    jwt = None
    if oidc_issuers:
        jwt = JwtAuthenticator(oidc_issuers, http_client=http_client, jwks_ttl_seconds=jwks_ttl_seconds,
                               jwks_min_reload_seconds=jwks_min_reload_seconds)
    return Authenticator(basic=basic, jwt=jwt, pre_authentication=pre_authentication, dev=dev, devices=devices)
