from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.unit.auth.keys import ISSUER, SigningKey, claims, write_jwks
from twinhub.auth import Authenticator, OidcIssuer, build_authenticator, oidc_issuers_to_json, parse_oidc_issuers
from twinhub.config import SettingsError, load_settings
from twinhub.store.users import MemoryUserStore

TOML = """
[[oidc]]
key = "keycloak"
issuer = "https://sso.example.com/realms/iot"
audience = "twinhub"
jwks_url = "https://sso.example.com/realms/iot/protocol/openid-connect/certs"
auth_subjects = ["{{ jwt:sub }}", "{{ jwt:realm_access/roles }}"]
leeway_seconds = 5

[[oidc]]
key = "local"
issuer = "local-issuer"
jwks_file = "/etc/twinhub/jwks.json"
"""


def test_parse_toml_tables() -> None:
    keycloak, local = parse_oidc_issuers(tomllib.loads(TOML)["oidc"])
    assert keycloak == OidcIssuer(
        key="keycloak", issuer="https://sso.example.com/realms/iot", audience="twinhub",
        jwks_url="https://sso.example.com/realms/iot/protocol/openid-connect/certs",
        auth_subjects=("{{ jwt:sub }}", "{{ jwt:realm_access/roles }}"), leeway_seconds=5,
    )
    assert local == OidcIssuer(key="local", issuer="local-issuer", jwks_file=Path("/etc/twinhub/jwks.json"))
    assert local.auth_subjects == ("{{ jwt:sub }}",) and local.leeway_seconds == 30 and local.audience is None


def test_json_round_trip_for_the_environment() -> None:
    issuers = parse_oidc_issuers(tomllib.loads(TOML)["oidc"])
    assert parse_oidc_issuers(oidc_issuers_to_json(issuers)) == issuers
    assert oidc_issuers_to_json(()) == ""


@pytest.mark.parametrize("value", [None, "", []])
def test_nothing_configured(value: object) -> None:
    assert parse_oidc_issuers(value) == ()


@pytest.mark.parametrize(("value", "match"), [
    ("{not json", "JSON"),
    ({"key": "a"}, "list of tables"),
    (["not a table"], "#1: expected a table"),
    ([{"key": "a", "issuer": "i", "jwks_file": "f", "colour": "red"}], "unknown keys colour"),
    ([{"issuer": "i", "jwks_file": "f"}], "'key' must be a string"),
    ([{"key": "a", "issuer": 3, "jwks_file": "f"}], "'issuer' must be a string"),
    ([{"key": "a", "issuer": "i"}], "exactly one"),
    ([{"key": "a", "issuer": "i", "jwks_file": "f", "jwks_url": "https://x/c"}], "exactly one"),
    ([{"key": "a", "issuer": "i", "jwks_url": "http://sso.example.com/c"}], "https"),
    ([{"key": "a", "issuer": "i", "jwks_file": "f", "auth_subjects": "{{ jwt:sub }}"}], "list of strings"),
    ([{"key": "a", "issuer": "i", "jwks_file": "f", "auth_subjects": ["{{ jwt:sub | fn:upper() }}"]}],
     "pipeline"),
    ([{"key": "a", "issuer": "i", "jwks_file": "f", "leeway_seconds": True}], "integer"),
    ([{"key": "a", "issuer": "i", "jwks_file": "f", "leeway_seconds": "30"}], "integer"),
    ([{"key": "a:b", "issuer": "i", "jwks_file": "f"}], "#1: OIDC issuer key"),
    ([{"key": "a", "issuer": "i", "jwks_file": "f"}, {"key": "a", "issuer": "j", "jwks_file": "f"}],
     "the key 'a' is configured more than once"),
    ([{"key": "a", "issuer": "i", "jwks_file": "f"}, {"key": "b", "issuer": "i", "jwks_file": "f"}],
     "the issuer 'i' is configured more than once"),
])
def test_invalid_settings_name_the_problem(value: object, match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        load_settings({}, oidc=value)


@pytest.mark.anyio
async def test_build_authenticator_wires_every_method(tmp_path: Path, rsa_key: SigningKey) -> None:
    issuers = parse_oidc_issuers([{"key": "sso", "issuer": ISSUER,
                                   "jwks_file": str(write_jwks(tmp_path / "jwks.json", rsa_key))}])
    async with build_authenticator(user_store=MemoryUserStore(), oidc_issuers=issuers,
                                   pre_authentication=True) as authenticator:
        assert isinstance(authenticator, Authenticator)
        assert authenticator.basic is not None and authenticator.jwt is not None
        headers = {"authorization": f"Bearer {rsa_key.sign(claims())}"}
        assert (await authenticator.authenticate(headers, {})).subjects == ("sso:alice",)
        pre = {"x-ditto-pre-authenticated": "nginx:ditto"}
        assert (await authenticator.authenticate(pre, {})).subjects == ("nginx:ditto",)


@pytest.mark.anyio
async def test_build_authenticator_defaults_are_closed() -> None:
    async with build_authenticator(user_store=None) as authenticator:
        assert authenticator.basic is None and authenticator.jwt is None
        assert not authenticator.dev and not authenticator.pre_authentication
        assert authenticator.warnings() != []
