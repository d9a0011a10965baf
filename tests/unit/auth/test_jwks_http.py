"""JWKS fetched over real HTTP from a small server on 127.0.0.1 (a thread running http.server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.unit.auth.conftest import FakeClock
from tests.unit.auth.keys import ISSUER, SigningKey, claims, jwks
from tests.wot_server import ModelServer
from twinhub.auth.jwks import MAX_JWKS_BYTES
from twinhub.auth.jwt import JwtAuthenticator, OidcIssuer
from twinhub.model.errors import AuthenticationFailed

pytestmark = pytest.mark.anyio

_CERTS = "/certs"


class JwksServer:
    """Serves `body` with `status` at /certs and counts the requests: a document on the tests' local HTTP server
    (tests/wot_server.py), which answers with what was last published."""

    def __init__(self) -> None:
        self._http = ModelServer()
        self._status, self._body = 200, b"{}"
        self.url = self._publish()

    def _publish(self) -> str:
        return self._http.serve_bytes(_CERTS, self._body, self._status)

    @property
    def status(self) -> int:
        return self._status

    @status.setter
    def status(self, status: int) -> None:
        self._status = status
        self._publish()

    @property
    def body(self) -> bytes:
        return self._body

    @body.setter
    def body(self, body: bytes) -> None:
        self._body = body
        self._publish()

    @property
    def requests(self) -> int:
        return self._http.requests[_CERTS]

    def serve(self, *keys: SigningKey) -> None:
        self.body = json.dumps(jwks(*keys)).encode()

    def __enter__(self) -> JwksServer:
        self._http.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.__exit__(*exc_info)


@pytest.fixture
def server() -> Iterator[JwksServer]:
    with JwksServer() as server:
        yield server


@pytest.fixture
async def validator(server: JwksServer, clock: FakeClock) -> AsyncIterator[JwtAuthenticator]:
    issuer = OidcIssuer(key="sso", issuer=ISSUER, jwks_url=server.url)
    async with JwtAuthenticator([issuer], clock=clock, jwks_ttl_seconds=300, jwks_min_reload_seconds=10) as v:
        yield v


async def test_keys_are_fetched_once_and_cached(server: JwksServer, validator: JwtAuthenticator,
                                                rsa_key: SigningKey) -> None:
    server.serve(rsa_key)
    for name in ("alice", "bob", "carol"):
        assert await validator.authenticate(rsa_key.sign(claims(sub=name))) == (f"sso:{name}",)
    assert server.requests == 1


async def test_keys_are_fetched_again_after_the_ttl(server: JwksServer, validator: JwtAuthenticator,
                                                    rsa_key: SigningKey, clock: FakeClock) -> None:
    server.serve(rsa_key)
    await validator.authenticate(rsa_key.sign(claims()))
    clock.advance(300)
    await validator.authenticate(rsa_key.sign(claims()))
    assert server.requests == 2


async def test_unknown_kid_refetches_once_and_finds_a_rotated_key(
        server: JwksServer, validator: JwtAuthenticator, rsa_key: SigningKey, other_rsa_key: SigningKey,
        clock: FakeClock) -> None:
    server.serve(rsa_key)
    await validator.authenticate(rsa_key.sign(claims()))
    clock.advance(10)
    server.serve(rsa_key, other_rsa_key)  # the issuer publishes a new key and starts signing with it
    assert await validator.authenticate(other_rsa_key.sign(claims())) == ("sso:alice",)
    assert server.requests == 2
    assert await validator.authenticate(other_rsa_key.sign(claims())) == ("sso:alice",)
    assert server.requests == 2


async def test_unknown_kids_cannot_make_it_fetch_more_than_once_per_interval(
        server: JwksServer, validator: JwtAuthenticator, rsa_key: SigningKey, clock: FakeClock) -> None:
    server.serve(rsa_key)
    await validator.authenticate(rsa_key.sign(claims()))
    clock.advance(10)
    for index in range(20):
        with pytest.raises(AuthenticationFailed, match="does not have"):
            await validator.authenticate(rsa_key.sign(claims(), kid=f"bogus-{index}"))
    assert server.requests == 2
    # Known keys keep working without any fetch meanwhile.
    await validator.authenticate(rsa_key.sign(claims()))
    assert server.requests == 2


async def test_concurrent_requests_share_one_fetch(server: JwksServer, validator: JwtAuthenticator,
                                                   rsa_key: SigningKey) -> None:
    server.serve(rsa_key)
    tokens = [rsa_key.sign(claims(sub=f"user{index}")) for index in range(10)]
    results = await asyncio.gather(*(validator.authenticate(token) for token in tokens))
    assert sorted(results) == sorted((f"sso:user{index}",) for index in range(10))
    assert server.requests == 1


async def test_failing_endpoint_keeps_the_keys_it_had(server: JwksServer, validator: JwtAuthenticator,
                                                      rsa_key: SigningKey, clock: FakeClock,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    server.serve(rsa_key)
    await validator.authenticate(rsa_key.sign(claims()))
    server.status = 500
    clock.advance(300)
    assert await validator.authenticate(rsa_key.sign(claims())) == ("sso:alice",)
    assert server.requests == 2
    assert "answered HTTP 500" in caplog.text


async def test_endpoint_failing_from_the_start_means_401(server: JwksServer, validator: JwtAuthenticator,
                                                         rsa_key: SigningKey) -> None:
    server.serve(rsa_key)
    server.status = 503
    with pytest.raises(AuthenticationFailed, match="unavailable"):
        await validator.authenticate(rsa_key.sign(claims()))


async def test_oversized_key_set_is_refused(server: JwksServer, validator: JwtAuthenticator,
                                            rsa_key: SigningKey) -> None:
    server.body = b" " * (MAX_JWKS_BYTES + 10) + json.dumps(jwks(rsa_key)).encode()
    with pytest.raises(AuthenticationFailed, match="unavailable"):
        await validator.authenticate(rsa_key.sign(claims()))


async def test_unreachable_endpoint_means_401(rsa_key: SigningKey) -> None:
    with JwksServer() as gone:
        url = gone.url  # a port that was just free and is closed again below
    issuer = OidcIssuer(key="sso", issuer=ISSUER, jwks_url=url)
    async with JwtAuthenticator([issuer]) as validator:
        with pytest.raises(AuthenticationFailed, match="unavailable"):
            await validator.authenticate(rsa_key.sign(claims()))
