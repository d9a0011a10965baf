"""The thing page's History tab in a real browser (headless Chromium) on a real server: a numeric property written
several times through the API is offered, charted (a canvas) and listed by the table view; a range without points
shows the empty state; points written while the tab is live appear without a reload; a user whose READ on the
feature was revoked sees the API's refusal and no data; a phone-sized screen does not scroll sideways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.console import ADMIN, ADMIN_PASSWORD, USER, USER_PASSWORD, Console, sign_in

pytestmark = pytest.mark.xdist_group(__name__)

LEAF = "/features/temp/properties/value"
WRITTEN = (20.5, 21.25, 22.75, 23.5)


def _policy(readers: tuple[str, ...] = ()) -> dict[str, Any]:
    entries: dict[str, Any] = {"owner": {
        "subjects": {f"nginx:{ADMIN}": {"type": "basic"}},
        "resources": {kind: {"grant": ["READ", "WRITE"], "revoke": []}
                      for kind in ("thing:/", "policy:/", "message:/")},
    }}
    if readers:
        entries["reader"] = {"subjects": {f"nginx:{user}": {"type": "basic"} for user in readers},
                             "resources": {"thing:/": {"grant": ["READ"], "revoke": []}}}
    return {"entries": entries}


def _thing_written_at(console: Console, thing_id: str, start: datetime, *, readers: tuple[str, ...] = ()) -> None:
    """A thing whose temperature was WRITTEN one value a minute from `start` on (each dated so by the device)."""
    with console.api() as api:
        for index, value in enumerate(WRITTEN):
            stamp = {"history-timestamp": _stamp(start + timedelta(minutes=index))}
            if index == 0:
                body = {"_policy": _policy(readers), "attributes": {"floor": 2, "site": "north"},
                        "features": {"temp": {"properties": {"value": value, "unit": "C"}}}}
                response = api.put(f"/api/2/things/{thing_id}", json=body, headers=stamp)
            else:
                response = api.put(f"/api/2/things/{thing_id}/features/temp/properties/value", json=value,
                                   headers=stamp)
            assert response.status_code in (201, 204), response.text


def _stamp(time: datetime) -> str:
    return time.isoformat().replace("+00:00", "Z")


def _open_history(browser: Any, console: Console, thing_id: str, user: str = ADMIN, password: str = ADMIN_PASSWORD,
                  **context: Any) -> Any:
    page = sign_in(browser, console, user, password, path=f"/console/things/{thing_id}/history", **context)
    page.get_by_role("combobox", name="Properties to chart").wait_for()
    return page


def _pick(page: Any, leaf: str) -> None:
    page.get_by_role("combobox", name="Properties to chart").click()
    page.get_by_role("option", name=leaf, exact=True).click()
    page.keyboard.press("Escape")


def _switch_on(page: Any, name: str) -> None:
    """Turns a switch on from the keyboard (as someone without a mouse would)."""
    switch = page.get_by_role("switch", name=name)
    switch.focus()
    page.keyboard.press("Space")
    expect(switch).to_be_checked()


def _table_values(page: Any, leaf: str) -> list[str]:
    table = page.get_by_role("table", name=f"Points of {leaf}")
    table.wait_for()
    return [cell.strip() for cell in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]


def test_only_numeric_leaves_are_offered(browser: Any, console: Console) -> None:
    _thing_written_at(console, "org.hist:offered", datetime.now(UTC))
    page = _open_history(browser, console, "org.hist:offered")
    page.get_by_role("combobox", name="Properties to chart").click()
    offered = page.get_by_role("option").all_inner_texts()
    assert sorted(offered) == ["/attributes/floor", LEAF]  # not the unit or the site: they are strings


def test_written_values_are_charted_and_listed_and_an_empty_range_says_so(browser: Any, console: Console) -> None:
    _thing_written_at(console, "org.hist:sensor", datetime.now(UTC) - timedelta(hours=3))
    page = _open_history(browser, console, "org.hist:sensor")
    _pick(page, LEAF)
    # The default range, the last hour, holds none of the points (written three hours ago).
    page.get_by_text("No history in this range").wait_for()
    page.get_by_text("Last 24 h").click()
    page.get_by_role("img", name=f"History chart of {LEAF}").locator("canvas").wait_for()
    _switch_on(page, "Show as table")
    assert _table_values(page, LEAF) == [str(value) for value in WRITTEN]
    page.get_by_text("Custom", exact=True).click()  # starts as the last 24 h, fixed: nothing to keep live
    expect(page.get_by_role("switch", name="Live")).to_be_disabled()
    expect(page.get_by_role("button", name="From")).not_to_have_text("")
    assert _table_values(page, LEAF) == [str(value) for value in WRITTEN]
    page.get_by_text("Last 15 min").click()
    page.get_by_text("No history in this range").wait_for()
    assert page.get_by_role("table", name=f"Points of {LEAF}").count() == 0


def test_several_leaves_in_one_chart(browser: Any, console: Console) -> None:
    _thing_written_at(console, "org.hist:combined", datetime.now(UTC) - timedelta(minutes=10))
    page = _open_history(browser, console, "org.hist:combined")
    _pick(page, LEAF)
    _pick(page, "/attributes/floor")
    page.get_by_text("One chart", exact=True).click()
    page.get_by_role("img", name="History chart of 2 properties").locator("canvas").wait_for()
    _switch_on(page, "Show as table")
    assert _table_values(page, LEAF) == [str(value) for value in WRITTEN]
    assert _table_values(page, "/attributes/floor") == ["2"]


def test_a_range_with_more_points_than_a_page_is_shown_as_buckets_with_min_and_max(browser: Any,
                                                                                   console: Console) -> None:
    now = datetime.now(UTC)
    start = datetime.fromtimestamp((int(now.timestamp()) - 20 * 60) // 5 * 5, UTC)  # a bucket starts here
    with console.api() as api:
        response = api.put("/api/2/things/org.hist:busy", json={"attributes": {"load": 0}},
                           headers={"history-timestamp": _stamp(start)})
        assert response.status_code == 201, response.text
        for second in range(1, 1001):  # one point a second: 1,001 in all, more than a page of raw points
            response = api.put("/api/2/things/org.hist:busy/attributes/load", json=second,
                               headers={"history-timestamp": _stamp(start + timedelta(seconds=second))})
            assert response.status_code == 204, response.text
    page = _open_history(browser, console, "org.hist:busy")
    _pick(page, "/attributes/load")
    page.get_by_text("Buckets of 5s: the mean, with a band from min to max.").wait_for()
    page.get_by_role("img", name="History chart of /attributes/load").locator("canvas").wait_for()
    _switch_on(page, "Show as table")
    table = page.get_by_role("table", name="Points of /attributes/load")
    assert table.get_by_role("columnheader").all_inner_texts() == ["Bucket start", "Mean", "Min", "Max"]
    first = table.locator("tbody tr").first.locator("td").all_inner_texts()
    assert first[1:] == ["2", "0", "4"]  # the seconds 0 to 4
    page.get_by_text("201 rows").wait_for()  # 1,001 seconds in buckets of 5, shown a page at a time


def test_a_live_range_shows_new_points_as_they_are_written(browser: Any, console: Console) -> None:
    _thing_written_at(console, "org.hist:live", datetime.now(UTC) - timedelta(minutes=5))
    page = _open_history(browser, console, "org.hist:live")
    _pick(page, LEAF)
    _switch_on(page, "Show as table")
    assert _table_values(page, LEAF) == [str(value) for value in WRITTEN]
    _switch_on(page, "Live")
    with console.api() as api:
        response = api.put("/api/2/things/org.hist:live/features/temp/properties/value", json=99.5)
        assert response.status_code == 204, response.text
    page.get_by_role("table", name=f"Points of {LEAF}").get_by_role("cell", name="99.5", exact=True).wait_for()
    assert _table_values(page, LEAF) == [*(str(value) for value in WRITTEN), "99.5"]


def test_a_user_who_may_no_longer_read_the_feature_gets_the_apis_refusal(browser: Any, console: Console) -> None:
    _thing_written_at(console, "org.hist:shared", datetime.now(UTC) - timedelta(minutes=5), readers=(USER,))
    page = _open_history(browser, console, "org.hist:shared", USER, USER_PASSWORD)
    _pick(page, LEAF)
    page.get_by_role("img", name=f"History chart of {LEAF}").locator("canvas").wait_for()
    with console.api() as api:  # the owner takes the feature away from the reader
        response = api.put("/api/2/policies/org.hist:shared/entries/reader/resources/thing:/features/temp",
                           json={"grant": [], "revoke": ["READ"]})
        assert response.status_code in (201, 204), response.text
    page.get_by_role("button", name="Refresh").click()
    alert = page.get_by_role("alert").filter(has_text="Could not read the history")
    alert.wait_for()
    assert "notfound" in alert.inner_text()
    assert page.get_by_role("img", name=f"History chart of {LEAF}").count() == 0


def test_a_user_who_may_not_read_the_thing_sees_the_apis_answer(browser: Any, console: Console) -> None:
    _thing_written_at(console, "org.hist:private", datetime.now(UTC) - timedelta(minutes=5))
    page = sign_in(browser, console, USER, USER_PASSWORD, path="/console/things/org.hist:private/history")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "things:thing.notfound" in alert.inner_text()
    assert page.get_by_role("combobox", name="Properties to chart").count() == 0


def test_on_a_phone_sized_screen_nothing_scrolls_sideways(browser: Any, console: Console) -> None:
    _thing_written_at(console, "org.hist:phone", datetime.now(UTC) - timedelta(minutes=5))
    page = _open_history(browser, console, "org.hist:phone", viewport={"width": 390, "height": 844},
                         is_mobile=True, has_touch=True)
    _pick(page, LEAF)
    page.get_by_role("img", name=f"History chart of {LEAF}").locator("canvas").wait_for()
    _switch_on(page, "Show as table")
    page.get_by_role("table", name=f"Points of {LEAF}").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
