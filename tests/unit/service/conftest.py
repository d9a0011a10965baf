from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """The service tests run on asyncio (a module may still define its own)."""
    return "asyncio"
