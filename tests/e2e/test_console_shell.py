"""Signing in to the console and its frame in a real browser (headless Chromium) on a real server: the form's
fields labelled "Username" and "Password", Ditto's refusal shown for a wrong password, staying signed in across a
reload and signing out, a bearer token, the keyboard alone, a phone-sized screen, light and dark."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.console import ADMIN, ADMIN_PASSWORD, Console, new_page, sign_in

pytestmark = pytest.mark.xdist_group(__name__)


def test_the_root_address_opens_the_sign_in_form(browser: Any, console: Console) -> None:
    page = new_page(browser)
    page.goto(console.base_url + "/")
    page.get_by_label("Username").wait_for()
    assert page.url == console.base_url + "/console/"


def test_signing_in_shows_the_sections_and_who_is_signed_in(browser: Any, console: Console) -> None:
    page = sign_in(browser, console)
    assert page.get_by_test_id("signed-in-subject").inner_text() == f"nginx:{ADMIN}"
    for section in ("Things", "Policies", "Connections", "Devices"):
        assert page.get_by_role("navigation", name="Sections").get_by_role("link", name=section).is_visible()
    page.reload()  # the tab keeps the session
    page.get_by_test_id("signed-in-subject").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").wait_for()
    page.reload()  # and signing out forgets it
    page.get_by_label("Username").wait_for()


def test_a_wrong_password_shows_the_servers_refusal(browser: Any, console: Console) -> None:
    page = new_page(browser)
    page.goto(console.base_url + "/console/")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "gateway:authentication.failed" in alert.inner_text()
    assert page.get_by_label("Username").is_visible()


def test_a_bad_bearer_token_is_refused(browser: Any, console: Console) -> None:
    page = new_page(browser)
    page.goto(console.base_url + "/console/")
    page.get_by_text("Token (OIDC)").click()
    page.get_by_label("Bearer token").fill("not.a.jwt")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    assert "gateway:authentication.failed" in page.get_by_role("alert").inner_text()


def test_signing_in_with_the_keyboard_alone(browser: Any, console: Console) -> None:
    page = new_page(browser)
    page.goto(console.base_url + "/console/")
    page.get_by_label("Username").wait_for()
    page.keyboard.type(ADMIN)  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_test_id("signed-in-subject").wait_for()


def test_on_a_phone_sized_screen_the_sections_are_behind_a_menu(browser: Any, console: Console) -> None:
    page = sign_in(browser, console, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sections = page.get_by_role("navigation", name="Sections")
    hidden = sections.get_by_role("link", name="Policies").bounding_box()
    assert hidden is None or hidden["x"] + hidden["width"] <= 0  # moved off the screen
    page.get_by_role("button", name="Navigation").click()
    sections.get_by_role("link", name="Policies").click()
    page.wait_for_url("**/console/policies")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the screen


def test_light_and_dark(browser: Any, console: Console) -> None:
    page = sign_in(browser, console, color_scheme="light")
    scheme = page.locator("html").get_attribute("data-mantine-color-scheme")
    assert scheme == "light"
    page.get_by_role("button", name="Switch to dark mode").click()
    assert page.locator("html").get_attribute("data-mantine-color-scheme") == "dark"
    page.reload()  # the choice is remembered
    page.get_by_test_id("signed-in-subject").wait_for()
    assert page.locator("html").get_attribute("data-mantine-color-scheme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
