from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wot_server import ModelServer


@pytest.fixture(scope="module")
def models() -> Iterator[ModelServer]:
    """A Thing Model server on 127.0.0.1 the twinhub server downloads models from (never the internet)."""
    with ModelServer() as server:
        yield server
