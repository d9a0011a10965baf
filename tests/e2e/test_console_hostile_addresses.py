"""The console's addresses in a real browser (headless Chromium) on a real server, with ids a person would not pick
but the API allows (`%`, `?`, `#`, a space, non-Latin letters), and with addresses no link of the console makes: an
id opens exactly that entity, never another whose id its percent-escapes spell, and a malformed address is a page
that says so, not a blank one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.console import TIMEOUT_MS, Console, sign_in

pytestmark = pytest.mark.xdist_group(__name__)

# `%41` is the escape of `A`: an address that is decoded twice names the other thing.
ODD = "hostile.test:50%41 off?x#y€"
PLAIN = "hostile.test:50A off?x#y€"


def put(console: Console, path: str, body: dict[str, Any]) -> None:
    with console.api() as api:
        response = api.put(path, json=body)
        assert response.status_code in (201, 204), response.text


@pytest.fixture(scope="module")
def odd_things(console: Console) -> None:
    for thing_id, which in ((ODD, "the odd one"), (PLAIN, "the plain one")):
        put(console, f"/api/2/things/{quote(thing_id, safe='')}", {"attributes": {"which": which}})


def test_a_thing_id_with_percent_escapes_opens_that_thing(browser: Any, console: Console, odd_things: None) -> None:
    page = sign_in(browser, console, path=f"/console/things/{quote(ODD, safe='')}/overview")
    expect(page.get_by_role("heading", name=ODD, exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    attributes = page.get_by_role("region", name="Attributes")
    expect(attributes).to_contain_text("the odd one", timeout=TIMEOUT_MS)
    expect(attributes).not_to_contain_text("the plain one")
    # Another tab, reached by the page's own navigation, stays on the same thing.
    page.get_by_role("tab", name="Policy").click()
    expect(page.get_by_role("heading", name=ODD, exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("link", name=ODD, exact=True)).to_be_visible(timeout=TIMEOUT_MS)  # its policy


def test_the_things_list_links_an_odd_thing_to_its_own_page(browser: Any, console: Console, odd_things: None) -> None:
    page = sign_in(browser, console, path="/console/things?filter=" + quote('eq(attributes/which,"the odd one")'))
    page.get_by_role("table", name="Things").get_by_role("link", name=ODD, exact=True).click()
    expect(page.get_by_role("heading", name=ODD, exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("region", name="Attributes")).to_contain_text("the odd one", timeout=TIMEOUT_MS)


def test_a_policy_id_with_percent_escapes_opens_that_policy(browser: Any, console: Console,
                                                            odd_things: None) -> None:
    page = sign_in(browser, console, path=f"/console/policies/{quote(ODD, safe='')}")
    expect(page.get_by_role("heading", name=ODD, exact=True)).to_be_visible(timeout=TIMEOUT_MS)


@pytest.mark.parametrize("path", ["/console/things/%ZZ/overview", "/console/things/50%E0%A4%A",
                                  "/console/policies/%ZZ", "/console/connections/%ZZ/status"])
def test_a_malformed_address_says_there_is_no_such_page(browser: Any, console: Console, path: str) -> None:
    page = sign_in(browser, console, path=path)
    expect(page.get_by_role("heading", name="Not found")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Things").click()
    expect(page.get_by_role("table", name="Things")).to_be_visible(timeout=TIMEOUT_MS)
