"""Each test of a session runs on asyncio with `world`: the services of one worker on a fresh store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.service.session.world import services
from twinhub.service.session import SessionServices


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[SessionServices]:
    async with services(tmp_path / "twinhub.db") as world:
        yield world
