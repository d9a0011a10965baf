from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.connectivity.polling import until
from tests.unit.auth.conftest import FakeClock
from tests.unit.auth.keys import ISSUER, SigningKey, claims, hs256_token, unsigned_token, write_jwks
from twinhub.auth import JwtIssuerNotSupported
from twinhub.auth.jwt import MAX_TOKEN_LENGTH, JwtAuthenticator, OidcIssuer
from twinhub.model.errors import AuthenticationFailed

pytestmark = pytest.mark.anyio

Issuer = Callable[..., OidcIssuer]


@pytest.fixture
def jwks_file(tmp_path: Path, rsa_key: SigningKey, ec_key: SigningKey) -> Path:
    return write_jwks(tmp_path / "jwks.json", rsa_key, ec_key)


@pytest.fixture
def issuer(jwks_file: Path) -> Issuer:
    def make(**changes: Any) -> OidcIssuer:
        return replace(OidcIssuer(key="sso", issuer=ISSUER, jwks_file=jwks_file), **changes)

    return make


@pytest.fixture
async def validator(issuer: Issuer) -> AsyncIterator[JwtAuthenticator]:
    async with JwtAuthenticator([issuer()]) as authenticator:
        yield authenticator


async def rejected(validator: JwtAuthenticator, token: str, match: str) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed, match=match) as caught:
        await validator.authenticate(token)
    error = caught.value
    assert error.status == 401
    # The token (or its signature) never appears in what a client or a log sees.
    secrets = [part for part in (token, token.rsplit(".", 1)[-1]) if len(part) >= 8]
    for text in (error.message, str(error), repr(error), error.description or ""):
        assert not any(secret in text for secret in secrets)
    return error


# --- accepted tokens ------------------------------------------------------------------------------


