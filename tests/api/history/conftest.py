"""A server of each store for the history API, with real basic users (no development mode): `alice` owns what
the tests write, `bob` is the other reader the policies grant or revoke. Points are placed in time with the
`history-timestamp` header, so every bucket a test checks holds values it chose."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.integration.services import POSTGRES, database_url, psql, require, throwaway_name
from twinhub.history import HISTORY_TIMESTAMP_HEADER
from twinhub.testing import Server, running_server

PASSWORD = "correct horse battery staple"
# A whole day in the past, aligned to every step the tests use; points are placed relative to it.
T0 = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


def iso(time: datetime) -> str:
    return time.astimezone(UTC).isoformat().replace("+00:00", "Z")


def add_user(data_dir: Path, name: str, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "twinhub.cli", "user", "add", name, "--password-stdin", "--data-dir",
               str(data_dir)]
    result = subprocess.run(command, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
                            env={**os.environ, **env})
    assert result.returncode == 0, result.stderr


@dataclass
class HistoryServer:
    server: Server
    store: str

    def client(self, user: str = "alice") -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url + "/api/2", auth=(user, PASSWORD), timeout=30)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def history_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HistoryServer]:
    env: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        if request.param == "postgres":
            require("PostgreSQL", POSTGRES)
            database = throwaway_name("history_api")
            psql(f"CREATE DATABASE {database}")
            stack.callback(psql, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            env["TWINHUB_STORE_URL"] = database_url(database)
        data_dir = tmp_path_factory.mktemp(f"history-{request.param}") / "data"
        for user in ("alice", "bob"):
            add_user(data_dir, user, env)
        server = stack.enter_context(running_server(data_dir, args=(), env=env))
        yield HistoryServer(server, request.param)


@pytest.fixture
def alice(history_server: HistoryServer) -> Iterator[httpx.Client]:
    with history_server.client("alice") as client:
        yield client


@pytest.fixture
def bob(history_server: HistoryServer) -> Iterator[httpx.Client]:
    with history_server.client("bob") as client:
        yield client


@pytest.fixture
def namespace() -> str:
    return f"org.twinhub.history{uuid.uuid4().hex[:10]}"


@pytest.fixture
def thing_id(namespace: str) -> str:
    return f"{namespace}:sensor"


def write(client: httpx.Client, thing_id: str, path: str, value: object, at: datetime) -> None:
    """PUT `value` at `path` of the thing (creating it first if needed), recorded at `at`."""
    response = client.put(f"/things/{thing_id}{path}", json=value, headers={HISTORY_TIMESTAMP_HEADER: iso(at)})
    assert response.status_code in (201, 204), response.text


def create(client: httpx.Client, thing_id: str, body: dict[str, object], at: datetime = T0) -> None:
    response = client.put(f"/things/{thing_id}", json=body, headers={HISTORY_TIMESTAMP_HEADER: iso(at)})
    assert response.status_code == 201, response.text


def history(client: httpx.Client, thing_id: str, path: str = "", **params: str) -> httpx.Response:
    return client.get(f"/history/things/{thing_id}{path}", params=params)


def grant_bob(client: httpx.Client, thing_id: str, *, revoke: tuple[str, ...] = ()) -> None:
    """Let bob READ the thing (its policy is the thing's own), except the paths `revoke`d."""
    resources: dict[str, object] = {"thing:/": {"grant": ["READ"], "revoke": []}}
    resources.update({f"thing:{path}": {"grant": [], "revoke": ["READ"]} for path in revoke})
    entry = {"subjects": {"nginx:bob": {"type": "basic"}}, "resources": resources}
    response = client.put(f"/policies/{thing_id}/entries/bob", json=entry)
    assert response.status_code in (201, 204), response.text
