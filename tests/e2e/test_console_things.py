"""The console's Things section in a real browser (headless Chromium) on a real server: the list paged through the
search API by cursor, an RQL search (its refusal shown with the position marked), the namespace filter, creating
a thing through the dialog, editing one with `If-Match` (a concurrent change answers 412), deleting one, and a
user without rights seeing nothing. Each test uses its own namespace, so they share one server."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.console import USER, USER_PASSWORD, Console, replace_editor_text, sign_in

pytestmark = pytest.mark.xdist_group(__name__)


def put_thing(console: Console, thing_id: str, thing: dict[str, Any]) -> None:
    with console.api() as api:
        response = api.put(f"/api/2/things/{thing_id}", json=thing)
        assert response.status_code in (201, 204), response.text


def get_thing(console: Console, thing_id: str) -> Any:
    with console.api() as api:
        return api.get(f"/api/2/things/{thing_id}")


def listed_ids(page: Any) -> list[str]:
    """The thing ids of the shown page, once it shows one (the first column's links)."""
    table = page.get_by_role("table", name="Things")
    table.wait_for()
    return [cell.inner_text() for cell in table.locator("tbody tr td:first-child").all()]


def wait_for_ids(page: Any, expected: list[str]) -> None:
    """Waits until the table lists exactly `expected` (the page replaces its rows when the answer arrives). One
    check in the page: reading the rows again afterwards would race with a list that is rendered anew."""
    page.wait_for_function(
        "([selector, expected]) => JSON.stringify([...document.querySelectorAll(selector)].map(c => c.innerText))"
        " === JSON.stringify(expected)",
        arg=["table[aria-label='Things'] tbody tr td:first-child", expected],
    )


def test_things_are_listed_and_paged_by_cursor(browser: Any, console: Console) -> None:
    ids = [f"paging.test:thing-{n:02d}" for n in range(25)]
    for thing_id in ids:
        put_thing(console, thing_id, {"attributes": {"serial": thing_id}})
    page = sign_in(browser, console, path="/console/things?namespaces=paging.test")
    wait_for_ids(page, ids)  # 25 fit the default page size
    page.get_by_role("combobox", name="Page size").click()
    page.get_by_role("option", name="10", exact=True).click()
    wait_for_ids(page, ids[:10])
    assert "size=10" in page.url
    page.get_by_text("25 things · page 1").wait_for()
    page.get_by_role("button", name="Next page").click()
    wait_for_ids(page, ids[10:20])
    page.get_by_text("25 things · page 2").wait_for()
    page.get_by_role("button", name="Next page").click()
    wait_for_ids(page, ids[20:])
    assert page.get_by_role("button", name="Next page").is_disabled()
    page.get_by_role("button", name="Previous page").click()
    wait_for_ids(page, ids[10:20])
    # a row opens its thing; the keyboard reaches the same through the id's link
    page.get_by_role("table", name="Things").get_by_role("row").filter(has_text=ids[12]).locator("td").nth(2).click()
    page.wait_for_url(f"**/console/things/{quote(ids[12], safe='')}")
    page.go_back()  # to the page that was left, not the first
    wait_for_ids(page, ids[10:20])
    page.get_by_text("25 things · page 2").wait_for()
    page.get_by_role("link", name=ids[10]).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/things/{quote(ids[10], safe='')}")


def test_a_search_narrows_the_list_and_stands_in_the_address(browser: Any, console: Console) -> None:
    for n, colour in enumerate(("red", "green", "red", "blue")):
        put_thing(console, f"search.test:lamp-{n}", {
            "attributes": {"colour": colour}, "features": {"lamp": {"properties": {"watts": 10 * n}}}})
    page = sign_in(browser, console, path="/console/things?namespaces=search.test")
    wait_for_ids(page, [f"search.test:lamp-{n}" for n in range(4)])
    page.get_by_label("RQL filter").fill('eq(attributes/colour,"red")')
    page.get_by_role("button", name="Search").click()
    wait_for_ids(page, ["search.test:lamp-0", "search.test:lamp-2"])
    assert "filter=eq" in page.url
    page.get_by_text("2 things").wait_for()
    # an example from the menu is a start; a feature property compared
    page.get_by_role("button", name="Examples").click()
    page.get_by_role("menuitem", name=re.compile("Feature property greater than")).click()
    assert page.get_by_label("RQL filter").input_value().startswith("gt(features/")
    page.get_by_label("RQL filter").fill("gt(features/lamp/properties/watts,15)")
    page.keyboard.press("Enter")
    wait_for_ids(page, ["search.test:lamp-2", "search.test:lamp-3"])
    # the address alone reproduces the search
    linked = sign_in(browser, console, path="/console/things?namespaces=search.test&filter="
                     + quote('or(eq(attributes/colour,"blue"),eq(attributes/colour,"green"))'))
    wait_for_ids(linked, ["search.test:lamp-1", "search.test:lamp-3"])
    assert linked.get_by_label("RQL filter").input_value().startswith("or(eq(")


@pytest.mark.parametrize(("query", "position", "marked"), [
    ("eq(attributes/n,)", 16, ")"),
    ('and(eq(thingId,"a"),foo(x))', 20, "f"),
    ("eq(attributes/n,1", 17, " "),  # the end of the input: a marked space after it
    ('like(thingId,"org.acme:*)', 25, " "),  # the string never closed
])
def test_an_invalid_filter_shows_the_servers_error_with_its_position_marked(
        browser: Any, console: Console, query: str, position: int, marked: str) -> None:
    page = sign_in(browser, console, path="/console/things")
    page.get_by_label("RQL filter").fill(query)
    page.get_by_role("button", name="Search").click()
    alert = page.get_by_role("alert").filter(has_text="rql.expression.invalid")
    alert.wait_for()
    assert f"position {position}" in alert.inner_text()
    shown = page.get_by_test_id("rql-error-position")
    shown.wait_for()
    assert shown.get_attribute("aria-label") == f"Filter error at position {position}"
    assert page.get_by_test_id("rql-error-mark").inner_text() == marked
    lines = shown.inner_text().split("\n")
    assert lines[1] == " " * position + "^"  # the caret under the marked character
    assert page.get_by_text(f"Invalid at position {position} (marked below)").is_visible()
    assert shown.locator("xpath=ancestor::*[@role='alert']").count() == 1  # the marked filter is in the alert
    # the text cursor waits where the error is
    assert page.get_by_label("RQL filter").evaluate("field => field.selectionStart") == position


def test_the_namespace_filter_offers_the_namespaces_seen(browser: Any, console: Console) -> None:
    put_thing(console, "ns.one:a", {})
    put_thing(console, "ns.two:b", {})
    page = sign_in(browser, console, path="/console/things?filter=" + quote('in(thingId,"ns.one:a","ns.two:b")'))
    wait_for_ids(page, ["ns.one:a", "ns.two:b"])
    namespaces = page.get_by_role("combobox", name="Namespaces")
    namespaces.click()
    page.get_by_role("option", name="ns.two", exact=True).click()
    wait_for_ids(page, ["ns.two:b"])
    assert "namespaces=ns.two" in page.url
    namespaces.fill("ns.one")
    page.keyboard.press("Enter")
    wait_for_ids(page, ["ns.one:a", "ns.two:b"])
    assert "namespaces=ns.two%2Cns.one" in page.url


def test_creating_a_thing_through_the_dialog(browser: Any, console: Console) -> None:
    page = sign_in(browser, console, path="/console/things")
    page.get_by_role("button", name="Create thing").click()
    dialog = page.get_by_role("dialog", name="Create thing")
    dialog.get_by_label("Thing ID").fill("not-an-id")
    dialog.get_by_text("A thing id is <namespace>:<name>").wait_for()
    assert dialog.get_by_role("button", name="Create").is_disabled()
    dialog.get_by_label("Thing ID").fill("create.test:lamp")
    replace_editor_text(page, "Thing JSON", '{"attributes": {"colour": "red",}}')
    dialog.get_by_text("Not valid JSON").wait_for()
    assert dialog.get_by_role("button", name="Create").is_disabled()
    replace_editor_text(page, "Thing JSON", '{"features": {"lamp": {"properties": 3}}}')
    dialog.get_by_text('"properties" of feature "lamp" must be a JSON object').wait_for()
    assert dialog.get_by_role("button", name="Create").is_disabled()
    assert get_thing(console, "create.test:lamp").status_code == 404  # nothing was sent
    replace_editor_text(page, "Thing JSON", '{"attributes": {"colour": "red"}}')
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(f"**/console/things/{quote('create.test:lamp', safe='')}")
    assert get_thing(console, "create.test:lamp").json()["attributes"] == {"colour": "red"}
    # the same id again: the server refuses to overwrite, and says so
    page.goto(console.base_url + "/console/things")
    page.get_by_role("button", name="Create thing").click()
    dialog.get_by_label("Thing ID").fill("create.test:lamp")
    dialog.get_by_role("button", name="Create").click()
    refusal = dialog.get_by_role("alert")
    refusal.wait_for()
    assert "412" in refusal.inner_text()
    # without an id the server chooses one
    dialog.get_by_label("Thing ID").fill("")
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/console/things/org\.eclipse\.ditto%3A[0-9a-f-]+$"))


def test_editing_an_attribute_saves_the_thing(browser: Any, console: Console) -> None:
    put_thing(console, "edit.test:pump", {"attributes": {"speed": 1}})
    page = sign_in(browser, console, path=f"/console/things/{quote('edit.test:pump', safe='')}/edit")
    page.get_by_text('"speed": 1').wait_for()
    replace_editor_text(page, "Thing JSON", '{"thingId": "edit.test:pump", "policyId": "edit.test:pump", '
                        '"attributes": {"speed": 2}}')
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert get_thing(console, "edit.test:pump").json()["attributes"] == {"speed": 2}
    # a thing id that is not this thing's is caught before sending
    replace_editor_text(page, "Thing JSON", '{"thingId": "edit.test:other"}')
    page.get_by_text('"thingId" is edit.test:other, but this thing is edit.test:pump').wait_for()
    assert page.get_by_role("button", name="Save").is_disabled()


def test_a_change_made_meanwhile_answers_412_and_reload_shows_it(browser: Any, console: Console) -> None:
    put_thing(console, "edit.test:valve", {"attributes": {"open": False}})
    page = sign_in(browser, console, path=f"/console/things/{quote('edit.test:valve', safe='')}/edit")
    page.get_by_text('"open": false').wait_for()
    with console.api() as api:  # someone else changes the thing
        assert api.put("/api/2/things/edit.test:valve/attributes/open", json=True).status_code == 204
    replace_editor_text(page, "Thing JSON", '{"attributes": {"open": "half"}}')
    page.get_by_role("button", name="Save").click()
    conflict = page.get_by_role("alert").filter(has_text="Changed meanwhile")
    conflict.wait_for()
    assert "412" in conflict.inner_text()
    assert get_thing(console, "edit.test:valve").json()["attributes"] == {"open": True}
    conflict.get_by_role("button", name="Reload").click()
    page.get_by_text('"open": true').wait_for()
    assert page.get_by_role("alert").count() == 0


def test_deleting_a_thing_asks_first(browser: Any, console: Console) -> None:
    put_thing(console, "delete.test:old", {})
    page = sign_in(browser, console, path=f"/console/things/{quote('delete.test:old', safe='')}/edit")
    page.get_by_role("button", name="Delete thing").click()
    confirm = page.get_by_role("dialog", name="Delete this thing?")
    confirm.get_by_role("button", name="Cancel").click()
    confirm.wait_for(state="hidden")
    assert get_thing(console, "delete.test:old").status_code == 200
    page.get_by_role("button", name="Delete thing").click()
    confirm.get_by_role("button", name="Delete thing").click()
    page.wait_for_url("**/console/things")
    assert get_thing(console, "delete.test:old").status_code == 404


def test_a_user_without_rights_sees_an_empty_list(browser: Any, console: Console) -> None:
    put_thing(console, "private.test:secret", {"attributes": {"secret": 1}})
    page = sign_in(browser, console, USER, USER_PASSWORD, path="/console/things")
    page.get_by_text("No things yet.").wait_for()
    page.get_by_text("0 things").wait_for()
    assert page.get_by_role("table", name="Things").count() == 0


def test_the_list_fits_a_phone_sized_screen(browser: Any, console: Console) -> None:
    put_thing(console, "phone.test:" + "a-very-long-thing-name" * 4, {"attributes": {"long": "x" * 200}})
    page = sign_in(browser, console, path="/console/things?namespaces=phone.test",
                   viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    listed_ids(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
