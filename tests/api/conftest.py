from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving import Server, running_server

AUTH = ("ditto", "ditto")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("twinhub") / "data") as server:
        yield server


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url + "/api/2", auth=AUTH, timeout=30) as client:
        yield client


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
