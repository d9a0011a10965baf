"""The API page in a real browser: headless Chromium (Debian's, through playwright) opens `/apidoc/` on a real
server with basic authentication (not dev mode) and executes `GET /api/2/things/{thingId}` of a thing created
beforehand, through Swagger UI, as a person would: once logged in with "Authorize", once with the browser's own
credentials answering the server's basic challenge. Ditto serves the same kind of page at `/apidoc/`
(`deployment/docker/nginx.conf`, Swagger UI on `ditto-api-2.yml`).

Chromium: see `tests.e2e.browser`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_authentication import add_user
from twinhub.testing import Server, running_server

pytestmark = pytest.mark.xdist_group(__name__)

USER, PASSWORD = "alice", "a long browser password"
THING_ID = "org.twinhub.e2e:lamp-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("apidoc") / "data"
    with running_server(data_dir, args=()) as server:
        add_user(data_dir, USER, PASSWORD)
        created = httpx.put(f"{server.base_url}/api/2/things/{THING_ID}", auth=(USER, PASSWORD), timeout=30,
                            json={"attributes": {"room": "kitchen", "watts": 60}})
        assert created.status_code == 201, created.text
        yield server


def open_page(browser: Any, server: Server, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(30_000)  # Swagger UI parses a 1.8 MB bundle: slow on a loaded machine
    page.goto(f"{server.base_url}/apidoc/")
    page.locator(".swagger-ui .info .title").filter(has_text="twinhub HTTP API").wait_for()
    return page


def execute_get_thing(page: Any) -> tuple[str, str]:
    """Open `GET /api/2/things/{thingId}`, try it out with THING_ID; the status and body the page shows."""
    operation = page.locator(".opblock.opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/api/2/things/{thingId}"]'))
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator('tr[data-param-name="thingId"] input').fill(THING_ID)
    operation.get_by_role("button", name="Execute").click()
    response = operation.locator(".live-responses-table .response").first
    response.locator(".response-col_status").wait_for()
    return response.locator(".response-col_status").inner_text().strip(), \
        response.locator(".response-col_description pre").first.inner_text()


def test_the_page_executes_a_request_with_the_credentials_of_authorize(browser: Any, server: Server) -> None:
    page = open_page(browser, server)
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".dialog-ux .modal-ux")
    basic = dialog.locator(".auth-container").filter(has_text="basic")
    basic.locator("input").nth(0).fill(USER)
    basic.locator('input[type="password"]').fill(PASSWORD)
    basic.locator("button.authorize").click()  # its accessible name is "Apply credentials"
    basic.get_by_text("Authorized").wait_for()
    dialog.locator("button.btn-done").first.click()
    status, body = execute_get_thing(page)
    assert status == "200"
    assert THING_ID in body and '"room": "kitchen"' in body


def test_the_page_executes_a_request_with_the_browsers_own_credentials(browser: Any, server: Server) -> None:
    """No Authorize: the server's 401 challenge (`WWW-Authenticate: Basic`) makes the browser ask its user,
    here playwright answering for them, and the page's request goes out with those credentials."""
    page = open_page(browser, server, http_credentials={"username": USER, "password": PASSWORD})
    status, body = execute_get_thing(page)
    assert status == "200"
    assert THING_ID in body and '"watts": 60' in body


def test_with_a_wrong_password_the_page_shows_dittos_refusal(browser: Any, server: Server) -> None:
    page = open_page(browser, server, http_credentials={"username": USER, "password": "wrong"})
    status, body = execute_get_thing(page)
    assert status == "401"
    assert "gateway:authentication.failed" in body

