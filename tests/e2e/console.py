"""What the console's browser tests share: a real server with basic users (not dev mode; `alice` is an admin, who
may manage connections and devices, `bob` is not), headless Chromium, and signing in through the form as a
person does. Each test module gets its own server and browser (its tests run on one xdist worker)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.api.test_authentication import add_user
from twinhub.testing import Server, running_server

ADMIN, ADMIN_PASSWORD = "alice", "alice's console password"
USER, USER_PASSWORD = "bob", "bob's console password"
TIMEOUT_MS = 30_000  # a loaded machine (the suite beside) is slow to load and run the page


@dataclass(frozen=True)
class Console:
    server: Server
    data_dir: Path

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def api(self, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> httpx.Client:
        """An HTTP client of the API beside the browser (another client, as a device or a script would be)."""
        return httpx.Client(base_url=self.base_url, auth=(user, password), timeout=30)


def console_server(data_dir: Path, *, env: dict[str, str] | None = None,
                   args: tuple[str, ...] = ()) -> Generator[Console, None, None]:
    """A server for the console tests, its users added (`args`: more of `twinhub serve`'s, e.g. `--mqtt-port`)."""
    with running_server(data_dir, args=args, env={"TWINHUB_ADMIN_SUBJECTS": f"nginx:{ADMIN}", **(env or {})}) as server:
        add_user(data_dir, ADMIN, ADMIN_PASSWORD)
        add_user(data_dir, USER, USER_PASSWORD)
        yield Console(server, data_dir)


def new_page(browser: Any, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def sign_in(browser: Any, console: Console, user: str = ADMIN, password: str = ADMIN_PASSWORD, *,
            path: str = "/console/", **context: Any) -> Any:
    """A new page at `path`, signed in through the form; it waits for the console's navigation."""
    page = new_page(browser, **context)
    page.goto(console.base_url + path)
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Sections").wait_for(state="attached")
    return page


def replace_editor_text(page: Any, label: str, text: str) -> None:
    """Replaces the text of the JSON editor (CodeMirror) labelled `label` as pasting would: inserted, so the
    editor's bracket closing adds nothing to it."""
    editor = page.get_by_role("textbox", name=label)
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)
