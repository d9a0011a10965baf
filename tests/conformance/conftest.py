"""Fixtures for driving a real twinhub server with the `ditto-client` package (Kiota-generated from Ditto's OpenAPI).

The client is built the way `ditto-client`'s own CLI builds it (`ditto_client.__main__._create_ba_client`):
the package's `BasicAuthProvider`, Kiota's `HttpxRequestAdapter`, `base_url` set to the server root (the generated
request builders add `/api/2/...` themselves), wrapped in the generated `DittoClient`. The only difference is that
the httpx client (the same one Kiota would make, with Kiota's default middleware) is created here, so the fixture
can close it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from ditto_client import BasicAuthProvider, PreAuthProvider
from ditto_client.generated.ditto_client import DittoClient
from kiota_abstractions.authentication.authentication_provider import AuthenticationProvider
from kiota_http.httpx_request_adapter import HttpxRequestAdapter
from kiota_http.kiota_client_factory import KiotaClientFactory

from tests.serving import Server, running_server

USER = "ditto"
PASSWORD = "ditto"
SUBJECT = f"nginx:{USER}"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("twinhub-conformance") / "data") as server:
        yield server


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
async def ditto(server: Server, anyio_backend: str) -> AsyncIterator[DittoClient]:
    """The generated Ditto client, authenticated with HTTP basic auth (subject `nginx:ditto`)."""
    async with ditto_client(server.base_url, BasicAuthProvider(user_name=USER, password=PASSWORD)) as client:
        yield client


@pytest.fixture
async def pre_authenticated_ditto(server: Server, anyio_backend: str) -> AsyncIterator[DittoClient]:
    """The generated Ditto client using the package's `PreAuthProvider` (`x-ditto-pre-authenticated`)."""
    async with ditto_client(server.base_url, PreAuthProvider(auth_subject=SUBJECT)) as client:
        yield client


@pytest.fixture
async def raw(server: Server, anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    """Plain httpx against the same server, to check independently what the client did."""
    async with httpx.AsyncClient(base_url=server.base_url + "/api/2", auth=(USER, PASSWORD), timeout=30) as client:
        yield client
