"""A thing's Overview and Revisions tabs in a real browser on a real server: changes made by another client (a PUT,
a merge with null) appear without a reload, desired properties that differ from the reported ones are marked in
words, the Revisions tab shows what the last change did, a revision the caller cannot read is said to be
unavailable, and a user who may not read a feature never sees it, neither read nor live."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.console import TIMEOUT_MS, USER, USER_PASSWORD, Console, sign_in

pytestmark = pytest.mark.xdist_group(__name__)

LAMP = {
    "attributes": {"location": "hall", "floor": 2},
    "features": {
        "lamp": {
            "properties": {"brightness": 42, "on": True},
            "desiredProperties": {"brightness": 80, "on": True},
        },
    },
}


def create_thing(console: Console, thing_id: str, body: dict[str, Any]) -> None:
    with console.api() as api:
        assert api.put(f"/api/2/things/{thing_id}", json=body).status_code == 201


def open_tab(browser: Any, console: Console, thing_id: str, tab: str, **sign_in_args: Any) -> Any:
    page = sign_in(browser, console, path=f"/console/things/{quote(thing_id, safe='')}/{tab}", **sign_in_args)
    if tab == "overview":
        # Live: the event stream is running, so no later change can be missed.
        page.get_by_role("status", name="Live updates: Live").wait_for()
    return page


def properties(page: Any, feature: str) -> Any:
    return page.get_by_role("table", name=f"Properties of {feature}")


def row(table: Any, path: str) -> Any:
    return table.get_by_role("row").filter(has=table.page.get_by_role("cell", name=path, exact=True))


def test_a_property_put_by_another_client_shows_up_without_a_reload(browser: Any, console: Console) -> None:
    create_thing(console, "live:put", LAMP)
    page = open_tab(browser, console, "live:put", "overview")
    expect(row(properties(page, "lamp"), "brightness")).to_contain_text("42", timeout=TIMEOUT_MS)
    page.evaluate("window.notReloaded = true")
    with console.api() as api:
        response = api.put("/api/2/things/live:put/features/lamp/properties/brightness", json=57)
        assert response.status_code == 204
    expect(row(properties(page, "lamp"), "brightness")).to_contain_text("57", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("thing-revision")).to_have_text("2", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("last-change")).to_have_text(
        "Revision 2 changed /features/lamp/properties/brightness", timeout=TIMEOUT_MS)
    assert page.evaluate("window.notReloaded") is True


def test_a_merge_with_null_removes_a_value_live(browser: Any, console: Console) -> None:
    create_thing(console, "live:merge", LAMP)
    page = open_tab(browser, console, "live:merge", "overview")
    attributes = page.get_by_role("table", name="Attributes")
    row(attributes, "location").wait_for()
    with console.api() as api:
        response = api.patch("/api/2/things/live:merge", json={"attributes": {"location": None, "room": "kitchen"}},
                             headers={"Content-Type": "application/merge-patch+json"})
        assert response.status_code == 204
    expect(row(attributes, "room")).to_contain_text('"kitchen"', timeout=TIMEOUT_MS)
    expect(row(attributes, "location")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(row(attributes, "floor")).to_contain_text("2")


def test_a_desired_property_that_differs_is_marked_in_words(browser: Any, console: Console) -> None:
    create_thing(console, "live:desired", LAMP)
    page = open_tab(browser, console, "live:desired", "overview")
    table = properties(page, "lamp")
    expect(row(table, "brightness")).to_contain_text("Differs", timeout=TIMEOUT_MS)
    expect(row(table, "on")).to_contain_text("In sync")
    with console.api() as api:  # the device catches up: reported becomes what was desired
        assert api.put("/api/2/things/live:desired/features/lamp/properties/brightness", json=80).status_code == 204
        assert api.put("/api/2/things/live:desired/features/lamp/desiredProperties/on", json=False).status_code == 204
    expect(row(table, "brightness")).to_contain_text("In sync", timeout=TIMEOUT_MS)
    expect(row(table, "on")).to_contain_text("Differs", timeout=TIMEOUT_MS)


def test_the_revisions_tab_shows_the_last_change_old_and_new(browser: Any, console: Console) -> None:
    create_thing(console, "live:revisions", LAMP)
    with console.api() as api:
        assert api.put("/api/2/things/live:revisions/features/lamp/properties/brightness", json=64).status_code == 204
    page = open_tab(browser, console, "live:revisions", "revisions")
    newest = page.get_by_role("article").first
    expect(newest).to_have_accessible_name("Revision 2", timeout=TIMEOUT_MS)
    change = row(page.get_by_role("table", name="Changes in revision 2"), "features/lamp/properties/brightness")
    expect(change).to_have_text("features/lamp/properties/brightnessChanged4264", timeout=TIMEOUT_MS)
    created = page.get_by_role("table", name="Changes in revision 1")
    expect(row(created, "attributes/location")).to_contain_text('Added—"hall"', timeout=TIMEOUT_MS)


def test_a_revision_the_caller_cannot_read_is_said_to_be_unavailable(browser: Any, console: Console) -> None:
    create_thing(console, "live:reborn", {"attributes": {"n": 1}})
    with console.api() as api:
        # The policy deleted and created again: revisions made before it are nobody's to read any more.
        policy = api.get("/api/2/policies/live:reborn").json()
        assert api.delete("/api/2/policies/live:reborn").status_code == 204
        assert api.put("/api/2/policies/live:reborn", json=policy).status_code == 201
        assert api.put("/api/2/things/live:reborn/attributes/n", json=2).status_code == 204
    page = open_tab(browser, console, "live:reborn", "revisions")
    second = page.get_by_role("article", name="Revision 2")
    expect(second).to_contain_text("Revision 1 is not available", timeout=TIMEOUT_MS)
    expect(second).to_contain_text("no longer keeps it (retention), or you may not read it")
    expect(page.get_by_role("article", name="Revision 1")).to_contain_text("Revision 1 is not available",
                                                                          timeout=TIMEOUT_MS)


def test_a_user_without_read_on_a_feature_never_sees_it(browser: Any, console: Console) -> None:
    thing = {**LAMP, "features": {**LAMP["features"], "secret": {"properties": {"code": 1234}}}}
    create_thing(console, "live:partial", thing)
    with console.api() as api:
        reader = {"subjects": {f"nginx:{USER}": {"type": "basic"}},
                  "resources": {"thing:/": {"grant": ["READ"], "revoke": []},
                                "thing:/features/secret": {"grant": [], "revoke": ["READ"]}}}
        assert api.put("/api/2/policies/live:partial/entries/reader", json=reader).status_code == 201
    page = open_tab(browser, console, "live:partial", "overview", user=USER, password=USER_PASSWORD)
    expect(row(properties(page, "lamp"), "brightness")).to_contain_text("42", timeout=TIMEOUT_MS)
    assert page.get_by_role("article", name="Feature secret").count() == 0
    with console.api() as api:  # a change bob may not see, then one he may
        assert api.put("/api/2/things/live:partial/features/secret/properties/code", json=4321).status_code == 204
        assert api.put("/api/2/things/live:partial/features/lamp/properties/brightness", json=7).status_code == 204
    expect(row(properties(page, "lamp"), "brightness")).to_contain_text("7", timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("thing-revision")).to_have_text("3", timeout=TIMEOUT_MS)
    assert page.get_by_role("article", name="Feature secret").count() == 0
    assert "4321" not in page.content() and "1234" not in page.content()


def test_the_overview_fits_a_phone_sized_screen(browser: Any, console: Console) -> None:
    create_thing(console, "live:phone", LAMP)
    page = open_tab(browser, console, "live:phone", "overview",
                    viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    row(properties(page, "lamp"), "brightness").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_thing_deleted_by_another_client_is_shown_deleted(browser: Any, console: Console) -> None:
    create_thing(console, "live:gone", LAMP)
    page = open_tab(browser, console, "live:gone", "overview")
    row(properties(page, "lamp"), "brightness").wait_for()
    with console.api() as api:
        assert api.delete("/api/2/things/live:gone").status_code == 204
    expect(page.get_by_text("This thing was deleted.")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("table", name="Properties of lamp")).to_have_count(0)


def test_the_overview_keeps_up_with_a_burst_of_changes_and_stays_responsive(browser: Any, console: Console) -> None:
    """200 PUTs from another client, back to back: the page ends on the last value and revision (events coalesced or
    the thing read again after a gap, either is fine), its stream still live, and it still answers the user."""
    create_thing(console, "live:burst", LAMP)
    page = open_tab(browser, console, "live:burst", "overview")
    brightness = row(properties(page, "lamp"), "brightness")
    expect(brightness).to_contain_text("42", timeout=TIMEOUT_MS)
    with console.api() as api:
        for value in range(1, 201):
            response = api.put("/api/2/things/live:burst/features/lamp/properties/brightness", json=value)
            assert response.status_code == 204
    expect(page.get_by_test_id("thing-revision")).to_have_text("201", timeout=TIMEOUT_MS)
    expect(brightness).to_contain_text("200", timeout=TIMEOUT_MS)
    expect(page.get_by_role("status", name="Live updates: Live")).to_be_visible()
    page.get_by_role("tab", name="Revisions").click()
    expect(page.get_by_role("article", name="Revision 201")).to_be_visible(timeout=TIMEOUT_MS)