async def test_valid_rs256_token_yields_the_sub_subject(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    assert await validator.authenticate(rsa_key.sign(claims())) == ("sso:alice",)


async def test_valid_es256_token(validator: JwtAuthenticator, ec_key: SigningKey) -> None:
    assert await validator.authenticate(ec_key.sign(claims(sub="bob"))) == ("sso:bob",)


async def test_other_asymmetric_algorithms(tmp_path: Path) -> None:
    keys = [SigningKey.rsa("ps", "PS256"), SigningKey.ec("es384", "ES384"), SigningKey.ed25519("ed"),
            SigningKey.rsa("rs512", "RS512")]
    path = write_jwks(tmp_path / "jwks.json", *keys)
    async with JwtAuthenticator([OidcIssuer(key="sso", issuer=ISSUER, jwks_file=path)]) as validator:
        for key in keys:
            assert await validator.authenticate(key.sign(claims())) == ("sso:alice",)


async def test_subjects_from_templates_with_array_and_nested_claims(issuer: Issuer, rsa_key: SigningKey) -> None:
    templates = ("{{ jwt:sub }}", "{{ jwt:groups }}", "role-{{ jwt:realm_access/roles }}", "{{ jwt:missing }}",
                 "{{ jwt:sub }}")
    token = rsa_key.sign(claims(groups=["g1", "g2"], realm_access={"roles": ["admin"]}))
    async with JwtAuthenticator([issuer(auth_subjects=templates)]) as validator:
        assert await validator.authenticate(token) == ("sso:alice", "sso:g1", "sso:g2", "sso:role-admin")


async def test_issuer_configured_without_scheme_matches_https(issuer: Issuer, rsa_key: SigningKey) -> None:
    async with JwtAuthenticator([issuer(issuer="sso.example.com/realms/iot")]) as validator:
        assert await validator.authenticate(rsa_key.sign(claims())) == ("sso:alice",)


async def test_token_is_matched_to_its_issuer_among_several(tmp_path: Path, jwks_file: Path,
                                                            rsa_key: SigningKey, other_rsa_key: SigningKey) -> None:
    second = write_jwks(tmp_path / "second.json", other_rsa_key)
    issuers = [OidcIssuer(key="one", issuer=ISSUER, jwks_file=jwks_file),
               OidcIssuer(key="two", issuer="https://two.example", jwks_file=second)]
    async with JwtAuthenticator(issuers) as validator:
        assert await validator.authenticate(rsa_key.sign(claims())) == ("one:alice",)
        assert await validator.authenticate(other_rsa_key.sign(claims(iss="https://two.example"))) == ("two:alice",)
        # Each issuer's keys are its own: a key of issuer one does not sign for issuer two.
        await rejected(validator, rsa_key.sign(claims(iss="https://two.example")), "does not have")


async def test_audience_is_checked_when_configured(issuer: Issuer, rsa_key: SigningKey) -> None:
    async with JwtAuthenticator([issuer(audience="twinhub")]) as validator:
        assert await validator.authenticate(rsa_key.sign(claims(aud="twinhub"))) == ("sso:alice",)
        assert await validator.authenticate(rsa_key.sign(claims(aud=["other", "twinhub"]))) == ("sso:alice",)
        await rejected(validator, rsa_key.sign(claims(aud="other")), "audience")
        await rejected(validator, rsa_key.sign(claims()), "'aud'")


async def test_audience_is_ignored_when_not_configured(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    assert await validator.authenticate(rsa_key.sign(claims(aud="anything"))) == ("sso:alice",)


async def test_leeway_tolerates_small_clock_skew(issuer: Issuer, rsa_key: SigningKey) -> None:
    token = rsa_key.sign(claims(exp=int(time.time()) - 10))
    async with JwtAuthenticator([issuer(leeway_seconds=30)]) as validator:
        assert await validator.authenticate(token) == ("sso:alice",)
    async with JwtAuthenticator([issuer(leeway_seconds=0)]) as validator:
        await rejected(validator, token, "expired")


# --- rejected tokens ------------------------------------------------------------------------------


async def test_expired(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    await rejected(validator, rsa_key.sign(claims(exp=int(time.time()) - 3600)), "expired")


async def test_not_yet_valid(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    await rejected(validator, rsa_key.sign(claims(nbf=int(time.time()) + 3600)), "not valid yet")
    await rejected(validator, rsa_key.sign(claims(iat=int(time.time()) + 3600)), "not valid yet")


async def test_without_exp(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    await rejected(validator, rsa_key.sign(claims(exp=None)), "'exp'")


async def test_unknown_issuer(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    error = await rejected(validator, rsa_key.sign(claims(iss="https://evil.example")), "not supported")
    assert isinstance(error, JwtIssuerNotSupported)
    assert error.to_json()["error"] == "gateway:jwt.issuer.notsupported"
    assert "https://evil.example" in error.message


async def test_issuer_with_scheme_does_not_match_other_schemes(issuer: Issuer, rsa_key: SigningKey) -> None:
    async with JwtAuthenticator([issuer()]) as validator:
        await rejected(validator, rsa_key.sign(claims(iss="sso.example.com/realms/iot")), "not supported")


async def test_without_issuer(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    await rejected(validator, rsa_key.sign(claims(iss=None)), "no issuer")


async def test_unknown_kid(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    await rejected(validator, rsa_key.sign(claims(), kid="rotated-away"), "does not have")


async def test_signed_by_a_different_key(validator: JwtAuthenticator, other_rsa_key: SigningKey) -> None:
    # Claims to be signed by rsa-1 (a key the issuer has), but another private key made the signature.
    await rejected(validator, other_rsa_key.sign(claims(), kid="rsa-1"), "signature is invalid")


async def test_tampered_claims(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    header, _, signature = rsa_key.sign(claims()).split(".")
    forged_claims = rsa_key.sign(claims(sub="admin")).split(".")[1]
    await rejected(validator, f"{header}.{forged_claims}.{signature}", "signature is invalid")


async def test_alg_none(validator: JwtAuthenticator) -> None:
    await rejected(validator, unsigned_token(claims(), {"alg": "none", "typ": "JWT", "kid": "rsa-1"}),
                   "'none' is not allowed")


async def test_hs256_signed_with_the_public_key_as_secret(validator: JwtAuthenticator,
                                                          rsa_key: SigningKey) -> None:
    await rejected(validator, hs256_token(claims(), rsa_key.public_pem(), "rsa-1"), "'HS256' is not allowed")


async def test_algorithm_not_matching_the_key(validator: JwtAuthenticator, rsa_key: SigningKey,
                                              ec_key: SigningKey) -> None:
    # The EC key id with an RSA algorithm, and an RSA key under an algorithm its JWK does not declare.
    await rejected(validator, rsa_key.sign(claims(), kid="ec-1"), "does not have")
    await rejected(validator, rsa_key.sign(claims(), algorithm="RS512"), "does not have")


async def test_missing_kid(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    token = unsigned_token(claims(), {"alg": "RS256", "typ": "JWT"}) + "c2ln"
    await rejected(validator, token, "no key id")


async def test_short_rsa_key_is_refused(tmp_path: Path) -> None:
    weak = SigningKey.rsa("weak", bits=1024)
    path = write_jwks(tmp_path / "jwks.json", weak)
    async with JwtAuthenticator([OidcIssuer(key="sso", issuer=ISSUER, jwks_file=path)]) as validator:
        await rejected(validator, weak.sign(claims()), "not acceptable")


@pytest.mark.parametrize("token", [
    "", "abc", "not.a.jwt", "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "eyJhbGciOiJSUzI1NiJ9..",
    "W10.e30.c2ln",  # header is a JSON array
])
async def test_malformed(validator: JwtAuthenticator, token: str) -> None:
    await rejected(validator, token, "malformed")


async def test_claims_that_are_not_an_object(validator: JwtAuthenticator) -> None:
    token = unsigned_token({}, {"alg": "RS256", "kid": "rsa-1"}).replace(".e30.", ".WzFd.") + "c2ln"
    await rejected(validator, token, "malformed")


async def test_overlong_token(validator: JwtAuthenticator, rsa_key: SigningKey) -> None:
    token = rsa_key.sign(claims(padding="x" * MAX_TOKEN_LENGTH))
    await rejected(validator, token, "longer than")


async def test_templates_yielding_nothing(issuer: Issuer, rsa_key: SigningKey) -> None:
    async with JwtAuthenticator([issuer(auth_subjects=("{{ jwt:email }}",))]) as validator:
        await rejected(validator, rsa_key.sign(claims()), "no subject")


async def test_unavailable_keys(tmp_path: Path, rsa_key: SigningKey) -> None:
    issuer = OidcIssuer(key="sso", issuer=ISSUER, jwks_file=tmp_path / "missing.json")
    async with JwtAuthenticator([issuer]) as validator:
        await rejected(validator, rsa_key.sign(claims()), "unavailable")


async def test_closed_validator_refuses_use(issuer: Issuer, rsa_key: SigningKey) -> None:
    validator = JwtAuthenticator([issuer()])
    await validator.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await validator.authenticate(rsa_key.sign(claims()))


# --- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "match"), [
    ({"key": ""}, "key"), ({"key": "a:b"}, "key"), ({"key": " a"}, "key"),
    ({"issuer": ""}, "issuer"), ({"audience": ""}, "audience"),
    ({"jwks_file": None}, "exactly one"), ({"jwks_url": "https://sso.example.com/certs"}, "exactly one"),
    ({"auth_subjects": ()}, "auth_subjects"), ({"auth_subjects": "{{ jwt:sub }}"}, "auth_subjects"),
    ({"auth_subjects": ("{{ sub }}",)}, "placeholder"), ({"leeway_seconds": -1}, "leeway"),
    ({"leeway_seconds": 100_000}, "leeway"),
])
def test_invalid_issuer_configuration(issuer: Issuer, changes: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        issuer(**changes)


@pytest.mark.parametrize(("url", "ok"), [
    ("https://sso.example.com/certs", True), ("http://127.0.0.1:8080/certs", True), ("http://localhost/c", True),
    ("http://[::1]:9/c", True), ("http://sso.example.com/certs", False), ("file:///etc/jwks.json", False),
    ("sso.example.com/certs", False),
])
def test_jwks_url_must_be_https_except_on_loopback(url: str, ok: bool) -> None:
    if ok:
        assert OidcIssuer(key="k", issuer="i", jwks_url=url).jwks_url == url
    else:
        with pytest.raises(ValueError, match="jwks_url"):
            OidcIssuer(key="k", issuer="i", jwks_url=url)


def test_issuer_keys_must_be_unique(issuer: Issuer) -> None:
    with pytest.raises(ValueError, match="unique"):
        JwtAuthenticator([issuer(), issuer(issuer="https://other.example")])


# --- tokens already validated ---------------------------------------------------------------------


async def test_a_token_validated_once_is_served_without_being_verified_again(validator: JwtAuthenticator,
                                                                            rsa_key: SigningKey) -> None:
    token = rsa_key.sign(claims())
    for _ in range(5):
        assert await validator.authenticate(token) == ("sso:alice",)
    assert validator.verifications == 1
    # A token that differs in any byte is another one: a forged signature beside the valid token is checked.
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    await rejected(validator, forged, "signature is invalid|malformed")
    assert validator.verifications == 2


async def test_a_validated_token_is_refused_once_it_expires(issuer: Issuer, rsa_key: SigningKey) -> None:
    exp = int(time.time()) + 2
    token = rsa_key.sign(claims(exp=exp))
    async with JwtAuthenticator([issuer(leeway_seconds=0)]) as validator:
        valid = await validator.validate(token)
        assert valid.subjects == ("sso:alice",) and valid.expires_at == exp
        await until(lambda: time.time() >= exp, "the token's exp has come")
        await rejected(validator, token, "expired")
        assert validator.verifications == 2


async def test_a_key_removed_from_the_jwks_refuses_validated_tokens_once_the_keys_are_reloaded(
        tmp_path: Path, rsa_key: SigningKey, ec_key: SigningKey, clock: FakeClock) -> None:
    path = write_jwks(tmp_path / "jwks.json", rsa_key, ec_key)
    issuer = OidcIssuer(key="sso", issuer=ISSUER, jwks_file=path)
    token = rsa_key.sign(claims())
    async with JwtAuthenticator([issuer], clock=clock, jwks_ttl_seconds=300) as validator:
        assert await validator.authenticate(token) == ("sso:alice",)
        write_jwks(path, ec_key)  # rsa-1 rotated out
        assert await validator.authenticate(token) == ("sso:alice",)  # the keys are not reloaded yet, as ever
        clock.advance(301)
        await rejected(validator, token, "does not have")


async def test_a_key_id_given_to_another_key_refuses_validated_tokens_once_the_keys_are_reloaded(
        tmp_path: Path, rsa_key: SigningKey, clock: FakeClock) -> None:
    path = write_jwks(tmp_path / "jwks.json", rsa_key)
    issuer = OidcIssuer(key="sso", issuer=ISSUER, jwks_file=path)
    token = rsa_key.sign(claims())
    async with JwtAuthenticator([issuer], clock=clock, jwks_ttl_seconds=300) as validator:
        await validator.authenticate(token)
        write_jwks(path, SigningKey.rsa(rsa_key.kid))  # the same `kid`, another key
        clock.advance(301)
        await rejected(validator, token, "signature is invalid")


async def test_a_reloaded_key_set_checks_validated_tokens_again(tmp_path: Path, rsa_key: SigningKey,
                                                               clock: FakeClock) -> None:
    path = write_jwks(tmp_path / "jwks.json", rsa_key)
    issuer = OidcIssuer(key="sso", issuer=ISSUER, jwks_file=path)
    token = rsa_key.sign(claims())
    async with JwtAuthenticator([issuer], clock=clock, jwks_ttl_seconds=300) as validator:
        await validator.authenticate(token)
        clock.advance(301)
        assert await validator.authenticate(token) == ("sso:alice",)
        assert await validator.authenticate(token) == ("sso:alice",)
        assert validator.verifications == 2


async def test_validated_tokens_are_bounded(issuer: Issuer, rsa_key: SigningKey) -> None:
    first, second = rsa_key.sign(claims(sub="one")), rsa_key.sign(claims(sub="two"))
    async with JwtAuthenticator([issuer()], validated_tokens=1) as validator:
        for token in (first, second, first, first):
            await validator.authenticate(token)
        assert validator.verifications == 3
