from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wot_server import ModelServer
from twinhub.testing import Server, running_server


@pytest.fixture(scope="module")
def models() -> Iterator[ModelServer]:
    """A Thing Model server on 127.0.0.1 the twinhub server downloads models from (never the internet)."""
    with ModelServer() as server:
        yield server


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server of these tests: skeletons and Thing Descriptions, with Thing Model validation off, so that a
    skeleton or a payload a model would refuse (Ditto's default, tests/api/test_wot_validation.py) can be shown
    as it is generated and described."""
    env = {"TWINHUB_POLICY_EXPIRY_GRANULARITY": "1", "TWINHUB_WOT_VALIDATION": "false"}
    with running_server(tmp_path_factory.mktemp("twinhub-wot") / "data", env=env) as server:
        yield server
