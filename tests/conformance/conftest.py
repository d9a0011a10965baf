"""Fixtures for driving a real twinhub server with the `ditto-client` package (Kiota-generated from Ditto's OpenAPI).

The client is built the way `ditto-client`'s own CLI builds it (`ditto_client.__main__._create_ba_client`,
`_create_jwt_client`): one of the package's authentication providers, Kiota's `HttpxRequestAdapter`, `base_url`
set to the server root (the generated request builders add `/api/2/...` themselves), wrapped in the generated
`DittoClient`. The only difference is that the httpx client (the same one Kiota would make, with Kiota's default
middleware) is created here, so the fixture can close it.

Every test runs once per way of authenticating (`auth_mode`: `dev-basic`, `basic`, `jwt`; see `auth_modes`),
each against its own server. The plain-httpx cross-checks (`raw`) use the same credentials as the client.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from ditto_client import PreAuthProvider
from ditto_client.generated.ditto_client import DittoClient
from kiota_abstractions.authentication.authentication_provider import AuthenticationProvider
from kiota_http.httpx_request_adapter import HttpxRequestAdapter
from kiota_http.kiota_client_factory import KiotaClientFactory

from tests.conformance.auth_modes import AUTH_MODES, AuthMode, start_auth_mode
from twinhub.testing import Server


@pytest.fixture(scope="session", params=[pytest.param(name, marks=pytest.mark.xdist_group(f"ditto-client-{name}"))
                                         for name in AUTH_MODES])
def auth_mode(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthMode]:
    """The mode and its server. Session-scoped and parametrized: pytest groups the tests by mode, so one
    server runs at a time, and each starts once (under xdist too: a mode's tests share one worker)."""
    name: str = request.param
    with start_auth_mode(name, tmp_path_factory.mktemp(f"twinhub-conformance-{name}")) as mode:
        yield mode


@pytest.fixture(scope="session")
def server(auth_mode: AuthMode) -> Server:
    return auth_mode.server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def thing_id() -> str:
    """A fresh thing id per test, so tests share one server without sharing state."""
    return f"org.twinhub.conformance:{uuid.uuid4().hex[:12]}"


@contextlib.asynccontextmanager
async def ditto_client(base_url: str, auth: AuthenticationProvider) -> AsyncIterator[DittoClient]:
    http_client = KiotaClientFactory.create_with_default_middleware()
    adapter = HttpxRequestAdapter(auth, http_client=http_client)
    adapter.base_url = base_url
    async with http_client:
        yield DittoClient(adapter)


@pytest.fixture
async def ditto(auth_mode: AuthMode, anyio_backend: str) -> AsyncIterator[DittoClient]:
    """The generated Ditto client with the mode's credentials (it acts as `auth_mode.subject`)."""
    async with ditto_client(auth_mode.server.base_url, auth_mode.credentials()) as client:
        yield client


@pytest.fixture
async def wrongly_authenticated_ditto(auth_mode: AuthMode, anyio_backend: str) -> AsyncIterator[DittoClient]:
    """The same client with a wrong password (basic) or a token signed by a key the issuer does not have (jwt)."""
    async with ditto_client(auth_mode.server.base_url, auth_mode.wrong_credentials()) as client:
        yield client


@pytest.fixture
async def pre_authenticated_ditto(auth_mode: AuthMode, anyio_backend: str) -> AsyncIterator[DittoClient]:
    """The generated client using the package's `PreAuthProvider` (`x-ditto-pre-authenticated`), claiming the
    mode's subject without any credential."""
    async with ditto_client(auth_mode.server.base_url, PreAuthProvider(auth_subject=auth_mode.subject)) as client:
        yield client


@pytest.fixture
async def raw(auth_mode: AuthMode, anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    """Plain httpx against the same server with the same credentials, to check independently what the client did."""
    async with httpx.AsyncClient(base_url=auth_mode.server.base_url + "/api/2", auth=auth_mode.raw_auth,
                                 timeout=30) as client:
        yield client
