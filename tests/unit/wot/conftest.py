from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wot_server import ModelServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def models() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server
