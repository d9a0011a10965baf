from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.openapi.spec import AUTH, SpecNotFound, load_spec, locate_spec
from twinhub.testing import Server, running_server


@pytest.fixture(scope="session")
def ditto_spec_path() -> Path:
    try:
        return locate_spec()
    except SpecNotFound as exc:
        problem = str(exc)
    pytest.skip(problem)


@pytest.fixture(scope="session")
def ditto_spec(ditto_spec_path: Path) -> Any:
    """Ditto's OpenAPI document, loaded once; for validating responses (not for generating requests)."""
    return load_spec(ditto_spec_path)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh server of the test's own (the fuzz test starts its own, module-wide, in its module)."""
    with running_server(tmp_path / "data") as server:
        yield server


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, auth=AUTH, timeout=30) as client:
        yield client
