"""The console's main pages checked by axe-core (Deque's accessibility engine) in headless Chromium on a real server
with sample things, a connection and a device: in light and dark, at a desktop and a phone's width, no serious or
critical violation (contrast, names of controls, scrollable regions the keyboard cannot reach, ...), and no page
scrolls sideways. And a confirmation dialog used by keyboard alone keeps the focus inside and gives it back.

axe-core is a devDependency of web/console, pinned by its lockfile, injected into the page by the test only (the
console never ships it). A plain clone has no web/console/node_modules: `make test` fetches just axe-core, at the
locked version (`scripts/ensure-axe`), instead of the repository keeping a copy of a 500 kB third-party file;
without it the test skips, saying how to get it (in CI, `CI=true`, it fails)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.console import Console, sign_in
from tests.e2e.screenshots import BOILER, seed

pytestmark = pytest.mark.xdist_group(__name__)

AXE = Path(__file__).resolve().parents[2] / "web" / "console" / "node_modules" / "axe-core" / "axe.min.js"
CONNECTION = "a11y-connection"
THING = f"/console/things/{quote(BOILER, safe='')}"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(scope="module")
def seeded(console: Console) -> Iterator[tuple[Console, str, int]]:
    if not AXE.is_file():
        message = "axe-core is not installed: run scripts/ensure-axe (or `make console`) to check accessibility"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    seed(console)
    with console.api() as api:
        created = api.post("/api/2/connections", json={
            "name": CONNECTION, "connectionType": "mqtt", "connectionStatus": "closed", "uri": "tcp://127.0.0.1:1",
            "sources": [{"addresses": ["a11y/telemetry"], "qos": 1, "authorizationContext": ["nginx:alice"]}]})
        assert created.status_code == 201
        connection_id = created.json()["id"]
        revision = api.get(f"/api/2/things/{BOILER}", params={"fields": "_revision"}).json()["_revision"]
        yield console, connection_id, revision
        api.delete(f"/api/2/connections/{connection_id}")


def pages(connection_id: str, revision: int) -> list[tuple[str, Any]]:
    """Each page's address and how to know it has loaded (a role, or "label", and a name only the loaded page has)."""
    return [
        ("/console/things", ("link", BOILER)),
        (f"{THING}/overview", ("table", "Properties of temperature")),
        (f"{THING}/edit", ("textbox", "Thing JSON")),
        (f"{THING}/revisions", ("article", f"Revision {revision}")),  # the seed's last
        (f"{THING}/history", ("label", "Properties to chart")),
        (f"{THING}/messages", ("heading", "Send a live command")),
        (f"{THING}/policy", ("heading", "What may a subject do on this thing?")),
        ("/console/policies", ("link", BOILER)),
        (f"/console/policies/{quote(BOILER, safe='')}", ("heading", "DEFAULT")),
        ("/console/connections", ("link", CONNECTION)),
        ("/console/connections/new", ("textbox", "Connection JSON")),
        (f"/console/connections/{connection_id}/status", ("heading", CONNECTION)),
        (f"/console/connections/{connection_id}/configuration", ("textbox", "Connection JSON")),
        ("/console/devices", ("cell", BOILER)),
    ]


def serious_violations(page: Any) -> list[str]:
    """axe's serious and critical violations on the page, one line each (rule, what it says, where)."""
    # evaluate, not a script tag: the console's CSP (rightly) refuses inline scripts
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    found: list[dict[str, Any]] = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{rule['id']} ({rule['impact']}): {rule['help']} at {[node['target'] for node in rule['nodes'][:5]]}"
            for rule in found if rule["impact"] in ("serious", "critical")]


def scrolls_sideways(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_the_main_pages_have_no_serious_accessibility_violations(
        browser: Any, seeded: tuple[Console, str, int], scheme: str, size: str) -> None:
    console, connection_id, revision = seeded
    context = {**VIEWPORTS[size], "color_scheme": scheme}
    problems: dict[str, list[str]] = {}
    signed_out = browser.new_context(**context).new_page()
    signed_out.goto(console.base_url + "/console/")
    signed_out.get_by_role("button", name="Sign in").wait_for()
    problems["sign-in"] = serious_violations(signed_out)
    page = sign_in(browser, console, **context)
    for path, (role, name) in pages(connection_id, revision):
        page.goto(console.base_url + path)
        by_label = role == "label"
        loaded = page.get_by_label(name, exact=True) if by_label else page.get_by_role(role, name=name, exact=True)
        loaded.first.wait_for()
        page.wait_for_load_state("networkidle")
        problems[path] = serious_violations(page) + (["the page scrolls sideways"] if scrolls_sideways(page) else [])
    assert {path: found for path, found in problems.items() if found} == {}


def test_a_confirmation_dialog_takes_the_focus_keeps_it_and_gives_it_back(browser: Any, console: Console) -> None:
    """By keyboard alone: the dialog opens on Cancel (Enter does nothing harmful), Tab stays inside it, Escape
    closes it and the focus is back on the button that opened it."""
    with console.api() as api:
        assert api.put("/api/2/things/a11y.test:dialog", json={}).status_code == 201
    page = sign_in(browser, console, path="/console/things/a11y.test%3Adialog/edit")
    opener = page.get_by_role("button", name="Delete thing")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete this thing?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    for _ in range(4):
        page.keyboard.press("Tab")
        assert dialog.evaluate("(node) => node.contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    with console.api() as api:
        assert api.get("/api/2/things/a11y.test:dialog").status_code == 200
