"""The contract suite runs against every Store backend through these fixtures (SQLite for now)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from twinhub.store.base import Store
from twinhub.store.sqlite import open_sqlite_store

# Opens a store on the same database every time it is called, so tests can close and reopen it.
StoreOpener = Callable[[], AbstractAsyncContextManager[Store]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "things.db"


@pytest.fixture
def open_store(db_path: Path) -> StoreOpener:
    return lambda: open_sqlite_store(db_path)


@pytest.fixture
async def store(open_store: StoreOpener) -> AsyncIterator[Store]:
    async with open_store() as store:
        yield store
