from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.websocket import DittoSocket, open_socket
from twinhub.testing import Server, running_server

AUTH = ("ditto", "ditto")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Subject expiries round up to whole seconds here (Ditto's default is an hour), so expiry is testable.
    env = {"TWINHUB_POLICY_EXPIRY_GRANULARITY": "1"}
    with running_server(tmp_path_factory.mktemp("twinhub") / "data", env=env) as server:
        yield server


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url + "/api/2", auth=AUTH, timeout=30) as client:
        yield client


@pytest.fixture
def as_user(server: Server) -> Iterator[Callable[[str], httpx.Client]]:
    """Clients acting as other users (`nginx:<name>` in dev authentication)."""
    clients: list[httpx.Client] = []

    def client_for(name: str) -> httpx.Client:
        client = httpx.Client(base_url=server.base_url + "/api/2", auth=(name, "any"), timeout=30)
        clients.append(client)
        return client

    yield client_for
    for client in clients:
        client.close()


@pytest.fixture
def thing_id() -> str:
    """A fresh thing id per test, so tests share one server without sharing state."""
    return f"org.twinhub.test:{uuid.uuid4().hex[:12]}"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def server_url(server: Server) -> str:
    return server.base_url


@pytest.fixture
def socket(server: Server) -> Iterator[DittoSocket]:
    """A WebSocket session (`/ws/2`) of the user `ditto`."""
    with open_socket(server.base_url) as socket:
        yield socket
