from __future__ import annotations

import json
from pathlib import Path

import pytest
from jwt import PyJWK

from tests.unit.auth.conftest import FakeClock
from tests.unit.auth.keys import SigningKey, jwks, write_jwks
from twinhub.auth.jwks import MAX_JWKS_BYTES, MAX_JWKS_KEYS, JwksCache, JwksError, KeySet, file_loader

# --- KeySet ---------------------------------------------------------------------------------------


def test_parse_keeps_public_signature_keys_by_kid(rsa_key: SigningKey, ec_key: SigningKey) -> None:
    keys = KeySet.parse(json.dumps(jwks(rsa_key, ec_key)))
    assert keys.kids() == ["rsa-1", "ec-1"]
    assert isinstance(keys.key_for("rsa-1", "RS256"), PyJWK)
    assert isinstance(keys.key_for("ec-1", "ES256"), PyJWK)


def test_key_must_fit_the_algorithm(rsa_key: SigningKey, ec_key: SigningKey) -> None:
    keys = KeySet.parse(json.dumps(jwks(rsa_key, ec_key)))
    assert keys.key_for("rsa-1", "ES256") is None  # key type
    assert keys.key_for("ec-1", "ES384") is None  # curve
    assert keys.key_for("rsa-1", "RS512") is None  # the JWK declares RS256
    assert keys.key_for("rsa-1", "HS256") is None
    assert keys.key_for("rsa-1", "none") is None
    assert keys.key_for("unknown", "RS256") is None


def test_rsa_key_without_alg_serves_every_rsa_algorithm() -> None:
    key = SigningKey.rsa("plain", declare_alg=False)
    keys = KeySet.parse(json.dumps(jwks(key)))
    for algorithm in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
        found = keys.key_for("plain", algorithm)
        assert found is not None and found.algorithm_name == algorithm


def test_symmetric_unnamed_and_encryption_keys_are_skipped(rsa_key: SigningKey) -> None:
    document = {"keys": [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},
        {**rsa_key.public_jwk(), "kid": "enc", "use": "enc"},
        {**rsa_key.public_jwk(), "kid": ""},
        {key: value for key, value in rsa_key.public_jwk().items() if key != "kid"},
        {**rsa_key.public_jwk(), "kid": "weird-alg", "alg": "HS256"},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        "not an object",
        rsa_key.public_jwk(),
    ]}
    assert KeySet.parse(json.dumps(document)).kids() == ["rsa-1"]


def test_private_members_are_dropped(rsa_key: SigningKey) -> None:
    keys = KeySet.parse(json.dumps({"keys": [rsa_key.private_jwk()]}))
    found = keys.key_for("rsa-1", "RS256")
    assert found is not None
    assert not hasattr(found.key, "private_numbers")  # a public key, whatever the document carried


def test_first_key_wins_for_a_repeated_kid(rsa_key: SigningKey, other_rsa_key: SigningKey) -> None:
    twin = {**other_rsa_key.public_jwk(), "kid": "rsa-1"}
    keys = KeySet.parse(json.dumps({"keys": [rsa_key.public_jwk(), twin]}))
    assert len(keys) == 1
    assert keys._keys["rsa-1"]["n"] == rsa_key.public_jwk()["n"]


@pytest.mark.parametrize("document", ["", "[]", "{}", '{"keys": {}}', '{"keys": []}', "not json",
                                      '{"keys": [{"kty": "oct", "kid": "a", "k": "AAAA"}]}'])
def test_unusable_documents_are_refused(document: str) -> None:
    with pytest.raises(JwksError):
        KeySet.parse(document)


def test_size_and_key_count_are_bounded(rsa_key: SigningKey) -> None:
    with pytest.raises(JwksError, match="larger"):
        KeySet.parse(b" " * (MAX_JWKS_BYTES + 1))
    many = {"keys": [{**rsa_key.public_jwk(), "kid": f"k{index}"} for index in range(MAX_JWKS_KEYS + 5)]}
    assert len(KeySet.parse(json.dumps(many))) == MAX_JWKS_KEYS


# --- JwksCache ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_cache_loads_once_within_the_ttl(tmp_path: Path, rsa_key: SigningKey, clock: FakeClock) -> None:
    cache = JwksCache(file_loader(write_jwks(tmp_path / "jwks.json", rsa_key)), source="file", clock=clock,
                      ttl_seconds=300)
    assert await cache.key("rsa-1", "RS256") is not None
    clock.advance(299)
    assert await cache.key("rsa-1", "RS256") is not None
    assert cache.loads == 1
    clock.advance(1)
    assert await cache.key("rsa-1", "RS256") is not None
    assert cache.loads == 2


@pytest.mark.anyio
async def test_unknown_kid_reloads_at_most_once_per_interval(tmp_path: Path, rsa_key: SigningKey,
                                                             other_rsa_key: SigningKey, clock: FakeClock) -> None:
    path = write_jwks(tmp_path / "jwks.json", rsa_key)
    cache = JwksCache(file_loader(path), source="file", clock=clock, min_reload_seconds=10)
    assert await cache.key("rsa-1", "RS256") is not None
    write_jwks(path, rsa_key, other_rsa_key)  # the issuer rotates keys
    for _ in range(5):
        assert await cache.key("rsa-2", "RS256") is None  # too soon after the last load
    assert cache.loads == 1
    clock.advance(10)
    assert await cache.key("rsa-2", "RS256") is not None
    assert cache.loads == 2
    clock.advance(10)
    assert await cache.key("nobody", "RS256") is None
    assert await cache.key("nobody", "RS256") is None
    assert cache.loads == 3


@pytest.mark.anyio
async def test_failed_reload_keeps_the_old_keys(tmp_path: Path, rsa_key: SigningKey, clock: FakeClock,
                                                caplog: pytest.LogCaptureFixture) -> None:
    path = write_jwks(tmp_path / "jwks.json", rsa_key)
    cache = JwksCache(file_loader(path), source="file", clock=clock, ttl_seconds=60)
    assert await cache.key("rsa-1", "RS256") is not None
    path.write_text("garbage")
    clock.advance(61)
    assert await cache.key("rsa-1", "RS256") is not None
    assert "could not load the JSON Web Keys from file" in caplog.text


@pytest.mark.anyio
async def test_no_keys_at_all_raises_and_is_not_retried_at_once(tmp_path: Path, clock: FakeClock) -> None:
    cache = JwksCache(file_loader(tmp_path / "missing.json"), source="file", clock=clock, min_reload_seconds=10)
    with pytest.raises(JwksError, match="cannot read"):
        await cache.key("rsa-1", "RS256")
    with pytest.raises(JwksError, match="unavailable"):
        await cache.key("rsa-1", "RS256")
    assert cache.loads == 1


def test_cache_refuses_nonsense_intervals(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        JwksCache(file_loader(tmp_path), source="x", ttl_seconds=0)
