"""Headless Chromium for the browser tests: Debian's `chromium` (or `TWINHUB_CHROMIUM`) driven by playwright, whose
own browser download is not used. Without one the tests skip, saying how to install it; in CI (`CI=true`) they
fail. `scripts/ensure-chromium` (run by `make test`) installs it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator
from typing import Any

import pytest

INSTALL = "install Chromium with scripts/ensure-chromium (or `apt-get install chromium`), or set TWINHUB_CHROMIUM"


def chromium_binary() -> str:
    """Chromium's path; skips the test without one (fails in CI)."""
    found = os.environ.get("TWINHUB_CHROMIUM") or next(
        (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Chromium for the browser test: {INSTALL}")
        pytest.skip(f"no Chromium for the browser test: {INSTALL}")
    return found


def launched_chromium() -> Generator[Any, None, None]:
    """A headless Chromium for a module's tests, closed after them."""
    binary = chromium_binary()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # root (CI, containers) cannot use Chromium's sandbox
        browser = playwright.chromium.launch(executable_path=binary, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()
