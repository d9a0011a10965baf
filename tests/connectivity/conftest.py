"""Fixtures of the connectivity tests: the machine's Mosquitto (random topic prefixes, sessions forgotten
afterwards) and a Mosquitto of the test's own (`mosquitto.py`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.connectivity.mosquitto import Mosquitto, own_mosquitto
from tests.connectivity.mqtt import forget_sessions
from tests.integration.services import MOSQUITTO, require


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mosquitto_url() -> str:
    """The machine's Mosquitto; skips (fails with `CI=true`) when nothing listens there."""
    require("Mosquitto", MOSQUITTO)
    return f"tcp://{MOSQUITTO[0]}:{MOSQUITTO[1]}"


@pytest.fixture
def prefix() -> str:
    """A topic prefix no other test uses."""
    return f"twinhub-test/{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def client_ids(mosquitto_url: str) -> AsyncIterator[list[str]]:
    """Client ids for persistent sessions on the machine's broker; the sessions are removed afterwards."""
    ids: list[str] = []
    yield ids
    await forget_sessions(mosquitto_url, ids)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A Mosquitto of the test's own, restartable, with persistence in a temporary directory."""
    with own_mosquitto(tmp_path / "mosquitto") as mosquitto:
        yield mosquitto
