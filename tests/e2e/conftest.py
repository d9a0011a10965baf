"""The browser tests' fixtures: per test module, a headless Chromium and a console server (`tests.e2e.console`);
a module that needs another server (e.g. with the device endpoint) defines its own `console`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser import launched_chromium
from tests.e2e.console import Console, console_server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium()


@pytest.fixture(scope="module")
def console(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    yield from console_server(tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2]) / "data")
