"""Servers for the connections API: a development server on each store (SQLite, and PostgreSQL in a
throwaway database), and one with real authorization (pre-authenticated subjects, one admin)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.services import POSTGRES, psql, require, throwaway_name
from twinhub.testing import Server, running_server

ADMIN = "nginx:admin"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def dev_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`twinhub serve --dev` (every authenticated subject may manage connections) on each store."""
    env: dict[str, str] = {}
    database = None
    if request.param == "postgres":
        require("PostgreSQL", POSTGRES)
        database = throwaway_name("twinhub_connections")
        psql(f"CREATE DATABASE {database}")
        env["TWINHUB_STORE_URL"] = f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{database}"
    try:
        with running_server(tmp_path_factory.mktemp("connections") / "data", env=env) as server:
            yield server
    finally:
        if database is not None:
            psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@pytest.fixture
def api(dev_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev_server.base_url + "/api/2", auth=("ditto", "any"), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Not in development mode: subjects come from `x-ditto-pre-authenticated`; only `nginx:admin` is an
    admin."""
    env = {"TWINHUB_PRE_AUTHENTICATION": "true", "TWINHUB_ADMIN_SUBJECTS": f"{ADMIN}, oidc:ops"}
    with running_server(tmp_path_factory.mktemp("secured") / "data", args=(), env=env) as server:
        yield server
